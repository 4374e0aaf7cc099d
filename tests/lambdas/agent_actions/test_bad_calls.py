"""The tools as the gateway calls them: an error result that says what is wrong for each kind of bad
call, never a success and never a raised exception."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from agent_actions import handler
from botocore.exceptions import EndpointConnectionError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tests.lambdas.agent_actions.calls import (
    REALTIME,
    call,
    error_text,
    gateway_context,
    guardrail_answer,
    retrieval_result,
)

BAD_CALLS = {
    "an unknown tool": (
        "delete_everything",
        {},
        "the tool call: there is no tool 'delete_everything'; the tools are: list_endpoints, ",
    ),
    "a missing required parameter": (
        "describe_endpoint",
        {},
        "describe_endpoint: parameter endpoint_name is required",
    ),
    "a null required parameter": (
        "search_knowledge_base",
        {"query": None},
        "search_knowledge_base: parameter query is required",
    ),
    "an unknown parameter": (
        "list_endpoints",
        {"verbose": True},
        "list_endpoints: unknown parameter 'verbose'; list_endpoints takes no parameters",
    ),
    "unknown parameters": (
        "describe_endpoint",
        {"endpoint_name": REALTIME, "region": "eu-west-1", "force": True},
        "describe_endpoint: unknown parameters ['region', 'force']; describe_endpoint takes endpoint_name",
    ),
    "text of the wrong type": (
        "describe_endpoint",
        {"endpoint_name": 5},
        "describe_endpoint: parameter endpoint_name must be text, got 5",
    ),
    "blank text": (
        "search_knowledge_base",
        {"query": "  "},
        "search_knowledge_base: parameter query is required, got blank text",
    ),
    "a name not in this deployment": (
        "describe_endpoint",
        {"endpoint_name": "genaiplatform-prod-realtime"},
        "describe_endpoint: endpoint_name 'genaiplatform-prod-realtime' is not one of this deployment's",
    ),
    "a number out of range": (
        "send_test_prediction",
        {"digit": 12},
        "send_test_prediction: parameter digit must be a whole number from 0 to 9, got 12",
    ),
    "a limit out of range": (
        "ingestion_jobs",
        {"limit": 99},
        "ingestion_jobs: parameter limit must be a whole number from 1 to 25, got 99",
    ),
    "max_results out of range": (
        "search_knowledge_base",
        {"query": "vpc", "max_results": 0},
        "search_knowledge_base: parameter max_results must be a whole number from 1 to 10, got 0",
    ),
}


@pytest.mark.parametrize(("tool", "arguments", "message"), BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_a_bad_call_is_an_error_result_that_says_what_is_wrong(
    platform: SimpleNamespace, tool: str, arguments: dict, message: str
) -> None:
    assert error_text(call(tool, **arguments)).startswith(message)


@pytest.mark.parametrize(
    "digit",
    [True, 7.0, 7.5, "7", "7.0", "²", [7], {"value": 7}],
    ids=["true", "7.0", "7.5", "text 7", "text 7.0", "superscript two", "a list", "an object"],
)
def test_a_number_that_is_not_a_plain_integer_is_refused(platform: SimpleNamespace, digit: Any) -> None:
    with Stubber(platform.runtime):  # no stubbed answer: the endpoint must not be called
        text = error_text(call("send_test_prediction", digit=digit))
    assert text.startswith("send_test_prediction: parameter digit must be a whole number from 0 to 9, got ")


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (None, "the tool call: no tool name in the Lambda client context (bedrockAgentCoreToolName)"),
        (SimpleNamespace(client_context=None), "the tool call: no tool name in the Lambda client context"),
        (SimpleNamespace(client_context=SimpleNamespace(custom={})), "the tool call: no tool name"),
        (
            SimpleNamespace(client_context=SimpleNamespace(custom={"bedrockAgentCoreToolName": 7})),
            "the tool call: no tool name",
        ),
        (
            SimpleNamespace(
                client_context=SimpleNamespace(custom={"bedrockAgentCoreToolName": "list_endpoints"})
            ),
            "the tool call: tool name 'list_endpoints' is not <target name>___<tool name>",
        ),
        (gateway_context("list_endpoints", target=""), "the tool call: tool name '___list_endpoints' is not"),
        (gateway_context("list_endpoints___x"), "the tool call: there is no tool 'list_endpoints___x'"),
    ],
    ids=[
        "no context",
        "no client context",
        "no tool name",
        "a number",
        "no target",
        "empty target",
        "nested",
    ],
)
def test_a_call_without_a_gateway_tool_name_is_an_error_result(
    platform: SimpleNamespace, context: Any, message: str
) -> None:
    assert error_text(handler.handle({}, context)).startswith(message)


@pytest.mark.parametrize("event", [[], "endpoint_name", 7, True])
def test_arguments_that_are_not_an_object_are_an_error_result(platform: SimpleNamespace, event: Any) -> None:
    text = error_text(handler.handle(event, gateway_context("list_endpoints")))
    assert text.startswith("list_endpoints: the arguments must be a JSON object, got ")


def test_no_arguments_at_all_are_no_arguments(platform: SimpleNamespace) -> None:
    assert handler.handle(None, gateway_context("list_endpoints")) == call("list_endpoints")


def test_an_aws_error_is_an_error_result_the_model_can_relay(platform: SimpleNamespace) -> None:
    with Stubber(platform.runtime) as stub:
        stub.add_client_error(
            "invoke_endpoint", service_error_code="ModelError", service_message="model crashed"
        )
        text = error_text(call("send_test_prediction", digit=3))
    assert text.startswith("send_test_prediction: the AWS call failed: An error occurred (ModelError)")
    assert "model crashed" in text


def test_an_unreachable_service_is_an_error_result(
    platform: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://bedrock-agent-runtime.us-east-1.amazonaws.com")

    monkeypatch.setattr(platform.bedrock_agent_runtime, "retrieve", unreachable)
    text = error_text(call("search_knowledge_base", query="vpc"))
    assert text.startswith(
        "search_knowledge_base: the AWS call failed: Could not connect to the endpoint URL"
    )


def test_an_answer_that_is_no_prediction_is_an_error_result(platform: SimpleNamespace) -> None:
    answer = b"<html>502 Bad Gateway</html>"
    with Stubber(platform.runtime) as stub:
        stub.add_response("invoke_endpoint", {"Body": StreamingBody(io.BytesIO(answer), len(answer))})
        text = error_text(call("send_test_prediction", digit=3))
    assert text == (
        "send_test_prediction: the endpoint did not answer with one prediction: "
        "b'<html>502 Bad Gateway</html>'"
    )


def test_a_guardrail_answer_it_cannot_read_is_an_error_result(platform: SimpleNamespace) -> None:
    with Stubber(platform.bedrock_agent_runtime) as retrieve, Stubber(platform.bedrock_runtime) as guard:
        retrieve.add_response("retrieve", {"retrievalResults": [retrieval_result("VPC", "s3://d/v.md", 0.5)]})
        guard.add_response("apply_guardrail", guardrail_answer("NONE") | {"action": "MAYBE"})
        text = error_text(call("search_knowledge_base", query="vpc"))
    assert text == "search_knowledge_base: the guardrail answered action 'MAYBE', neither NONE nor intervened"


def test_an_unforeseen_failure_is_still_an_error_result(
    platform: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def without_config(**_: Any) -> dict:
        return {"EndpointStatus": "InService"}

    monkeypatch.setattr(platform.sagemaker, "describe_endpoint", without_config)
    text = error_text(call("describe_endpoint", endpoint_name=REALTIME))
    assert text == "describe_endpoint failed unexpectedly (KeyError)"
