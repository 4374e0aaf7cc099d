"""Lambda entry point: the onEvent handler of the CDK Provider framework behind the stack's
Custom::BedrockModelInvocationLogging resource.

Thin: check the event, carry it out with `setting.apply`, return the framework's answer. An
exception fails the resource, and the framework reports its message to CloudFormation.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from invocation_logging.setting import BedrockLogging, apply, parse_request

logger = Logger()


class Clients:
    """AWS clients, each created on first use and kept for the container's life: importing this
    module creates none, and a warm invocation reuses them."""

    @functools.cached_property
    def bedrock(self) -> BedrockLogging:
        return boto3.client("bedrock")


clients = Clients()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_request(event)
    answer = apply(request, clients.bedrock)
    logger.info("model invocation logging", extra={"request": request.request_type, "answer": answer})
    return answer
