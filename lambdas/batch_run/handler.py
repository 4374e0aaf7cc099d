"""Lambda entry point, called by the batch state machine's first state with
{"input": <execution input>, "execution_name": ..., "start_time": ...}.

A bad input raises InvalidBatchInputError; Step Functions reports it under that error name,
which the state machine catches to fail the execution with the message.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from batch_run.runs import InvalidBatchInputError, ObjectLister, prepare_run

logger = Logger()


class Clients:
    """AWS clients, each created on first use and kept for the container's life: importing this
    module creates none, and a warm invocation reuses them."""

    @functools.cached_property
    def s3(self) -> ObjectLister:
        return boto3.client("s3")


clients = Clients()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    if not isinstance(event, dict) or not {"input", "execution_name", "start_time"} <= set(event):
        raise InvalidBatchInputError(
            "called without the state machine's input, execution_name and start_time"
        )
    run = prepare_run(
        event["input"],
        execution_name=event["execution_name"],
        start_time=event["start_time"],
        bucket=os.environ["INFERENCE_BUCKET"],
        s3=clients.s3,
    )
    logger.info("batch run prepared", extra=run)
    return run
