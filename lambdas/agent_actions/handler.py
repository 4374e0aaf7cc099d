"""Lambda entry point of the operations assistant's tools: the one Lambda target of its AgentCore
Gateway (MCP).

The contract is the AgentCore Developer Guide's "AWS Lambda function targets"
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-add-target-lambda.html,
section "Lambda function input format") with "Understand how AgentCore Gateway tools are named":
the event is the tool's arguments (a flat JSON object), the tool's name is
`context.client_context.custom["bedrockAgentCoreToolName"]` as "<target name>___<tool name>", and
what the function returns (valid JSON) is the tool's result. gateway.py reads and checks the call.

Thin: read the call, run the tool's plain function of actions.py, return its result. Whatever
goes wrong (an unknown tool, a bad argument, an AWS error, an endpoint's unexpected answer,
anything unforeseen), the model gets an error result that says what (gateway.tool_error), never a
raised exception: the gateway would pass that on, with its debugging messages off, only as "An
internal error occurred" ("Turn on debugging messages",
https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-debug-messages.html), which
the model can neither relay nor correct.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from agent_actions import actions
from agent_actions.actions import (
    EndpointRuntime,
    Endpoints,
    Guardrails,
    IngestionJobs,
    InvalidRequestError,
    KnowledgeBases,
    StateMachines,
    UnexpectedAnswerError,
)
from agent_actions.deployment import Deployment, MisconfiguredError
from agent_actions.gateway import tool_arguments, tool_error, tool_name

logger = Logger()


class Clients:
    """AWS clients, each created on first use and kept for the container's life: importing this
    module creates none, a cold start pays only for what its tool calls, and a warm invocation
    reuses them."""

    @functools.cached_property
    def sagemaker(self) -> Endpoints:
        return boto3.client("sagemaker")

    @functools.cached_property
    def runtime(self) -> EndpointRuntime:
        return boto3.client("sagemaker-runtime")

    @functools.cached_property
    def stepfunctions(self) -> StateMachines:
        return boto3.client("stepfunctions")

    @functools.cached_property
    def bedrock_agent(self) -> IngestionJobs:
        return boto3.client("bedrock-agent")

    @functools.cached_property
    def bedrock_agent_runtime(self) -> KnowledgeBases:
        return boto3.client("bedrock-agent-runtime")

    @functools.cached_property
    def bedrock_runtime(self) -> Guardrails:
        return boto3.client("bedrock-runtime")


clients = Clients()
deployment = Deployment.from_environment(dict(os.environ))


# One function per tool of tools.TOOLS, taking exactly its schema's parameters (a test holds them
# to it): each hands this deployment and the clients it needs to the plain function of actions.py.


def list_endpoints() -> list[dict[str, str]]:
    return actions.list_endpoints(clients.sagemaker, deployment)


def describe_endpoint(endpoint_name: str) -> dict[str, Any]:
    return actions.describe_endpoint(clients.sagemaker, deployment, endpoint_name)


def send_test_prediction(digit: int) -> dict[str, Any]:
    return actions.send_test_prediction(clients.runtime, deployment, digit)


def start_batch_transform(input_prefix: str) -> dict[str, str]:
    return actions.start_batch_transform(clients.stepfunctions, deployment, input_prefix)


def ingestion_jobs(limit: int) -> list[dict[str, Any]]:
    return actions.ingestion_jobs(clients.bedrock_agent, deployment, limit)


def search_knowledge_base(query: str, max_results: int) -> dict[str, Any]:
    return actions.search_knowledge_base(
        clients.bedrock_agent_runtime, clients.bedrock_runtime, deployment, query, max_results
    )


TOOL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "list_endpoints": list_endpoints,
    "describe_endpoint": describe_endpoint,
    "send_test_prediction": send_test_prediction,
    "start_batch_transform": start_batch_transform,
    "ingestion_jobs": ingestion_jobs,
    "search_knowledge_base": search_knowledge_base,
}


@logger.inject_lambda_context
def lambda_handler(event: Any, context: LambdaContext) -> Any:
    return handle(event, context)


def handle(event: Any, context: Any) -> Any:
    """The tool's result, or an error result saying why there is none."""
    tool = "the tool call"  # until the call names one of the tools
    try:
        tool = tool_name(context)
        arguments = tool_arguments(tool, event)
        return TOOL_FUNCTIONS[tool](**arguments)
    except InvalidRequestError as error:
        return tool_error(f"{tool}: {error}")
    except (ClientError, BotoCoreError) as error:
        logger.exception("AWS call failed", extra={"tool": tool})
        return tool_error(f"{tool}: the AWS call failed: {error}")
    except (UnexpectedAnswerError, MisconfiguredError) as error:
        logger.error("tool failed", extra={"tool": tool, "reason": str(error)})
        return tool_error(f"{tool}: {error}")
    except Exception as error:  # the model gets an answer whatever happens; the log has the trace
        logger.exception("tool failed unexpectedly", extra={"tool": tool})
        return tool_error(f"{tool} failed unexpectedly ({type(error).__name__})")
