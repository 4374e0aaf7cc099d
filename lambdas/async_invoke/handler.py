"""Lambda entry point: queued S3 events of the inbox -> asynchronous endpoint invocations.

Thin on purpose: read the settings, then for each SQS message find its objects
(`invoke.objects_in`), decide per object (`invoke.plan`) and invoke the endpoint. The answer is
an SQS partial batch response: a message whose invocation failed, or that cannot be read, comes
back after the visibility timeout and ends in the dead-letter queue; skipped objects are logged
with their reason and counted, never silently dropped. An event that is not an SQS batch at all
fails the invocation with NotAnSqsBatchError, before any call.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from async_invoke.invoke import (
    AsyncEndpoint,
    MalformedEventError,
    SageMakerRuntime,
    Skipped,
    objects_in,
    plan,
    sqs_records,
)

logger = Logger()
metrics = Metrics()


class Clients:
    """AWS clients, each created on first use and kept for the container's life: importing this
    module creates none, and a warm invocation reuses them."""

    @functools.cached_property
    def sagemaker_runtime(self) -> SageMakerRuntime:
        return boto3.client("sagemaker-runtime")


clients = Clients()


def handle(
    event: dict[str, Any],
    context: LambdaContext | None,
    *,
    endpoint: AsyncEndpoint,
    bucket: str,
    inbox_prefix: str,
) -> dict:
    sqs_records(event)  # NotAnSqsBatchError (a ValueError) for any other event, before any call

    def record_handler(record: SQSRecord) -> None:
        try:
            found = objects_in(record.get("body"))  # a record without a body is malformed too
        except MalformedEventError as error:
            logger.error("malformed message", extra={"message_id": record.message_id, "reason": str(error)})
            metrics.add_metric(name="MessagesMalformed", unit=MetricUnit.Count, value=1)
            raise
        if isinstance(found, Skipped):
            logger.warning("message skipped", extra={"message_id": record.message_id, "reason": found.reason})
            metrics.add_metric(name="MessagesSkipped", unit=MetricUnit.Count, value=1)
            return
        for stored in found:
            decision = plan(stored, bucket=bucket, inbox_prefix=inbox_prefix)
            if isinstance(decision, Skipped):
                logger.warning("object skipped", extra={"key": stored.key, "reason": decision.reason})
                metrics.add_metric(name="ObjectsSkipped", unit=MetricUnit.Count, value=1)
                continue
            output = endpoint.invoke(decision)  # an AWS error fails the message: it is retried
            logger.info("invoked", extra={"input": decision.input_location, "output": output})
            metrics.add_metric(name="ObjectsInvoked", unit=MetricUnit.Count, value=1)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict:
    endpoint = AsyncEndpoint(
        runtime=clients.sagemaker_runtime,
        endpoint_name=os.environ["ENDPOINT_NAME"],
        invocation_timeout_seconds=int(os.environ["INVOCATION_TIMEOUT_SECONDS"]),
    )
    return handle(
        event,
        context,
        endpoint=endpoint,
        bucket=os.environ["INFERENCE_BUCKET"],
        inbox_prefix=os.environ["INBOX_PREFIX"],
    )
