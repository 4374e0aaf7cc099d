"""Lambda entry point of the operations assistant's action group (function schema).

Thin: Powertools' BedrockAgentFunctionResolver reads the agent's event and writes the response
shape Bedrock expects, echoing the action group and function. Each tool validates its parameters
and calls a plain function of actions.py. Whatever goes wrong, the agent gets a well-formed answer
it can relay: REPROMPT for a bad or missing parameter (the agent can ask again), FAILURE for an
unknown function or an AWS error.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import BedrockAgentFunctionResolver, BedrockFunctionResponse
from aws_lambda_powertools.event_handler.bedrock_agent_function import BedrockFunctionsResponseBuilder
from aws_lambda_powertools.utilities.data_classes import BedrockAgentFunctionEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from agent_actions import actions
from agent_actions.actions import Deployment, InvalidRequestError

logger = Logger()


def serialize(body: Any) -> str:
    """Messages go to the agent as they are; results as JSON (the resolver's default would quote a
    message once more)."""
    return body if isinstance(body, str) else json.dumps(body)


app = BedrockAgentFunctionResolver(serializer=serialize)


class Clients:
    """AWS clients, created on first use (a cold start pays only for what it calls)."""

    @functools.cached_property
    def sagemaker(self) -> Any:
        return boto3.client("sagemaker")

    @functools.cached_property
    def runtime(self) -> Any:
        return boto3.client("sagemaker-runtime")

    @functools.cached_property
    def stepfunctions(self) -> Any:
        return boto3.client("stepfunctions")

    @functools.cached_property
    def bedrock_agent(self) -> Any:
        return boto3.client("bedrock-agent")


clients = Clients()
deployment = Deployment.from_environment(dict(os.environ))


def answer(action: Callable[..., Any]) -> Callable[..., BedrockFunctionResponse]:
    """Run an action; turn what it returns, or how it fails, into the agent's response."""

    @functools.wraps(action)
    def wrapper(**parameters: Any) -> BedrockFunctionResponse:
        try:
            return BedrockFunctionResponse(body=action(**parameters))
        except InvalidRequestError as error:
            return BedrockFunctionResponse(body=str(error), response_state="REPROMPT")
        except (ClientError, BotoCoreError) as error:
            logger.exception("AWS call failed", extra={"action": action.__name__})
            return BedrockFunctionResponse(body=f"The AWS call failed: {error}", response_state="FAILURE")

    return wrapper


def required_text(value: str | None, name: str) -> str:
    if value is None or not str(value).strip():
        raise InvalidRequestError(f"parameter {name} is required")
    return str(value).strip()


def whole_number(value: Any, name: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
        raise InvalidRequestError(f"parameter {name} must be a whole number, got {value!r}")
    return int(value)


@app.tool(name="list_endpoints", description="List this platform's SageMaker endpoints and their status")
@answer
def list_endpoints() -> list[dict[str, str]]:
    return actions.list_endpoints(clients.sagemaker, deployment)


@app.tool(name="describe_endpoint", description="Describe one of this platform's SageMaker endpoints")
@answer
def describe_endpoint(endpoint_name: str | None = None) -> dict[str, Any]:
    return actions.describe_endpoint(
        clients.sagemaker, deployment, required_text(endpoint_name, "endpoint_name")
    )


@app.tool(
    name="send_test_prediction", description="Send a known handwritten digit (0-9) to the real-time endpoint"
)
@answer
def send_test_prediction(digit: Any = None) -> dict[str, Any]:
    number = whole_number(digit, "digit")
    return actions.send_test_prediction(clients.runtime, deployment, number)


@app.tool(name="start_batch_transform", description="Start a batch transform run on an S3 input prefix")
@answer
def start_batch_transform(input_prefix: str | None = None) -> dict[str, str]:
    prefix = required_text(input_prefix, "input_prefix")
    return actions.start_batch_transform(clients.stepfunctions, deployment, prefix)


@app.tool(name="ingestion_jobs", description="Report the knowledge base's latest ingestion jobs")
@answer
def ingestion_jobs(limit: Any = None) -> list[dict[str, Any]]:
    count = whole_number(limit, "limit", default=5)
    return actions.ingestion_jobs(clients.bedrock_agent, deployment, count)


TOOLS = (
    "list_endpoints",
    "describe_endpoint",
    "send_test_prediction",
    "start_batch_transform",
    "ingestion_jobs",
)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    if not isinstance(event, dict) or not isinstance(event.get("actionGroup"), str):
        return refusal(
            event if isinstance(event, dict) else {}, "the request is not an agent action-group event"
        )
    function = event.get("function")
    if function not in TOOLS:
        # Answered here rather than by the resolver, whose answer would be "KeyError: '<name>'".
        return refusal(event, f"function {function!r} is not one of this action group's: {', '.join(TOOLS)}")
    return app.resolve(event, context)


def refusal(event: dict[str, Any], message: str) -> dict[str, Any]:
    """A FAILURE answer for an event the resolver cannot take: built from whatever the event has,
    with Powertools' response builder where the event is well enough formed for it."""
    response = BedrockFunctionResponse(body=message, response_state="FAILURE")
    well_formed = {"messageVersion": "1.0", "actionGroup": "", "function": "", "parameters": [], **event}
    well_formed["function"] = str(well_formed["function"] or "")
    return BedrockFunctionsResponseBuilder(response).build(BedrockAgentFunctionEvent(well_formed), serialize)
