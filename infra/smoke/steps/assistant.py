"""The assistant step: a question the knowledge base answers, and one that needs a tool."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import StringIO, TextIOBase
from typing import TextIO

from botocore.exceptions import ClientError

from infra.ask.deployment import Assistant, invoke
from infra.ask.errors import code_and_message, one_line
from infra.ask.stream import render
from infra.smoke.errors import ACCESS_DENIED, StepFailedError
from infra.smoke.runner import Runner

KNOWLEDGE_QUESTION = (
    "How does this platform keep its knowledge base in sync with the documents bucket? "
    "Answer from the knowledge base, in two sentences."
)
TOOL_QUESTION = "List this platform's SageMaker endpoints and their status."


@dataclass
class _Transcript:
    """What an InvokeHarness stream said, collected while `render` prints it."""

    text: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)

    def observe(self, events: Iterable[dict]) -> Iterator[dict]:
        for event in events:
            if isinstance(event, dict):
                start = (event.get("contentBlockStart") or {}).get("start") or {}
                if "toolUse" in start:
                    self.tools.append(str(start["toolUse"].get("name", "?")))
                delta = (event.get("contentBlockDelta") or {}).get("delta") or {}
                if isinstance(delta.get("text"), str):
                    self.text.append(delta["text"])
            yield event

    @property
    def answer(self) -> str:
        return "".join(self.text).strip()


class _Indented(TextIOBase):
    """Writes to `out` with each line indented, keeping a copy: the answer streams as it comes."""

    def __init__(self, out: TextIO, prefix: str) -> None:
        super().__init__()
        self.out = out
        self.prefix = prefix
        self.at_line_start = True
        self.copy = StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        for piece in text.splitlines(keepends=True):
            if self.at_line_start:
                self.out.write(self.prefix)
            self.out.write(piece)
            self.at_line_start = piece.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


class AssistantStep(Runner):
    """`assistant`: two answers through the harness's endpoint, the second with a tool call."""

    def step_assistant(self) -> str:
        outputs = self.deployment.outputs("Assistant")  # StepSkippedError when the stack is absent
        assistant = Assistant(
            outputs["HarnessArn"], outputs["HarnessEndpointName"], outputs.get("InvokePolicyArn")
        )
        agentcore = self.client("bedrock-agentcore")
        tools: list[str] = []
        for label, question, needs_tool in (
            ("kb", KNOWLEDGE_QUESTION, False),
            ("tool", TOOL_QUESTION, True),
        ):
            self.say(f"  Q: {question}")
            transcript = _Transcript()
            rendered = _Indented(self.out, "    ")
            try:
                stream = invoke(agentcore, assistant, f"smoke-{self.token}-{label}", question)
            except ClientError as error:
                if code_and_message(error)[0] in ACCESS_DENIED:
                    policy = assistant.invoke_policy_arn or "of the stack output InvokePolicyArn"
                    raise StepFailedError(
                        f"access denied invoking the assistant: attach the managed policy {policy} "
                        f"({one_line(code_and_message(error)[1], 200)})",
                        look=False,
                    ) from None
                raise
            ok = render(transcript.observe(stream), rendered)
            if not ok:
                errors = [
                    line for line in rendered.copy.getvalue().splitlines() if line.startswith("error from")
                ]
                raise StepFailedError(
                    f"the answer to {question!r} ended in an error: {errors[-1] if errors else '?'}"
                )
            if not transcript.answer:
                raise StepFailedError(f"the answer to {question!r} has no text")
            if needs_tool and not transcript.tools:
                raise StepFailedError(f"the assistant called no tool to answer {question!r}")
            tools.extend(transcript.tools)
        called = ", ".join(dict.fromkeys(tools)) or "none"
        return f"2 answers; tools called: {called}"
