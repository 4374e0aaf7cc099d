"""The ingestion decisions against the real bedrock-agent API shapes, with botocore's Stubber
(moto has no ingestion jobs): each expected call is checked against the service model, with
exactly the parameters we send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from kb_ingestion.events import DocumentChange
from kb_ingestion.ingestion import KnowledgeBaseSync, Outcome

KB, DS = "KB12345678", "DS12345678"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LIST = {
    "knowledgeBaseId": KB,
    "dataSourceId": DS,
    "sortBy": {"attribute": "STARTED_AT", "order": "DESCENDING"},
    "maxResults": 25,
}


@pytest.fixture
def stubbed() -> Iterator[tuple[KnowledgeBaseSync, Stubber]]:
    client = boto3.client("bedrock-agent", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield KnowledgeBaseSync(client, knowledge_base_id=KB, data_source_id=DS), stubber
        stubber.assert_no_pending_responses()


def job(job_id: str, status: str, started_at: datetime) -> dict:
    return {
        "knowledgeBaseId": KB,
        "dataSourceId": DS,
        "ingestionJobId": job_id,
        "status": status,
        "startedAt": started_at,
        "updatedAt": started_at,
    }


def expect_start(stubber: Stubber, job_id: str) -> None:
    """Expect exactly one StartIngestionJob for this data source, and answer that `job_id` started."""
    stubber.add_response(
        "start_ingestion_job",
        {
            "ingestionJob": {
                "knowledgeBaseId": KB,
                "dataSourceId": DS,
                "ingestionJobId": job_id,
                "status": "STARTING",
                "startedAt": T0,
                "updatedAt": T0,
            }
        },
        {"knowledgeBaseId": KB, "dataSourceId": DS, "clientToken": ANY, "description": ANY},
    )


def change(at: datetime = T0, key: str = "documents/a.md") -> list[DocumentChange]:
    return [DocumentChange("bucket", key, "created", at)]


def test_with_no_job_running_it_starts_one_and_waits_for_it(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, LIST)
    expect_start(stubber, "JOB1")
    decisions, started = sync.decide({"m1": change(), "m2": change(key="documents/b.md")})
    assert started == "JOB1"
    assert {m: d.outcome for m, d in decisions.items()} == {"m1": Outcome.WAITING, "m2": Outcome.WAITING}


def test_a_running_job_that_started_before_the_change_means_wait_without_a_start_call(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response(
        "list_ingestion_jobs",
        {"ingestionJobSummaries": [job("JOB0", "IN_PROGRESS", T0 - timedelta(minutes=1))]},
        LIST,
    )
    decisions, started = sync.decide({"m1": change()})
    assert started is None
    assert decisions["m1"].outcome is Outcome.WAITING
    assert "JOB0 started before this change and is still IN_PROGRESS" in decisions["m1"].reason


def test_a_completed_job_that_started_after_the_change_means_ingested(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response(
        "list_ingestion_jobs",
        {"ingestionJobSummaries": [job("JOB2", "COMPLETE", T0 + timedelta(minutes=1))]},
        LIST,
    )
    decisions, started = sync.decide({"m1": change()})
    assert (started, decisions["m1"].outcome) == (None, Outcome.INGESTED)


def test_a_job_that_started_too_close_to_the_change_does_not_count(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response(
        "list_ingestion_jobs",
        {"ingestionJobSummaries": [job("JOB2", "COMPLETE", T0 + timedelta(seconds=1))]},
        LIST,
    )
    expect_start(stubber, "JOB3")
    decisions, started = sync.decide({"m1": change()})
    assert (started, decisions["m1"].outcome) == ("JOB3", Outcome.WAITING)


def test_a_failed_covering_job_does_not_lose_the_change_a_new_job_starts(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response(
        "list_ingestion_jobs",
        {"ingestionJobSummaries": [job("JOB2", "FAILED", T0 + timedelta(minutes=1))]},
        LIST,
    )
    expect_start(stubber, "JOB3")
    decisions, started = sync.decide({"m1": change()})
    assert (started, decisions["m1"].outcome) == ("JOB3", Outcome.WAITING)


def test_a_conflict_from_a_concurrent_start_means_wait(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, LIST)
    stubber.add_client_error(
        "start_ingestion_job", service_error_code="ConflictException", http_status_code=409
    )
    decisions, started = sync.decide({"m1": change()})
    assert started is None
    assert decisions["m1"].outcome is Outcome.WAITING
    assert "ConflictException" in decisions["m1"].reason


def test_other_errors_are_not_swallowed(stubbed) -> None:
    sync, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, LIST)
    stubber.add_client_error(
        "start_ingestion_job", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(ClientError, match="AccessDeniedException"):
        sync.decide({"m1": change()})


def test_the_same_batch_always_sends_the_same_client_token() -> None:
    tokens = []

    class Recorder:
        def list_ingestion_jobs(self, **_: object) -> dict:
            return {"ingestionJobSummaries": []}

        def start_ingestion_job(self, **params: object) -> dict:
            tokens.append(params["clientToken"])
            return {"ingestionJob": {"ingestionJobId": "JOB"}}

    sync = KnowledgeBaseSync(Recorder(), knowledge_base_id=KB, data_source_id=DS)
    sync.decide({"m2": change(), "m1": change()})
    sync.decide({"m1": change(), "m2": change()})
    sync.decide({"m3": change()})
    assert tokens[0] == tokens[1] != tokens[2]
    assert 33 <= len(tokens[0]) <= 256  # the API's length limits for clientToken
