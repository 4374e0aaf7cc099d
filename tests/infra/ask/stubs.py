"""Stubbed CloudFormation and AgentCore clients for the ask tests, and builders of stream events."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
from botocore.stub import Stubber

from infra import ask
from tests.support.aws_cli import described_stack

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"  # cdk.json, profiles dev and prod
STACK = "GenAiPlatform-dev-Assistant"
HARNESS_ARN = (
    f"arn:aws:bedrock-agentcore:{REGION}:123456789012:harness/GenAiPlatform_dev_operations-AbCdEfGhIj"
)
POLICY_ARN = "arn:aws:iam::123456789012:policy/GenAiPlatform-dev-Assistant-InvokePolicy-1A2B3C"
OUTPUTS = {"HarnessArn": HARNESS_ARN, "HarnessEndpointName": "live", "InvokePolicyArn": POLICY_ARN}
QUESTION = "Which endpoints are in service?"


class SessionId:
    """Equal to any valid runtimeSessionId (33 to 100 of [a-zA-Z0-9_-]); remembers what it saw."""

    seen: str | None = None

    def __eq__(self, other: object) -> bool:
        self.seen = other if isinstance(other, str) else None
        return isinstance(other, str) and re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{32,99}", other) is not None

    __hash__ = None


class Aws:
    """Stubbed CloudFormation and AgentCore clients, and how to run the CLI against them."""

    def __init__(self) -> None:
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.cloudformation = boto3.client("cloudformation", region_name=REGION, **credentials)
        self.agentcore = boto3.client("bedrock-agentcore", region_name=REGION, **credentials)
        self.cfn_stub = Stubber(self.cloudformation)
        self.agentcore_stub = Stubber(self.agentcore)
        self.events: list[dict] = []
        self.agentcore.meta.events.register("after-call.bedrock-agentcore.InvokeHarness", self._serve)

    def _serve(self, parsed: dict, **_: object) -> None:
        parsed["stream"] = iter(self.events)

    def stack(self, outputs: dict[str, str], stack: str = STACK, status: str = "CREATE_COMPLETE") -> None:
        self.cfn_stub.add_response(
            "describe_stacks", described_stack(stack, status, outputs), {"StackName": stack}
        )

    def answer(self, events: list[dict], session: object, question: str = QUESTION) -> None:
        self.events = events
        self.agentcore_stub.add_response(
            "invoke_harness",
            {"stream": {}},
            {
                "harnessArn": HARNESS_ARN,
                "qualifier": "live",
                "runtimeSessionId": session,
                "messages": [{"role": "user", "content": [{"text": question}]}],
            },
        )

    def run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with self.cfn_stub, self.agentcore_stub:
            code = ask.main(
                list(argv), cloudformation=self.cloudformation, agentcore=self.agentcore, out=out, err=err
            )
            self.cfn_stub.assert_no_pending_responses()
            self.agentcore_stub.assert_no_pending_responses()
        return code, out.getvalue(), err.getvalue()


def text(chunk: str, index: int = 0) -> dict:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"text": chunk}}}


def tool_call(index: int, tool_use_id: str, name: str, *input_fragments: str) -> list[dict]:
    return [
        {
            "contentBlockStart": {
                "contentBlockIndex": index,
                "start": {"toolUse": {"toolUseId": tool_use_id, "name": name}},
            }
        },
        *(
            {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"toolUse": {"input": fragment}}}}
            for fragment in input_fragments
        ),
        {"contentBlockStop": {"contentBlockIndex": index}},
    ]


def tool_result(index: int, tool_use_id: str, status: str, *parts: dict) -> list[dict]:
    return [
        {
            "contentBlockStart": {
                "contentBlockIndex": index,
                "start": {"toolResult": {"toolUseId": tool_use_id, "status": status}},
            }
        },
        {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"toolResult": list(parts)}}},
        {"contentBlockStop": {"contentBlockIndex": index}},
    ]


def rendered(events: list[dict] | Iterator[dict]) -> tuple[bool, str]:
    out = io.StringIO()
    ok = ask.render(events, out)
    return ok, out.getvalue()


def assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 1
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ask: ")
    for fragment in expected:
        assert fragment in lines[0]
