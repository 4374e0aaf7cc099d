"""How the answer's event stream is printed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import EventStreamError

from tests.infra.ask.stubs import rendered, text, tool_call, tool_result

# Rendering the stream


def test_text_deltas_are_joined_and_end_with_one_newline() -> None:
    ok, out = rendered([text("The "), text("real-time "), text("endpoint is InService.")])
    assert ok
    assert out == "The real-time endpoint is InService.\n"


def test_an_answer_ending_in_a_newline_gets_no_second_one() -> None:
    assert rendered([text("Done.\n")]) == (True, "Done.\n")
    assert rendered([]) == (True, "")


def test_tool_calls_and_results_get_their_own_lines_as_they_happen() -> None:
    events = [
        text("Let me look."),
        *tool_call(1, "t1", "operations___list_endpoints", '{"sta', 'tus": "InService"}'),
        *tool_result(2, "t1", "success", {"json": {"endpoints": ["realtime", "async"]}}),
        text("Two:", 3),
        text(" realtime and async.", 3),
    ]
    ok, out = rendered(events)
    assert ok
    assert out.splitlines() == [
        "Let me look.",
        '  -> tool operations___list_endpoints {"status": "InService"}',
        '  <- operations___list_endpoints returned: {"endpoints": ["realtime", "async"]}',
        "Two: realtime and async.",
    ]


def test_a_failed_tool_and_a_long_result_are_shown_briefly() -> None:
    events = [
        *tool_call(0, "t1", "operations___start_batch_run"),
        *tool_result(1, "t1", "error", {"text": "Access\ndenied"}),
        *tool_call(2, "t2", "operations___search_knowledge_base", '{"query": "x"}'),
        *tool_result(3, "t2", "success", {"text": "word " * 500}),
    ]
    _, out = rendered(events)
    lines = out.splitlines()
    assert lines[:2] == [
        "  -> tool operations___start_batch_run {}",
        "  <- operations___start_batch_run failed: Access denied",
    ]
    assert lines[3].startswith("  <- operations___search_knowledge_base returned: word word")
    assert lines[3].endswith("...")
    assert len(lines[3]) < 250


def test_unknown_and_uninteresting_events_are_ignored() -> None:
    events = [
        {"messageStart": {"role": "assistant"}},
        {"someFutureEvent": {"anything": 1}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}},
        {"contentBlockStart": {"contentBlockIndex": 1, "start": {"somethingNew": {}}}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolResultMetadata": {"metadata": "{}"}}}},
        {"contentBlockStop": {"contentBlockIndex": 7}},
        {"hookEvent": {"hookEventId": "x", "name": "audit", "type": "before_tool_call", "decision": "allow"}},
        text("Only this."),
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {
                "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
                "metrics": {"latencyMs": 9},
            }
        },
    ]
    assert rendered(events) == (True, "Only this.\n")


def test_an_error_event_is_one_line_and_fails_the_stream() -> None:
    ok, out = rendered([text("Half an ans"), {"internalServerException": {"message": "Internal\nerror"}}])
    assert not ok
    assert out == "Half an ans\nerror from the assistant: internalServerException: Internal error\n"


def test_an_exception_raised_while_reading_the_stream_is_one_line() -> None:
    """botocore raises EventStreamError when the stream carries an exception message."""

    def stream() -> Iterator[dict]:
        yield text("Starting")
        yield from tool_call(1, "t1", "operations___list_endpoints", '{"a":')
        raise EventStreamError(
            {"Error": {"Code": "validationException", "Message": "bad tool input"}}, "InvokeHarness"
        )

    ok, out = rendered(stream())
    assert not ok
    assert out.splitlines() == [
        "Starting",
        '  -> tool operations___list_endpoints {"a":',
        "error from the assistant: validationException: bad tool input",
    ]


@pytest.mark.parametrize(
    ("event", "line"),
    [
        ({"messageStop": {"stopReason": "max_iterations_exceeded"}}, "  [stopped: max_iterations_exceeded]"),
        (
            {
                "hookEvent": {
                    "hookEventId": "x",
                    "name": "guard",
                    "type": "before_tool_call",
                    "decision": "deny",
                    "reason": "no",
                }
            },
            "  [hook guard denied before_tool_call: no]",
        ),
    ],
    ids=["stop-reason", "hook-denied"],
)
def test_an_answer_cut_short_says_why(event: dict, line: str) -> None:
    assert rendered([text("Partial"), event]) == (True, f"Partial\n{line}\n")
