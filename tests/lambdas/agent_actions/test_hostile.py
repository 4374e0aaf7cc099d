"""Hostile input for the tools: whatever the event, the context or the model's arguments, the
gateway gets a well-formed result (an error result for a bad call, never a raised exception), and
AWS is called only with values this deployment allows. Examples here; test_hostile_properties.py
has the same as properties."""

from __future__ import annotations

from typing import Any

import pytest
from agent_actions import actions, handler
from agent_actions.actions import InvalidRequestError
from agent_actions.deployment import Deployment
from botocore.exceptions import ClientError

from tests.lambdas.agent_actions.calls import (
    COMPONENT,
    REALTIME,
    error_text,
    gateway_context,
    guardrail_answer,
)
from tests.lambdas.agent_actions.recording import (
    DEPLOYMENT,
    PASSAGES,
    assert_well_formed,
    calls,
    deployed,
    recording_clients,
    run,
)

# --- the inference component ----------------------------------------------------------------------


def test_the_inference_component_comes_from_the_environment() -> None:
    environ = {"REALTIME_ENDPOINT_NAME": REALTIME, "REALTIME_INFERENCE_COMPONENT_NAME": COMPONENT}
    assert Deployment.from_environment(environ).realtime_component == COMPONENT
    assert Deployment.from_environment({"REALTIME_ENDPOINT_NAME": REALTIME}).realtime_component is None


def test_without_an_inference_component_the_endpoint_is_not_called() -> None:
    no_component = Deployment(**{**vars(DEPLOYMENT), "realtime_component": None})
    with deployed(no_component) as clients:
        text = error_text(run("send_test_prediction", digit=7))
    assert text == (
        "send_test_prediction: the real-time endpoint's inference component is not part of this deployment"
    )
    assert calls(clients) == []


def test_every_test_prediction_names_the_inference_component() -> None:
    with deployed() as clients:
        assert run("send_test_prediction", digit=7)["predicted"] == 7
    [(method, params)] = calls(clients)
    assert (method, params["EndpointName"], params["InferenceComponentName"]) == (
        "invoke_endpoint",
        REALTIME,
        COMPONENT,
    )
    assert clients.runtime.violations == []


# --- arguments ------------------------------------------------------------------------------------

BAD_DIGITS = {
    "true": (True, "got True"),
    "a superscript two": ("²", "got '²'"),
    "two minus signs": ("--5", "got '--5'"),
    "5000 digits as text": ("9" * 5000, "got '99999"),
    "a fraction": (7.5, "got 7.5"),
    "a whole float": (7.0, "got 7.0"),
    "a list": ([7], "got [7]"),
    "negative": (-1, "got -1"),
    "huge": (10**40, "got 10000000000000000000000000000000000000000"),
    "past Python's digit limit": (10**5000, "got <a whole number of 16610 bits>"),
}


@pytest.mark.parametrize(("digit", "shown"), BAD_DIGITS.values(), ids=BAD_DIGITS.keys())
def test_a_bad_digit_is_refused_without_calling_the_endpoint(digit: Any, shown: str) -> None:
    with deployed() as clients:
        text = error_text(run("send_test_prediction", digit=digit))
    assert text.startswith("send_test_prediction: parameter digit must be a whole number from 0 to 9, ")
    assert shown in text
    assert len(text) < 200
    assert calls(clients) == []


@pytest.mark.parametrize("digit", [True, False, 7.0, "7", None, -1, 10])
def test_the_action_itself_takes_only_a_whole_number_from_0_to_9(digit: Any) -> None:
    clients = recording_clients()
    with pytest.raises(InvalidRequestError, match="must be a whole number from 0 to 9"):
        actions.send_test_prediction(clients.runtime, DEPLOYMENT, digit)
    assert clients.runtime.calls == []


@pytest.mark.parametrize("limit", [True, 3.0, "3", None, 0, 26])
def test_the_ingestion_jobs_limit_is_a_whole_number_from_1_to_25(limit: Any) -> None:
    clients = recording_clients()
    with pytest.raises(InvalidRequestError, match="must be a whole number from 1 to 25"):
        actions.ingestion_jobs(clients.bedrock_agent, DEPLOYMENT, limit)
    assert clients.bedrock_agent.calls == []


@pytest.mark.parametrize(
    ("query", "max_results", "message"),
    [
        ("vpc", True, "max_results True must be a whole number from 1 to 10"),
        ("vpc", 11, "max_results 11 must be a whole number from 1 to 10"),
        ("vpc", 5.0, "max_results 5.0 must be a whole number from 1 to 10"),
        (" ", 5, "query ' ' must be text of 1 to 2048 characters"),
        (["vpc"], 5, "query ['vpc'] must be text of 1 to 2048 characters"),
        ("v" * 2049, 5, "query 'vvvv"),
    ],
)
def test_the_search_action_itself_checks_its_arguments(query: Any, max_results: Any, message: str) -> None:
    clients = recording_clients()
    with pytest.raises(InvalidRequestError) as refused:
        actions.search_knowledge_base(
            clients.bedrock_agent_runtime, clients.bedrock_runtime, DEPLOYMENT, query, max_results
        )
    assert str(refused.value).startswith(message)
    assert calls(clients) == []


