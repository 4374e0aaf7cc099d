"""Hostile input for the ingestion glue: one bad record fails only itself, and an event that is
not an SQS batch is refused with the handler's own error before Bedrock is called. Examples here;
test_hostile_properties.py has properties."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from kb_ingestion.events import (
    DocumentChange,
    MalformedEventError,
    NotAnSqsBatchError,
    parse_message,
)
from kb_ingestion.handler import handle
from kb_ingestion.ingestion import KnowledgeBaseSync, plan_batch

from tests.lambdas.kb_ingestion.burst import BUCKET, PREFIX, QueuedMessage, lambda_event
from tests.lambdas.kb_ingestion.fakes import FakeIngestionJobs
from tests.lambdas.kb_ingestion.test_parsing import eventbridge

# The good document changed at 10:00; a job that started at 10:05 has completed.
EVENTBRIDGE = json.loads(eventbridge())
NOTIFICATION = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-24T10:00:00.000Z",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": BUCKET}, "object": {"key": "documents/red+flower.pdf", "size": 3}},
        }
    ]
}


class RecordingJobs(FakeIngestionJobs):
    """Bedrock with one completed job after the good change, counting the calls it gets."""

    def __init__(self) -> None:
        super().__init__(now=datetime(2026, 11, 24, 11, tzinfo=UTC))
        self.add_job("COMPLETE", datetime(2026, 11, 24, 10, 5, tzinfo=UTC))
        self.calls = 0

    def list_ingestion_jobs(self, **params: Any) -> dict[str, Any]:
        self.calls += 1
        return super().list_ingestion_jobs(**params)


def sync_for(bedrock: FakeIngestionJobs) -> KnowledgeBaseSync:
    return KnowledgeBaseSync(bedrock, knowledge_base_id="KB12345678", data_source_id="DS12345678")


def sqs_record(message_id: str, body: Any) -> dict[str, Any]:
    [record] = lambda_event([QueuedMessage(message_id, "")])["Records"]
    return {**record, "body": body}


def handle_batch(*records: dict[str, Any], bedrock: FakeIngestionJobs | None = None) -> set[str]:
    """The message ids the handler reports as failures (retried, then dead-lettered)."""
    response = handle(
        {"Records": list(records)},
        None,
        sync=sync_for(bedrock or RecordingJobs()),
        bucket=BUCKET,
        prefix=PREFIX,
    )
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def with_record(**changes: Any) -> str:
    """The S3 notification with its record's fields changed (a value of None removes the field)."""
    record = {**NOTIFICATION["Records"][0], **changes}
    return json.dumps({"Records": [{k: v for k, v in record.items() if v is not None}]})


def with_object(**fields: Any) -> str:
    return with_record(s3={"bucket": {"name": BUCKET}, "object": fields})


def with_eventbridge(**fields: Any) -> str:
    return json.dumps({k: v for k, v in {**EVENTBRIDGE, **fields}.items() if v is not None})


