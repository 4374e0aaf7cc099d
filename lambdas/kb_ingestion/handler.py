"""Lambda entry point: a batch of queued S3 document events -> Bedrock knowledge-base ingestion.

Thin on purpose: read the function's settings, plan the batch with `ingestion.plan_batch`, and
answer with an SQS partial batch response (Powertools' batch processor): messages that wait for
an ingestion job, or cannot be read, are reported as failures and come back after the queue's
visibility timeout (unreadable ones end in the dead-letter queue); the rest are deleted. An event
that is not an SQS batch at all fails the invocation with NotAnSqsBatchError, before any call.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from kb_ingestion.events import sqs_records
from kb_ingestion.ingestion import BatchPlan, IngestionJobs, KnowledgeBaseSync, Outcome, plan_batch

logger = Logger()
metrics = Metrics()


class Clients:
    """AWS clients, each created on first use and kept for the container's life: importing this
    module creates none, and a warm invocation reuses them."""

    @functools.cached_property
    def bedrock_agent(self) -> IngestionJobs:
        return boto3.client("bedrock-agent")


clients = Clients()


class RecordNotDoneError(Exception):
    """Raised for a record so that the batch processor reports it as a batch item failure."""


def handle(
    event: dict[str, Any], context: LambdaContext | None, *, sync: KnowledgeBaseSync, bucket: str, prefix: str
) -> dict:
    records = sqs_records(event)  # NotAnSqsBatchError (a ValueError) for any other event
    plan: BatchPlan = plan_batch(records, sync=sync, bucket=bucket, prefix=prefix)
    for message_id, decision in plan.decisions.items():
        log = logger.error if decision.outcome is Outcome.MALFORMED else logger.info
        log(
            "document event",
            extra={"message_id": message_id, "outcome": decision.outcome.value, "reason": decision.reason},
        )
    for outcome, count in Counter(d.outcome for d in plan.decisions.values()).items():
        metrics.add_metric(name=f"Events{outcome.value.capitalize()}", unit=MetricUnit.Count, value=count)
    if plan.started_job:
        metrics.add_metric(name="IngestionJobsStarted", unit=MetricUnit.Count, value=1)

    def record_handler(record: SQSRecord) -> None:
        decision = plan.decisions[record.message_id]
        if decision.outcome in (Outcome.WAITING, Outcome.MALFORMED):
            raise RecordNotDoneError(decision.reason)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict:
    sync = KnowledgeBaseSync(
        clients.bedrock_agent,
        knowledge_base_id=os.environ["KNOWLEDGE_BASE_ID"],
        data_source_id=os.environ["DATA_SOURCE_ID"],
    )
    return handle(
        event,
        context,
        sync=sync,
        bucket=os.environ["DOCUMENTS_BUCKET"],
        prefix=os.environ["DOCUMENTS_PREFIX"],
    )
