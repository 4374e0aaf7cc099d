"""The handler's answer to the event source mapping: an SQS partial batch response."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kb_ingestion.handler import handle
from kb_ingestion.ingestion import KnowledgeBaseSync

from tests.lambdas.kb_ingestion.burst import BUCKET, PREFIX, QueuedMessage, lambda_event
from tests.lambdas.kb_ingestion.fakes import FakeIngestionJobs
from tests.lambdas.kb_ingestion.test_parsing import eventbridge


def run(bodies: list[str | None], bedrock: FakeIngestionJobs) -> tuple[dict, list[str]]:
    messages = [QueuedMessage(f"m{n}", body) for n, body in enumerate(bodies)]
    sync = KnowledgeBaseSync(bedrock, knowledge_base_id="KB12345678", data_source_id="DS12345678")
    response = handle(lambda_event(messages), None, sync=sync, bucket=BUCKET, prefix=PREFIX)
    return response, [m.message_id for m in messages]


def test_one_bad_record_never_fails_the_others() -> None:
    # Event time 2026-11-24T10:00Z; a job that started after it has completed.
    bedrock = FakeIngestionJobs(now=datetime(2026, 11, 24, 11, tzinfo=UTC))
    bedrock.add_job("COMPLETE", datetime(2026, 11, 24, 10, 5, tzinfo=UTC))
    response, ids = run([eventbridge(), "{oops", eventbridge(key="elsewhere/x.md"), None], bedrock)
    # Only the unreadable ones come back (and end in the dead-letter queue); the rest are done.
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[3]}]}
    assert bedrock.started_by_us == 0


def test_changes_waiting_for_a_job_come_back_and_one_job_is_started() -> None:
    bedrock = FakeIngestionJobs(now=datetime(2026, 11, 24, 10, 1, tzinfo=UTC))
    response, ids = run(
        [eventbridge(), eventbridge(key=f"{PREFIX}b.md"), eventbridge(key="other/c.md")], bedrock
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[0]}, {"itemIdentifier": ids[1]}]}
    assert bedrock.started_by_us == 1


def test_a_job_still_running_from_before_means_no_new_job_and_no_conflict() -> None:
    bedrock = FakeIngestionJobs(now=datetime(2026, 11, 24, 10, 1, tzinfo=UTC))
    bedrock.add_job("IN_PROGRESS", datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    response, ids = run([eventbridge()], bedrock)
    assert response == {"batchItemFailures": [{"itemIdentifier": ids[0]}]}
    assert (bedrock.started_by_us, bedrock.conflicts) == (0, 0)


@pytest.mark.parametrize("event", [{}, {"Records": "nope"}, [], "text"])
def test_an_event_that_is_not_an_sqs_batch_is_rejected_clearly(event: object) -> None:
    sync = KnowledgeBaseSync(
        FakeIngestionJobs(datetime.now(UTC)), knowledge_base_id="K" * 10, data_source_id="D" * 10
    )
    with pytest.raises(ValueError, match=r"not an SQS event: expected \{'Records': \[\.\.\.\]\}"):
        handle(event, None, sync=sync, bucket=BUCKET, prefix=PREFIX)
