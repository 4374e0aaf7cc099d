"""A burst of document uploads, end to end.

moto S3 sends real event notifications (URL-encoded keys, the setup test event) to a moto SQS
queue; those messages then go through the real handler, in batches, the way the Lambda event
source mapping delivers them: failed messages come back after the visibility timeout, and a
fake Bedrock (tests/lambdas/kb_ingestion/fakes.py) runs the jobs.

The redelivery itself is modelled by `SimulatedQueue` rather than moto's SQS: moto recomputes
queue attributes over every message on each receive (measured: 102 s for this burst, nearly
all of it in moto's receive_message), while the behaviour under test needs only batches,
visibility and receive counts.

Used by the burst test (tests/lambdas/kb_ingestion/test_burst.py) and by `make bench`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from kb_ingestion.events import MalformedEventError, Skipped, parse_message
from kb_ingestion.ingestion import COVERAGE_MARGIN, KnowledgeBaseSync
from moto import mock_aws

from tests.lambdas.kb_ingestion.fakes import FakeIngestionJobs

BUCKET = "documents-bucket"
PREFIX = "documents/"
KNOWLEDGE_BASE_ID = "KB12345678"
DATA_SOURCE_ID = "DS12345678"


@dataclass
class BurstResult:
    events: int
    ingested: set[str] = field(default_factory=set)
    skipped: int = 0
    jobs_started: int = 0
    conflicts: int = 0
    waves: int = 0
    invocations: int = 0
    max_receive_count: int = 0
    seconds: float = 0.0
    premature: list[str] = field(default_factory=list)
    left_in_queue: int = 0

    @property
    def lost(self) -> int:
        return self.events - len(self.ingested)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def s3_event_bodies(keys: list[str], chunk: int = 50) -> list[str]:
    """The SQS message bodies that S3 sends for uploading `keys` to the documents bucket (first
    the test event that saving the notification configuration sends)."""
    bodies: list[str] = []
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # moto needs some; never real ones
        os.environ.setdefault(name, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="document-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
                ]
            },
        )
        for start in range(0, len(keys) + 1, chunk):
            for key in keys[start : start + chunk]:
                s3.put_object(Bucket=BUCKET, Key=key, Body=b"# runbook\n")
            while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
                bodies += [m["Body"] for m in messages]
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )
    return bodies


@dataclass
class QueuedMessage:
    message_id: str
    body: str
    receive_count: int = 0
    in_flight: bool = False


class SimulatedQueue:
    """An SQS queue as the Lambda event source mapping uses it: visible messages are delivered in
    batches and become invisible; the handler's successes are deleted; its batch item failures
    stay invisible until the visibility timeout passes (`expire_visibility`)."""

    def __init__(self, bodies: list[str]) -> None:
        self.messages = {f"msg-{n:05d}": QueuedMessage(f"msg-{n:05d}", body) for n, body in enumerate(bodies)}

    def next_batch(self, size: int) -> list[QueuedMessage]:
        batch = [m for m in self.messages.values() if not m.in_flight][:size]
        for message in batch:
            message.in_flight = True
            message.receive_count += 1
        return batch

    def delete(self, message_id: str) -> None:
        del self.messages[message_id]

    def expire_visibility(self) -> None:
        for message in self.messages.values():
            message.in_flight = False

    def __len__(self) -> int:
        return len(self.messages)


def lambda_event(batch: list[QueuedMessage]) -> dict[str, Any]:
    """A batch as the event source mapping hands it to Lambda."""
    return {
        "Records": [
            {
                "messageId": m.message_id,
                "receiptHandle": f"receipt-{m.message_id}-{m.receive_count}",
                "body": m.body,
                "attributes": {"ApproximateReceiveCount": str(m.receive_count)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:document-events",
                "awsRegion": "us-east-1",
            }
            for m in batch
        ]
    }


def run_burst(events: int = 1000, batch_size: int = 100, max_waves: int = 20) -> BurstResult:
    """Upload `events` documents while an ingestion job is already running, then drain the queue
    wave by wave (a wave = every visible message delivered once; then the visibility timeout
    passes and the running jobs finish)."""
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "GenAiPlatform/Test")
    from kb_ingestion.handler import handle  # after the namespace is set: Powertools reads it on import

    queue = SimulatedQueue(s3_event_bodies([f"{PREFIX}runbook {n:04d}.md" for n in range(events)]))
    # Bedrock is busy with an earlier sync when the burst begins.
    bedrock = FakeIngestionJobs(now=datetime.now(UTC))
    bedrock.add_job("IN_PROGRESS", bedrock.now - timedelta(minutes=5))
    sync = KnowledgeBaseSync(bedrock, knowledge_base_id=KNOWLEDGE_BASE_ID, data_source_id=DATA_SOURCE_ID)

    result = BurstResult(events=events)
    started = time.perf_counter()
    while len(queue) and result.waves < max_waves:
        while batch := queue.next_batch(batch_size):
            response = handle(lambda_event(batch), None, sync=sync, bucket=BUCKET, prefix=PREFIX)
            result.invocations += 1
            failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
            for message in batch:
                result.max_receive_count = max(result.max_receive_count, message.receive_count)
                if message.message_id not in failed:
                    queue.delete(message.message_id)
                    _account(message.body, bedrock, result)
        result.waves += 1
        queue.expire_visibility()
        bedrock.advance(timedelta(minutes=10))
        bedrock.finish_running_jobs()
    result.seconds = time.perf_counter() - started
    result.jobs_started = bedrock.started_by_us
    result.conflicts = bedrock.conflicts
    result.left_in_queue = len(queue)
    return result


def _account(body: str, bedrock: FakeIngestionJobs, result: BurstResult) -> None:
    """A deleted message must be a deliberate skip, or a change that a completed job covers."""
    try:
        parsed = parse_message(body, bucket=BUCKET, prefix=PREFIX)
    except MalformedEventError:
        result.premature.append(f"malformed message deleted: {body[:80]}")
        return
    if isinstance(parsed, Skipped):
        result.skipped += 1
        return
    for change in parsed:
        covered = any(
            job["status"] == "COMPLETE" and job["startedAt"] >= change.time + COVERAGE_MARGIN
            for job in bedrock.jobs
        )
        if not covered:
            result.premature.append(change.key)
        result.ingested.add(change.key)


def main() -> None:
    """`make bench`: the burst, timed, with the figures the issue asks for."""
    os.environ.setdefault(
        "POWERTOOLS_LOG_LEVEL", "WARNING"
    )  # a log line per event would drown the figures  # one log line per event would drown the figures
    result = run_burst()
    print(
        json.dumps(
            {
                "events": result.events,
                "events_per_second": round(result.events_per_second),
                "jobs_started": result.jobs_started,
                "events_lost": result.lost,
                "conflicts": result.conflicts,
                "invocations": result.invocations,
                "waves": result.waves,
                "left_in_queue": result.left_in_queue,
                "max_receive_count": result.max_receive_count,
                "seconds": round(result.seconds, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