HOSTILE_BODIES = {
    "key is a number": with_object(key=12, size=3),
    "key is a list": with_object(key=["documents/a.md"], size=3),
    "key is not UTF-8": with_object(key="documents/\udc80.md", size=3),
    "key longer than S3 allows": with_object(key="documents/" + "k" * 1100, size=3),
    "eventName is an object": with_record(eventName={"ObjectCreated:Put": True}),
    "eventSource is a list": with_record(eventSource=["aws:s3"]),
    "event time without a zone": with_record(eventTime="2026-11-24T10:00:00"),
    "event time out of range": with_record(eventTime="9999-12-31T23:59:59+00:00"),
    "event time before S3": with_record(eventTime="0001-01-01T00:00:00-23:59"),
    "event time is a number": with_record(eventTime=1764000000),
    "event time is missing": with_record(eventTime=None),
    "record is a string": json.dumps({"Records": ["ObjectCreated:Put"]}),
    "empty Records": json.dumps({"Records": []}),
    "EventBridge without detail-type": with_eventbridge(**{"detail-type": None}),
    "EventBridge detail-type is a list": with_eventbridge(**{"detail-type": ["Object Created"]}),
    "EventBridge detail is a list": with_eventbridge(detail=[]),
    "EventBridge key is an object": with_eventbridge(
        detail={"bucket": {"name": BUCKET}, "object": {"key": {"documents/a.md": 1}}}
    ),
    "EventBridge time without a zone": with_eventbridge(time="2026-11-24T10:00:00"),
    "JSON nested past the parser's limit": "[" * 100_000,
    "body is an object, not text": {"Records": []},
    "body is a number": 42,
    "body is bytes": json.dumps(EVENTBRIDGE).encode(),
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_record_fails_alone_and_the_good_one_is_still_deleted(
    body: Any, caplog: pytest.LogCaptureFixture
) -> None:
    failed = handle_batch(sqs_record("good", eventbridge()), sqs_record("bad", body))
    assert failed == {"bad"}
    # ... and says why in the log, at error level, for whoever reads the dead-letter queue.
    [logged] = [r for r in caplog.records if getattr(r, "message_id", None) == "bad"]
    assert (logged.levelname, logged.outcome) == ("ERROR", "malformed")
    assert logged.reason


def test_a_record_without_a_body_fails_alone() -> None:
    record = sqs_record("bad", "")
    del record["body"]
    assert handle_batch(sqs_record("good", eventbridge()), record) == {"bad"}


def test_an_empty_notification_is_malformed_not_silently_deleted() -> None:
    with pytest.raises(MalformedEventError, match=r"^S3 event notification with no records$"):
        parse_message(json.dumps({"Records": []}), bucket=BUCKET, prefix=PREFIX)


def test_event_times_are_aware_and_keys_decoded() -> None:
    [change] = parse_message(json.dumps(NOTIFICATION), bucket=BUCKET, prefix=PREFIX)
    assert change == DocumentChange(
        BUCKET, "documents/red flower.pdf", "created", datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    with pytest.raises(
        MalformedEventError, match=re.escape("event time '2026-11-24T10:00:00' has no time zone")
    ):
        parse_message(with_record(eventTime="2026-11-24T10:00:00"), bucket=BUCKET, prefix=PREFIX)


def test_a_message_id_twice_in_a_batch_is_deleted_only_if_every_copy_may_be() -> None:
    assert handle_batch(sqs_record("same", eventbridge()), sqs_record("same", "{oops")) == {"same"}
    assert handle_batch(sqs_record("same", "{oops"), sqs_record("same", eventbridge())) == {"same"}
    assert handle_batch(sqs_record("same", eventbridge()), sqs_record("same", eventbridge())) == set()


SNS = {"Records": [{"EventSource": "aws:sns", "EventSubscriptionArn": "arn", "Sns": {"Message": "{}"}}]}
KINESIS = {"Records": [{"eventSource": "aws:kinesis", "eventID": "1", "kinesis": {"data": "e30="}}]}
S3_DIRECT = json.loads(json.dumps(NOTIFICATION))
NOT_SQS = {
    "an SNS event": (SNS, "got Records[0] from 'aws:sns'"),
    "a Kinesis event": (KINESIS, "got Records[0] from 'aws:kinesis'"),
    "an S3 notification wired to the function": (S3_DIRECT, "got Records[0] from 'aws:s3'"),
    "an EventBridge event": (EVENTBRIDGE, "got an event with keys account, detail, detail-type"),
    "records that are not objects": ({"Records": ["m1", "m2"]}, "got Records[0] of type str"),
    "a record without a messageId": (
        {"Records": [sqs_record("m0", eventbridge()), {"eventSource": "aws:sqs", "body": "{}"}]},
        "got Records[1] without a messageId",
    ),
    "a messageId that is a number": (
        {"Records": [{**sqs_record("m0", eventbridge()), "messageId": 7}]},
        "got Records[0] without a messageId",
    ),
    "Records that is an object": ({"Records": {"messageId": "m0"}}, "got Records of type dict"),
    "a list": ([sqs_record("m0", eventbridge())], "got list"),
    "nothing": (None, "got NoneType"),
}


@pytest.mark.parametrize(("event", "got"), NOT_SQS.values(), ids=NOT_SQS.keys())
def test_an_event_that_is_not_an_sqs_batch_is_refused_before_bedrock_is_called(event: Any, got: str) -> None:
    bedrock = RecordingJobs()
    with pytest.raises(
        NotAnSqsBatchError, match=r"^not an SQS event: expected \{'Records': \[\.\.\.\]\} .*; "
    ) as raised:
        handle(event, None, sync=sync_for(bedrock), bucket=BUCKET, prefix=PREFIX)
    assert got in str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert bedrock.calls == 0


def test_plan_batch_refuses_a_record_without_a_message_id_by_name() -> None:
    with pytest.raises(NotAnSqsBatchError, match=re.escape("got Records[1] without a messageId")):
        plan_batch(
            [{"messageId": "m0", "body": eventbridge()}, {"body": eventbridge()}],
            sync=sync_for(RecordingJobs()),
            bucket=BUCKET,
            prefix=PREFIX,
        )
