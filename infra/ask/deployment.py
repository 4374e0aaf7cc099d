"""The deployed assistant: the profile's region (cdk.json), the stack's outputs that name the
harness and its endpoint, and the InvokeHarness call."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra.ask.errors import AskError, code_and_message, one_line
from infra.naming import Names

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"
# As in infra/config/deployment.py and the Makefile: the profile a plain `make deploy` deploys.
DEFAULT_PROFILE = "dev"
# The harness stops itself after assistant_timeout_seconds (at most 900: infra/config/assistant.py); while
# it calls tools the stream can be silent for minutes, longer than botocore's 60-second default.
READ_TIMEOUT_SECONDS = 960


@dataclass(frozen=True)
class Assistant:
    """What the stack's outputs say about the deployed assistant."""

    harness_arn: str
    endpoint_name: str
    invoke_policy_arn: str | None


def assistant_stack_name(profile: str) -> str:
    """The stack's name, from the one naming module the stacks use too."""
    return Names(profile=profile).stack("Assistant")


def load_region(profile: str, cdk_json: Path | None = None) -> str:
    """The profile's region from cdk.json, as a `make deploy` without `-c region=...` deploys it."""
    cdk_json = cdk_json or CDK_JSON
    try:
        profiles = json.loads(cdk_json.read_text(encoding="utf-8"))["context"]["profiles"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AskError(f"cannot read context.profiles from {cdk_json}: {error}") from None
    if profile not in profiles:
        raise AskError(f"unknown profile {profile!r}: cdk.json defines {', '.join(profiles)}")
    region = profiles[profile].get("region") if isinstance(profiles[profile], dict) else None
    if not isinstance(region, str) or not region:
        raise AskError(f"profile {profile!r} in cdk.json has no region")
    return region


def assistant_enabled(profile: str) -> bool:
    """Whether cdk.json leaves the assistant on for the profile (its default, infra/config/assistant.py)."""
    try:
        settings = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]["profiles"][profile]
    except (OSError, ValueError, KeyError, TypeError):
        return True
    return str(settings.get("assistant", True)).lower() not in ("false", "0", "no", "off")


def find_assistant(cloudformation: Any, profile: str, region: str) -> Assistant:
    """The harness and endpoint from the stack's outputs: nothing to configure by hand, and the
    right ones after every redeploy."""
    stack = assistant_stack_name(profile)
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        code, message = code_and_message(error)
        if code == "ValidationError" and "does not exist" in message:
            if not assistant_enabled(profile):
                raise AskError(
                    f"stack {stack} does not exist in {region}: profile {profile!r} turns the "
                    "assistant off (assistant=false in cdk.json)"
                ) from None
            deploy = "make deploy" + ("" if profile == DEFAULT_PROFILE else f" PROFILE={profile}")
            raise AskError(f"stack {stack} is not deployed in {region}: deploy it with {deploy}") from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise AskError(
                f"access denied reading the outputs of stack {stack}: allow cloudformation:DescribeStacks "
                f"on it ({one_line(message, 300)})"
            ) from None
        raise
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stacks[0].get("Outputs", [])}
    missing = [key for key in ("HarnessArn", "HarnessEndpointName") if not outputs.get(key)]
    if missing:
        raise AskError(
            f"stack {stack} ({stacks[0].get('StackStatus', 'status unknown')}) has no "
            f"{' or '.join(missing)} output: the assistant is turned off or not yet deployed; "
            "deploy with assistant=true"
        )
    return Assistant(outputs["HarnessArn"], outputs["HarnessEndpointName"], outputs.get("InvokePolicyArn"))


def new_session_id() -> str:
    """A UUID4 (36 characters): random enough that sessions never collide, long enough for the API."""
    return str(uuid.uuid4())


def invoke(agentcore: Any, assistant: Assistant, session_id: str, question: str) -> Iterable[dict]:
    """InvokeHarness on the endpoint (`qualifier`: without it the DEFAULT endpoint answers, not the
    one the stack manages); the session id keeps the conversation (AgentCore memory)."""
    response = agentcore.invoke_harness(
        harnessArn=assistant.harness_arn,
        qualifier=assistant.endpoint_name,
        runtimeSessionId=session_id,
        messages=[{"role": "user", "content": [{"text": question}]}],
    )
    return response["stream"]
