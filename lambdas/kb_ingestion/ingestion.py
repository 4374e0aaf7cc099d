"""Keeps a Bedrock knowledge base in sync with its S3 documents, one SQS batch at a time.

The work, without Lambda: with each queued S3 event read (events.py), decide per message whether
the document change is already ingested, is being ingested, or needs an ingestion job.

Why a message stays in the queue until a *completed* job covers it: Bedrock runs at most one
ingestion job per data source (a second start is rejected with ConflictException), and a job
only sees objects that existed when it started. So a change is safely ingested only once a job
that started after the change has completed. Until then its message is reported as a batch item
failure and comes back after the queue's visibility timeout; if the covering job fails, the
next delivery starts another. Nothing is deleted from the queue before it is in the index.

Why StartIngestionJob and not the per-document API (IngestKnowledgeBaseDocuments): a job is an
incremental sync (only changed objects are re-embedded), handles deletions the same way as
uploads, and one job covers a whole burst; the per-document call takes at most 25 documents and
would cost a call per few objects. A burst of a thousand uploads costs one or two jobs here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from botocore.exceptions import ClientError

from kb_ingestion.events import DocumentChange, MalformedEventError, Skipped, message_id_of, parse_message

# A job "covers" a change only if it started clearly after it: S3's event time and Bedrock's job
# start time come from different clocks.
COVERAGE_MARGIN = timedelta(seconds=2)
RUNNING = frozenset({"STARTING", "IN_PROGRESS", "STOPPING"})
# How many recent jobs to look at; a change older than all of them has long been covered or failed.
RECENT_JOBS = 25


class Outcome(Enum):
    INGESTED = "ingested"  # a completed job covers it: delete the message
    WAITING = "waiting"  # a job covering it is running, or one must start first: retry later
    SKIPPED = "skipped"  # deliberately ignored: delete the message
    MALFORMED = "malformed"  # unreadable: retry, then the dead-letter queue


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str


class IngestionJobs(Protocol):
    """The two bedrock-agent calls this module makes (a boto3 client satisfies it)."""

    def list_ingestion_jobs(self, **kwargs: Any) -> dict[str, Any]: ...
    def start_ingestion_job(self, **kwargs: Any) -> dict[str, Any]: ...


# --- deciding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    job_id: str
    status: str
    started_at: datetime


class KnowledgeBaseSync:
    """Decides, for a batch of messages, what each needs, and starts at most one job."""

    def __init__(self, client: IngestionJobs, *, knowledge_base_id: str, data_source_id: str) -> None:
        self._client = client
        self._ids = {"knowledgeBaseId": knowledge_base_id, "dataSourceId": data_source_id}

    def recent_jobs(self) -> list[Job]:
        response = self._client.list_ingestion_jobs(
            **self._ids, sortBy={"attribute": "STARTED_AT", "order": "DESCENDING"}, maxResults=RECENT_JOBS
        )
        return [
            Job(job["ingestionJobId"], job["status"], job["startedAt"])
            for job in response.get("ingestionJobSummaries", [])
        ]

    def decide(self, changes: Mapping[str, list[DocumentChange]]) -> tuple[dict[str, Decision], str | None]:
        """Decision per message id, and the id of the job this call started (if any)."""
        jobs = self.recent_jobs()
        decisions: dict[str, Decision] = {}
        needing_a_job: list[str] = []
        for message_id, message_changes in changes.items():
            decision = _coverage(message_changes, jobs)
            if decision is None:
                needing_a_job.append(message_id)
            else:
                decisions[message_id] = decision
        if not needing_a_job:
            return decisions, None

        running = next((job for job in jobs if job.status in RUNNING), None)
        if running is not None:
            reason = f"job {running.job_id} started before this change and is still {running.status}"
            decisions.update({m: Decision(Outcome.WAITING, reason) for m in needing_a_job})
            return decisions, None

        started = self._start(needing_a_job)
        if started is None:
            reason = "another job started at the same moment (ConflictException)"
        else:
            reason = f"started job {started}; waiting for it to complete"
        decisions.update({m: Decision(Outcome.WAITING, reason) for m in needing_a_job})
        return decisions, started

    def _start(self, message_ids: Iterable[str]) -> str | None:
        # The same batch delivered twice (a retried invocation) must not start two jobs.
        token = hashlib.sha256("\n".join(sorted(message_ids)).encode(errors="surrogatepass")).hexdigest()
        try:
            response = self._client.start_ingestion_job(
                **self._ids, clientToken=token, description="Started by the S3 document change queue"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConflictException":
                return None
            raise
        return response["ingestionJob"]["ingestionJobId"]


def _coverage(changes: list[DocumentChange], jobs: list[Job]) -> Decision | None:
    """INGESTED or WAITING if jobs already cover every change; None if a new job is needed."""
    latest = max(change.time for change in changes)
    covering = [job for job in jobs if job.started_at >= latest + COVERAGE_MARGIN]
    if any(job.status == "COMPLETE" for job in covering):
        done = next(job for job in covering if job.status == "COMPLETE")
        return Decision(Outcome.INGESTED, f"job {done.job_id} started after the change and completed")
    running = next((job for job in covering if job.status in RUNNING), None)
    if running is not None:
        return Decision(Outcome.WAITING, f"job {running.job_id} covers the change and is {running.status}")
    return None


# --- one batch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPlan:
    decisions: dict[str, Decision]
    started_job: str | None


def plan_batch(
    records: list[Mapping[str, Any]], *, sync: KnowledgeBaseSync, bucket: str, prefix: str
) -> BatchPlan:
    """A decision for every SQS record of the batch, keyed by message id. One bad record never
    affects the others: it gets its own MALFORMED decision. A record without a message id is no SQS
    record at all (NotAnSqsBatchError)."""
    message_ids = [message_id_of(record, number) for number, record in enumerate(records)]
    own: dict[str, Decision] = {}  # decided from the message alone: malformed or skipped
    changes: dict[str, list[DocumentChange]] = {}
    for message_id, record in zip(message_ids, records, strict=True):
        try:
            parsed = parse_message(record.get("body"), bucket=bucket, prefix=prefix)
        except MalformedEventError as error:
            own[message_id] = Decision(Outcome.MALFORMED, str(error))
            continue
        if isinstance(parsed, Skipped):
            own.setdefault(message_id, Decision(Outcome.SKIPPED, parsed.reason))
        else:
            changes.setdefault(message_id, []).extend(parsed)
    # A message id twice in one batch is one message to SQS: it is deleted only if every copy may be.
    malformed = {m for m, d in own.items() if d.outcome is Outcome.MALFORMED}
    pending = {m: c for m, c in changes.items() if m not in malformed}
    decisions = {m: d for m, d in own.items() if m not in pending}
    started = None
    if pending:
        sync_decisions, started = sync.decide(pending)
        decisions.update(sync_decisions)
    return BatchPlan(decisions=decisions, started_job=started)
