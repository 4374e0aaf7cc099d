"""How an InvokeHarness event stream is printed as it arrives (shared with infra/smoke)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from botocore.exceptions import ClientError

from infra.ask.errors import code_and_message, one_line

# Stop reasons of an answer that ended as it should; any other one is worth a line.
NORMAL_STOPS = frozenset({"end_turn", "tool_use", "tool_result"})
# Modelled exceptions of InvokeHarnessStreamOutput, should they arrive as events.
STREAM_ERRORS = ("internalServerException", "validationException", "runtimeClientError")
TOOL_INPUT_CHARS = 200
TOOL_RESULT_CHARS = 160


def _compact_json(raw: str) -> str:
    """Tool input arrives as fragments of one JSON text: re-encode it on one line if it parses."""
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


class _Renderer:
    """The state of one stream: tool blocks collect their deltas until they stop, and a tool line
    never starts in the middle of streamed text."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.at_line_start = True
        self.blocks: dict[int, dict[str, Any]] = {}
        self.tool_names: dict[str, str] = {}
        self.ok = True

    def write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.at_line_start = text.endswith("\n")

    def line(self, text: str) -> None:
        if not self.at_line_start:
            self.write("\n")
        self.write(text + "\n")

    def event(self, event: dict) -> None:
        if "contentBlockStart" in event:
            self.start(event["contentBlockStart"])
        elif "contentBlockDelta" in event:
            self.delta(event["contentBlockDelta"])
        elif "contentBlockStop" in event:
            self.stop(event["contentBlockStop"].get("contentBlockIndex", 0))
        elif "messageStop" in event:
            reason = event["messageStop"].get("stopReason", "")
            if reason and reason not in NORMAL_STOPS:
                self.line(f"  [stopped: {reason}]")
        elif "hookEvent" in event:
            hook = event["hookEvent"]
            if hook.get("decision") == "deny":
                reason = f": {hook['reason']}" if hook.get("reason") else ""
                self.line(f"  [hook {hook.get('name')} denied {hook.get('type')}{reason}]")
        else:
            for name in STREAM_ERRORS:
                if name in event:
                    self.error(name, str((event[name] or {}).get("message", "")))
                    return
            # messageStart, metadata and event types newer than this code: nothing to show.

    def start(self, event: dict) -> None:
        index = event.get("contentBlockIndex", 0)
        if index in self.blocks:  # a stream that reuses an index without a stop
            self.stop(index)
        start = event.get("start") or {}
        if "toolUse" in start:
            tool = start["toolUse"]
            self.tool_names[tool.get("toolUseId", "")] = tool.get("name", "?")
            self.blocks[index] = {"kind": "toolUse", "name": tool.get("name", "?"), "parts": []}
        elif "toolResult" in start:
            result = start["toolResult"]
            name = self.tool_names.get(result.get("toolUseId", ""), "tool")
            self.blocks[index] = {
                "kind": "toolResult",
                "name": name,
                "status": result.get("status", "success"),
                "parts": [],
            }

    def delta(self, event: dict) -> None:
        delta = event.get("delta") or {}
        block = self.blocks.get(event.get("contentBlockIndex", 0))
        if "text" in delta:
            self.write(delta["text"])
        elif "toolUse" in delta and block and block["kind"] == "toolUse":
            block["parts"].append(delta["toolUse"].get("input", ""))
        elif "toolResult" in delta and block and block["kind"] == "toolResult":
            for part in delta["toolResult"]:
                if "text" in part:
                    block["parts"].append(part["text"])
                elif "json" in part:
                    block["parts"].append(json.dumps(part["json"], ensure_ascii=False))
        # reasoningContent and toolResultMetadata: the model's scratch work, not the answer.

    def stop(self, index: int) -> None:
        block = self.blocks.pop(index, None)
        if block is None:
            return
        body = "".join(block["parts"])
        if block["kind"] == "toolUse":
            shown = one_line(_compact_json(body), TOOL_INPUT_CHARS) if body else "{}"
            self.line(f"  -> tool {block['name']} {shown}")
        else:
            verb = "failed" if block["status"] == "error" else "returned"
            self.line(f"  <- {block['name']} {verb}: {one_line(body, TOOL_RESULT_CHARS) or '(nothing)'}")

    def error(self, code: str, message: str) -> None:
        self.ok = False
        self.line(f"error from the assistant: {code}: {one_line(message, 500) or '(no message)'}")

    def finish(self) -> None:
        for index in list(self.blocks):
            self.stop(index)
        if not self.at_line_start:
            self.write("\n")


def render(events: Iterable[dict], out: TextIO) -> bool:
    """Print an InvokeHarness stream as it arrives: text deltas inline, each tool call and a short
    form of its result on their own lines, an error as one line, and a final newline. Unknown event
    types are skipped, so a newer service does not break an older CLI.

    Errors go to `out` too, where they fall in order with the answer. Returns False if the stream
    reported an error (an exception event, or botocore raising one while reading the stream)."""
    renderer = _Renderer(out)
    try:
        for event in events:
            if isinstance(event, dict):
                renderer.event(event)
    except ClientError as error:  # botocore's EventStreamError: an exception message in the stream
        renderer.error(*code_and_message(error))
    finally:
        renderer.finish()
    return renderer.ok
