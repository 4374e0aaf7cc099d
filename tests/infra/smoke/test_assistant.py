"""The assistant step."""

from __future__ import annotations

import io

import pytest

from infra import smoke
from infra.smoke.steps import assistant as assistant_step
from tests.infra.smoke.data import POLICY_ARN, summary_rows, text, tool_call
from tests.infra.smoke.stubs import Aws

# Assistant


def test_the_assistant_answers_are_shown_and_the_tool_call_is_checked(aws: Aws) -> None:
    aws.stacks("Assistant", "Observability")
    aws.assistant_passes()

    code, out, _ = aws.run("--only", "assistant")

    assert code == 0
    assert f"  Q: {smoke.TOOL_QUESTION}" in out
    assert "    Checking.\n      -> tool operations___list_endpoints {}\n    All InService.\n" in out


def test_a_tool_question_answered_without_a_tool_fails(aws: Aws) -> None:
    aws.stacks("Assistant", "Observability")
    aws.asked("kb", smoke.KNOWLEDGE_QUESTION, [text("Events start ingestion jobs.")])
    aws.asked("tool", smoke.TOOL_QUESTION, [text("There are three endpoints.")])

    code, out, _ = aws.run("--only", "assistant")

    assert code == 1
    result, _, detail = summary_rows(out)["assistant"]
    assert result == "FAIL"
    assert f"the assistant called no tool to answer {smoke.TOOL_QUESTION!r}" in detail
    assert "OperationsTools function log group" in detail


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], "has no text"),
        (
            [text("Half"), {"runtimeClientError": {"message": "container exited"}}],
            "error from the assistant: runtimeClientError: container exited",
        ),
        ([*tool_call(0, "operations___search_knowledge_base")], "has no text"),
    ],
    ids=["empty", "stream-error", "tool-only"],
)
def test_an_empty_or_broken_answer_fails(aws: Aws, events: list[dict], expected: str) -> None:
    aws.stacks("Assistant", "Observability")
    aws.asked("kb", smoke.KNOWLEDGE_QUESTION, events)

    code, out, _ = aws.run("--only", "assistant")

    assert code == 1
    assert expected in summary_rows(out)["assistant"][2]


def test_access_denied_asking_names_the_invoke_policy_and_no_log(aws: Aws) -> None:
    aws.stacks("Assistant", "Observability")
    aws.bedrock_agentcore.add_client_error(
        "invoke_harness",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: bedrock-agentcore:InvokeHarness",
        http_status_code=403,
    )

    code, out, _ = aws.run("--only", "assistant")

    detail = summary_rows(out)["assistant"][2]
    assert code == 1
    assert detail.startswith(f"access denied invoking the assistant: attach the managed policy {POLICY_ARN}")
    assert "look at" not in detail


def test_the_assistant_is_skipped_when_its_stack_is_absent(aws: Aws) -> None:
    aws.no_stack("Assistant")
    aws.stacks("ModelServing", "Observability")
    aws.serverless_passes()

    code, out, _ = aws.run("--only", "assistant,serverless")

    rows = summary_rows(out)
    assert code == 0
    assert rows["assistant"][0] == "SKIP"
    assert rows["assistant"][2] == "stack GenAiPlatform-dev-Assistant is not deployed"
    assert rows["serverless"][0] == "PASS"


def test_the_stream_is_rendered_as_make_ask_renders_it_while_its_text_and_tools_are_collected() -> None:
    transcript = assistant_step._Transcript()
    out = io.StringIO()
    events = [
        text("Let me look."),
        *tool_call(1, "operations___list_endpoints"),
        {"someFutureEvent": {}},
        text(" Two endpoints.", 2),
    ]
    assert assistant_step.render(transcript.observe(events), out)
    assert out.getvalue() == "Let me look.\n  -> tool operations___list_endpoints {}\n Two endpoints.\n"
    assert transcript.answer == "Let me look. Two endpoints."
    assert transcript.tools == ["operations___list_endpoints"]
