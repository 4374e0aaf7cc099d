"""Keeps a Bedrock knowledge base in sync with its S3 documents, one SQS batch at a time.

The work, without Lambda: parse each queued S3 event, then decide per message whether the
document change is already ingested, is being ingested, or needs an ingestion job.

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
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

# A job "covers" a change only if it started clearly after it: S3's event time and Bedrock's job
# start time come from different clocks.
COVERAGE_MARGIN = timedelta(seconds=2)
RUNNING = frozenset({"STARTING", "IN_PROGRESS", "STOPPING"})
# How many recent jobs to look at; a change older than all of them has long been covered or failed.
RECENT_JOBS = 25


class MalformedEventError(ValueError):
    """The message is not an S3 event we can read. It is retried, then goes to the DLQ."""


@dataclass(frozen=True)
class DocumentChange:
    bucket: str
    key: str
    change: str  # "created" or "deleted"
    time: datetime


@dataclass(frozen=True)
class Skipped:
    """A message we deliberately do nothing with, and why (logged, counted, then deleted)."""

    reason: str


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


# --- parsing -------------------------------------------------------------------------------


def parse_message(body: str, *, bucket: str, prefix: str) -> list[DocumentChange] | Skipped:
    """The document changes in one SQS message body.

    Reads both shapes S3 can deliver: an EventBridge event ("Object Created"/"Object Deleted",
    which this platform wires) and an S3 event notification ({"Records": [...]}, whose keys are
    URL-encoded: "red flower.pdf" arrives as "red+flower.pdf"). Raises MalformedEventError for anything
    else; returns Skipped for S3's setup test event and for objects this data source does not own.
    """
    try:
        message = json.loads(body)
    except (TypeError, json.JSONDecodeError) as error:
        raise MalformedEventError(f"body is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise MalformedEventError("body is JSON but not an object")

    if message.get("Event") == "s3:TestEvent":
        return Skipped("S3 test event, sent when a notification configuration is saved")
    if message.get("source") == "aws.s3" and "detail" in message:
        changes = [_from_eventbridge(message)]
    elif isinstance(message.get("Records"), list) and message["Records"]:
        changes = [_from_notification(record) for record in message["Records"]]
    else:
        raise MalformedEventError("neither an EventBridge S3 event nor an S3 event notification")

    relevant = [
        c for c in changes if c.bucket == bucket and c.key.startswith(prefix) and not c.key.endswith("/")
    ]
    if not relevant:
        change = changes[0]
        if change.bucket != bucket:
            return Skipped(f"object in bucket {change.bucket}, not the documents bucket {bucket}")
        if change.key.endswith("/"):
            return Skipped(f"folder marker {change.key}")
        return Skipped(f"key {change.key} is outside the data source prefix {prefix}")
    return relevant


def _from_eventbridge(event: Mapping[str, Any]) -> DocumentChange:
    kinds = {"Object Created": "created", "Object Deleted": "deleted"}
    try:
        kind = kinds[event["detail-type"]]
        return DocumentChange(
            bucket=event["detail"]["bucket"]["name"],
            key=event["detail"]["object"]["key"],
            change=kind,
            time=_timestamp(event["time"]),
        )
    except (KeyError, TypeError) as error:
        raise MalformedEventError(f"EventBridge S3 event without {error}") from None


def _from_notification(record: Mapping[str, Any]) -> DocumentChange:
    try:
        if record["eventSource"] != "aws:s3":
            raise MalformedEventError(f"record from {record['eventSource']}, not aws:s3")
        name = record["eventName"]
        if not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
            raise MalformedEventError(f"S3 event {name} is not an object creation or removal")
        return DocumentChange(
            bucket=record["s3"]["bucket"]["name"],
            key=unquote_plus(record["s3"]["object"]["key"]),
            change="created" if name.startswith("ObjectCreated:") else "deleted",
            time=_timestamp(record["eventTime"]),
        )
    except (KeyError, TypeError) as error:
        raise MalformedEventError(f"S3 event notification without {error}") from None


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise MalformedEventError(f"event time {text!r} is not an ISO 8601 timestamp") from None


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
        token = hashlib.sha256("\n".join(sorted(message_ids)).encode()).hexdigest()
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
    affects the others: it gets its own MALFORMED decision."""
    decisions: dict[str, Decision] = {}
    changes: dict[str, list[DocumentChange]] = {}
    for record in records:
        message_id = record["messageId"]
        try:
            parsed = parse_message(record.get("body"), bucket=bucket, prefix=prefix)
        except MalformedEventError as error:
            decisions[message_id] = Decision(Outcome.MALFORMED, str(error))
            continue
        if isinstance(parsed, Skipped):
            decisions[message_id] = Decision(Outcome.SKIPPED, parsed.reason)
        else:
            changes[message_id] = parsed
    started = None
    if changes:
        sync_decisions, started = sync.decide(changes)
        decisions.update(sync_decisions)
    return BatchPlan(decisions=decisions, started_job=started)