@pytest.mark.parametrize(
    "query", ["\ud800 vpc", "q" * 2049], ids=["a lone surrogate", "longer than any question"]
)
def test_a_query_no_aws_api_takes_is_refused_before_retrieve(query: str) -> None:
    with deployed() as clients:
        text = error_text(run("search_knowledge_base", query=query))
    assert text.startswith("search_knowledge_base: parameter query is ")
    assert calls(clients) == []


BAD_PREFIXES = {
    "a . part": "batch/input/./a/",
    "a .. part": "batch/input/a/../",
    "ending in ..": "batch/input/..",
    "ending in .": "batch/input/.",
    "too long for an S3 key": "batch/input/" + "a" * 1100,
    "a list": ["batch/input/day-1/"],
}


@pytest.mark.parametrize("prefix", BAD_PREFIXES.values(), ids=BAD_PREFIXES.keys())
def test_a_bad_prefix_is_refused_and_no_run_starts(prefix: Any) -> None:
    with deployed() as clients:
        text = error_text(run("start_batch_transform", input_prefix=prefix))
    assert text.startswith("start_batch_transform: ")
    assert len(text) < 300
    assert calls(clients) == []


@pytest.mark.parametrize("prefix", ["batch/input/x\n", "batch/input/./", ["batch/input/"], None])
def test_the_action_itself_refuses_what_is_no_plain_prefix(prefix: Any) -> None:
    clients = recording_clients()
    with pytest.raises(InvalidRequestError, match="must be a plain S3 prefix under 'batch/input/'"):
        actions.start_batch_transform(clients.stepfunctions, DEPLOYMENT, prefix)
    assert clients.stepfunctions.calls == []


# --- answers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        b"<html>502 Bad Gateway</html>",
        b"{}",
        b'{"predictions": []}',
        b'{"predictions": [{"class": 7}]}',
        b"[" * 100_000,
    ],
)
def test_an_answer_that_is_no_prediction_is_an_error_result(answer: bytes) -> None:
    with deployed(answer=answer):
        text = error_text(run("send_test_prediction", digit=7))
    assert text.startswith("send_test_prediction: the endpoint did not answer with one prediction")
    assert len(text) < 200


@pytest.mark.parametrize(
    ("guardrail", "text"),
    [
        (guardrail_answer("GUARDRAIL_INTERVENED", ["Blocked.", "Also blocked."]), "Blocked.\nAlso blocked."),
        (guardrail_answer("GUARDRAIL_INTERVENED"), ""),  # intervened, and nothing of the passage kept
    ],
)
def test_where_the_guardrail_intervenes_no_passage_text_reaches_the_model(guardrail: dict, text: str) -> None:
    with deployed(guardrail=guardrail) as clients:
        result = run("search_knowledge_base", query="scaling")
    assert [passage["text"] for passage in result["passages"]] == [text, text]
    assert all(passage["guardrail_intervened"] for passage in result["passages"])
    assert result["guardrail"].startswith("intervened on 2 of 2 passages")
    sent = [params["content"] for method, params in calls(clients) if method == "apply_guardrail"]
    assert sent == [[{"text": {"text": p["content"]["text"]}}] for p in PASSAGES["retrievalResults"]]


@pytest.mark.parametrize("guardrail", [{}, {"action": None}, {"action": "BLOCKED"}])
def test_a_guardrail_answer_without_a_known_action_withholds_the_passages(guardrail: dict) -> None:
    with deployed(guardrail=guardrail):
        text = error_text(run("search_knowledge_base", query="scaling"))
    assert text.startswith("search_knowledge_base: the guardrail answered action ")
    assert "Endpoints scale to zero" not in text


def test_retrieval_results_without_text_location_or_score_are_read_safely() -> None:
    results = {
        "retrievalResults": [
            {"content": {"type": "IMAGE"}},  # nothing to relay as text
            {"content": {"text": "Only text."}},
            {"content": {"text": "Scored."}, "score": 0.123456, "location": {"type": "WEB"}},
        ]
    }
    no_guardrail = Deployment(**{**vars(DEPLOYMENT), "guardrail_id": None, "guardrail_version": None})
    clients = recording_clients()
    clients.bedrock_agent_runtime._answers["retrieve"] = results
    result = actions.search_knowledge_base(
        clients.bedrock_agent_runtime, clients.bedrock_runtime, no_guardrail, "anything", 3
    )
    assert result["passages"] == [
        {"text": "Only text.", "source": None, "score": None},
        {"text": "Scored.", "source": None, "score": 0.1235},
    ]


# --- well-formed results --------------------------------------------------------------------------


def test_a_huge_unknown_tool_name_is_not_echoed_whole_into_the_message() -> None:
    result = handler.handle({}, gateway_context("x" * 100_000))
    assert error_text(result).startswith("the tool call: there is no tool 'xxxx")
    assert len(error_text(result)) < 300


def test_an_aws_error_message_is_cut_short() -> None:
    def failing(_: dict) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "x" * 100_000}}, "Retrieve")

    with deployed() as clients:
        clients.bedrock_agent_runtime._answers["retrieve"] = failing
        result = run("search_knowledge_base", query="vpc")
    assert_well_formed(result)
    assert error_text(result).startswith("search_knowledge_base: the AWS call failed: An error occurred")
