"""Hostile input for the ingestion glue, as properties: any body parses to changes, a skip or the
documented error; one hostile record never changes the decision for a good one; any event is
answered per message or refused as not an SQS batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from kb_ingestion.events import (
    DocumentChange,
    MalformedEventError,
    NotAnSqsBatchError,
    Skipped,
    parse_message,
)
from kb_ingestion.handler import handle
from kb_ingestion.ingestion import Outcome, plan_batch

from tests.lambdas.hostile import HOSTILE, JSON, broken_once, mutated
from tests.lambdas.kb_ingestion.burst import BUCKET, PREFIX
from tests.lambdas.kb_ingestion.test_hostile import (
    EVENTBRIDGE,
    NOTIFICATION,
    RecordingJobs,
    handle_batch,
    sqs_record,
    sync_for,
    with_record,
)
from tests.lambdas.kb_ingestion.test_parsing import eventbridge


def json_or_none(body: Any) -> Any:
    try:
        return json.loads(body)
    except (TypeError, ValueError, RecursionError):
        return None


BODIES = st.one_of(
    broken_once(EVENTBRIDGE).map(json.dumps),
    broken_once(NOTIFICATION).map(json.dumps),
    mutated(EVENTBRIDGE).map(json.dumps),
    mutated(NOTIFICATION).map(json.dumps),
    JSON.map(json.dumps),
    JSON,  # a body that is not text at all
)


def parsed_or_error(body: Any) -> list[DocumentChange] | Skipped | MalformedEventError:
    """What parse_message makes of `body`, its documented error included; any other error fails the test."""
    try:
        return parse_message(body, bucket=BUCKET, prefix=PREFIX)
    except MalformedEventError as error:
        return error


@HOSTILE
@given(body=BODIES)
def test_any_body_parses_to_changes_a_skip_or_the_documented_error(body: Any) -> None:
    parsed = parsed_or_error(body)
    message = json_or_none(body)
    # An EventBridge event without a readable detail-type is malformed, never "not our work".
    if (
        isinstance(message, dict)
        and message.get("source") == "aws.s3"
        and "detail" in message
        and not isinstance(message.get("detail-type"), str)
    ):
        assert isinstance(parsed, MalformedEventError)
    if isinstance(parsed, MalformedEventError):
        assert str(parsed)
        return
    if isinstance(parsed, Skipped):
        assert parsed.reason
        return
    assert parsed
    for change in parsed:
        assert change.bucket == BUCKET
        assert change.key.startswith(PREFIX)
        assert len(change.key.encode()) <= 1024
        assert change.change in ("created", "deleted")
        assert change.time.utcoffset() is not None  # comparable with Bedrock's job times


@HOSTILE
@given(body=BODIES)
def test_one_hostile_record_never_changes_the_decision_for_a_good_one(body: Any) -> None:
    alone = plan_batch(
        [sqs_record("good", eventbridge())], sync=sync_for(RecordingJobs()), bucket=BUCKET, prefix=PREFIX
    )
    records = [sqs_record("good", eventbridge()), sqs_record("hostile", body)]
    together = plan_batch(records, sync=sync_for(RecordingJobs()), bucket=BUCKET, prefix=PREFIX)
    assert together.decisions["good"] == alone.decisions["good"]
    assert alone.decisions["good"].outcome is Outcome.INGESTED
    # The hostile record gets a decision of its own, and malformed always means "retry, then DLQ".
    hostile = together.decisions["hostile"].outcome
    parsed = parsed_or_error(body)
    if isinstance(parsed, MalformedEventError):
        assert hostile is Outcome.MALFORMED
    elif isinstance(parsed, Skipped):
        assert hostile is Outcome.SKIPPED
    else:
        assert hostile in (Outcome.INGESTED, Outcome.WAITING)
    failed = handle_batch(*records)
    assert "good" not in failed
    assert ("hostile" in failed) == (hostile in (Outcome.WAITING, Outcome.MALFORMED))


OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
TIMES = st.datetimes(timezones=st.none() | OFFSETS.map(timezone))  # years 1 to 9999, naive or aware


@HOSTILE
@given(time=TIMES, separator=st.sampled_from(["T", " "]))
def test_any_event_time_is_a_comparable_time_or_malformed_and_never_fails_the_batch(
    time: datetime, separator: str
) -> None:
    body = with_record(eventTime=time.isoformat(separator))
    records = [sqs_record("good", eventbridge()), sqs_record("timed", body)]
    plan = plan_batch(records, sync=sync_for(RecordingJobs()), bucket=BUCKET, prefix=PREFIX)
    assert plan.decisions["good"].outcome is Outcome.INGESTED
    timed = plan.decisions["timed"]
    if time.tzinfo is None or not datetime(2006, 3, 14, tzinfo=UTC) <= time < datetime(
        2200, 1, 1, tzinfo=UTC
    ):
        assert timed.outcome is Outcome.MALFORMED
        assert "event time" in timed.reason
    else:
        assert timed.outcome in (Outcome.INGESTED, Outcome.WAITING)


SQS_EVENT = {"Records": [sqs_record("m0", eventbridge()), sqs_record("m1", eventbridge())]}


@HOSTILE
@given(event=st.one_of(broken_once(SQS_EVENT), mutated(SQS_EVENT), JSON))
def test_any_event_is_answered_per_message_or_refused_as_not_an_sqs_batch(event: Any) -> None:
    bedrock = RecordingJobs()
    try:
        response = handle(event, None, sync=sync_for(bedrock), bucket=BUCKET, prefix=PREFIX)
    except NotAnSqsBatchError as error:
        response = error
    if isinstance(response, NotAnSqsBatchError):
        assert str(response).startswith("not an SQS event: expected {'Records': [...]}")
        assert bedrock.calls == 0
        return
    # Accepted: a batch the event source mapping could have sent, each record answerable by id.
    assert event["Records"]
    for record in event["Records"]:
        assert record["eventSource"] == "aws:sqs"
        assert isinstance(record["messageId"], str)
        assert record["messageId"]
    message_ids = {record["messageId"] for record in event["Records"]}
    assert set(response) == {"batchItemFailures"}
    assert {item["itemIdentifier"] for item in response["batchItemFailures"]} <= message_ids
