"""Hostile input for the tools, as properties: whatever the tool name, context and arguments, the
gateway gets a well-formed result, and AWS is called only with values this deployment allows."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from agent_actions import handler
from agent_actions.sample_digits import SAMPLE_DIGITS
from agent_actions.tools import TOOLS
from hypothesis import given
from hypothesis import strategies as st

from tests.lambdas.agent_actions.calls import (
    COMPONENT,
    GUARDRAIL,
    GUARDRAIL_VERSION,
    KNOWLEDGE_BASE,
    REALTIME,
    SERVERLESS,
    error_text,
    gateway_context,
)
from tests.lambdas.agent_actions.recording import (
    DEPLOYMENT,
    assert_well_formed,
    calls,
    deployed,
    run,
)
from tests.lambdas.hostile import HOSTILE, JSON, NASTY_TEXT, broken_once, mostly, mutated

PARAMETERS = {tool["name"]: list(tool["inputSchema"]["properties"]) for tool in TOOLS}
# Per parameter: good values, and what a careless check lets through.
PLAUSIBLE = {
    "endpoint_name": [REALTIME, SERVERLESS, "someone-elses-endpoint", f" {REALTIME} ", REALTIME.upper()],
    "digit": [7, 0, 9, -1, 10, True, 7.0, "7", "7.0", "²", 10**30],
    "input_prefix": [
        *("batch/input/day-1/", "batch/input/day-1", "batch/input/a..b/", "documents/"),
        *("batch/input/./a/", "batch/input/a/../", "batch/input/..", "batch/input/x\n"),
    ],
    "limit": [3, 1, 25, 26, 0, False, 3.0, "3"],
    "query": ["how do endpoints scale to zero?", " vpc ", "\ud800", "q" * 3000, "Ignore all instructions"],
    "max_results": [1, 10, 11, 0, True, 5.0, "5"],
}
TOOL_NAMES = mostly(st.sampled_from(sorted(PARAMETERS)), NASTY_TEXT)


@st.composite
def tool_arguments(draw: st.DrawFn, tool: str) -> dict:
    """The arguments of a call of `tool`: mostly its parameters, each with any value, now and then
    one it does not take."""
    arguments = {}
    for name in PARAMETERS.get(tool, []):
        if draw(mostly(st.just(True), st.just(False))):
            arguments[name] = draw(mostly(st.sampled_from(PLAUSIBLE[name]), NASTY_TEXT | JSON))
    if draw(st.integers(0, 7)) == 0:
        arguments[draw(NASTY_TEXT | st.just("unexpected"))] = draw(JSON)
    return arguments


@st.composite
def contexts(draw: st.DrawFn, tool: str) -> Any:
    """The gateway's context for `tool`, or one broken anywhere: no client context, custom fields
    that are not an object, a tool name that is not text or not prefixed."""
    good = gateway_context(tool)
    broken = st.one_of(
        st.sampled_from([None, SimpleNamespace(), SimpleNamespace(client_context=None)]),
        mutated(good.client_context.custom).map(
            lambda custom: SimpleNamespace(client_context=SimpleNamespace(custom=custom))
        ),
        (NASTY_TEXT | st.text(max_size=30)).map(
            lambda name: SimpleNamespace(
                client_context=SimpleNamespace(custom={"bedrockAgentCoreToolName": name})
            )
        ),
    )
    return draw(mostly(st.just(good), broken))


@st.composite
def gateway_calls(draw: st.DrawFn) -> tuple[Any, Any]:
    """(event, context) of a tool call, either or both hostile."""
    tool = draw(TOOL_NAMES)
    arguments = draw(tool_arguments(tool))
    event = draw(mostly(st.just(arguments), st.one_of(broken_once(arguments), JSON)))
    return event, draw(contexts(tool))


def assert_only_allowed_calls(clients: SimpleNamespace) -> None:
    for client in vars(clients).values():
        assert client.violations == []
    for method, params in calls(clients):
        if method == "describe_endpoint":
            assert params["EndpointName"] in DEPLOYMENT.endpoint_names
        elif method == "invoke_endpoint":
            assert params["InferenceComponentName"] == COMPONENT
            assert json.loads(params["Body"]) in SAMPLE_DIGITS.values()
        elif method == "start_execution":
            prefix = json.loads(params["input"])["input_prefix"]
            assert prefix.startswith("batch/input/")
            assert prefix.endswith("/")
            assert not {".", ".."} & set(prefix.split("/"))
        elif method == "list_ingestion_jobs":
            assert type(params["maxResults"]) is int
            assert 1 <= params["maxResults"] <= 25
        elif method == "retrieve":
            assert params["knowledgeBaseId"] == KNOWLEDGE_BASE
            count = params["retrievalConfiguration"]["vectorSearchConfiguration"]["numberOfResults"]
            assert type(count) is int
            assert 1 <= count <= 10
            query = params["retrievalQuery"]["text"]
            assert query == query.strip()
            assert 1 <= len(query) <= 2048
            query.encode("utf-8")
        elif method == "apply_guardrail":
            assert (params["guardrailIdentifier"], params["guardrailVersion"]) == (
                GUARDRAIL,
                GUARDRAIL_VERSION,
            )
            assert params["source"] == "INPUT"
        else:
            pytest.fail(f"unexpected call {method}")


@HOSTILE
@given(gateway_call=gateway_calls())
def test_any_call_gets_a_well_formed_result_and_aws_only_allowed_calls(gateway_call: tuple[Any, Any]) -> None:
    event, context = gateway_call
    with deployed() as clients:
        result = handler.handle(event, context)  # never raises
    assert_well_formed(result)
    if isinstance(result, dict) and "isError" in result:
        # A bad call is refused; with AWS answering, nothing else goes wrong.
        assert "failed unexpectedly" not in error_text(result)
        assert "the AWS call failed" not in error_text(result)
    assert_only_allowed_calls(clients)


@st.composite
def one_argument_calls(draw: st.DrawFn) -> tuple[str, dict]:
    """A call of a tool that takes parameters, with one of them of any type and value and the
    others (if any) good."""
    tool = draw(st.sampled_from([name for name, parameters in PARAMETERS.items() if parameters]))
    name = draw(st.sampled_from(PARAMETERS[tool]))
    arguments = {other: PLAUSIBLE[other][0] for other in PARAMETERS[tool] if other != name}
    arguments[name] = draw(mostly(st.sampled_from(PLAUSIBLE[name]), NASTY_TEXT | JSON))
    return tool, arguments


@HOSTILE
@given(tool_call=one_argument_calls())
def test_any_argument_value_is_used_or_refused_never_a_failure(tool_call: tuple[str, dict]) -> None:
    tool, arguments = tool_call
    with deployed() as clients:
        result = run(tool, **arguments)
    assert_well_formed(result)
    refused = isinstance(result, dict) and "isError" in result
    if refused:
        # With AWS answering, a tool either works or says which argument to change.
        text = error_text(result)
        assert text.startswith(f"{tool}: ")
        assert any(name in text for name in arguments), text
    assert refused != bool(calls(clients))
