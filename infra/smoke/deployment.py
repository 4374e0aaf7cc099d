"""The deployment a run tries: the stacks each step needs, their CloudFormation outputs, and the
clients in their region."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError

from infra.ask.deployment import DEFAULT_PROFILE, READ_TIMEOUT_SECONDS, assistant_enabled
from infra.ask.errors import code_and_message, one_line
from infra.naming import Names
from infra.smoke.errors import ACCESS_DENIED, SmokeError, StepSkippedError

STEPS = ("knowledge-base", "assistant", "realtime", "serverless", "async", "batch")
# The stack each step reads its outputs from, and the outputs it needs.
STEP_STACK = {
    "knowledge-base": "KnowledgeBase",
    "assistant": "Assistant",
    "realtime": "ModelServing",
    "serverless": "ModelServing",
    "async": "OfflineInference",
    "batch": "OfflineInference",
}
STACK_OUTPUTS = {
    "KnowledgeBase": ("KnowledgeBaseId", "DataSourceId", "DocumentsUri"),
    "ModelServing": ("RealtimeEndpointName", "RealtimeInferenceComponentName", "ServerlessEndpointName"),
    "OfflineInference": (
        "AsyncEndpointName",
        "AsyncInboxUri",
        "AsyncOutputUri",
        "AsyncFailureUri",
        "BatchStateMachineArn",
        "BatchInputUri",
    ),
    "Assistant": ("HarnessArn", "HarnessEndpointName"),
    "Observability": ("DashboardUrl",),
}
# Stacks a run can do without: the assistant is optional (assistant=false), and the dashboard
# only helps to say where to look.
OPTIONAL_STACKS = frozenset({"Assistant", "Observability"})


@dataclass(frozen=True)
class Deployment:
    profile: str
    region: str
    # Outputs per stack role; None for an optional stack that is not deployed (`notes` says why).
    stacks: dict[str, dict[str, str] | None]
    notes: dict[str, str] = field(default_factory=dict)

    def stack_name(self, role: str) -> str:
        return stack_name(self.profile, role)

    def outputs(self, role: str) -> dict[str, str]:
        outputs = self.stacks.get(role)
        if outputs is None:
            raise StepSkippedError(self.notes.get(role) or f"stack {self.stack_name(role)} is not deployed")
        return outputs

    @property
    def dashboard_url(self) -> str | None:
        observability = self.stacks.get("Observability")
        return observability.get("DashboardUrl") if observability else None


def stack_name(profile: str, role: str) -> str:
    """The stack's name, from the one naming module the stacks use too."""
    return Names(profile=profile).stack(role)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """("bucket", "key/prefix") from "s3://bucket/key/prefix"."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise SmokeError(f"{uri!r} is not an s3://bucket/prefix URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def stacks_for(steps: Sequence[str]) -> list[str]:
    roles = list(dict.fromkeys(STEP_STACK[step] for step in steps))
    return [*roles, "Observability"]


def find_deployment(cloudformation: Any, profile: str, region: str, steps: Sequence[str]) -> Deployment:
    """The outputs of the stacks the steps need; SmokeError, one line, naming every required stack
    that is missing (or lacks outputs)."""
    stacks: dict[str, dict[str, str] | None] = {}
    notes: dict[str, str] = {}
    missing: list[str] = []
    for role in stacks_for(steps):
        name = stack_name(profile, role)
        try:
            described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        except ClientError as error:
            code, message = code_and_message(error)
            if code == "ValidationError" and "does not exist" in message:
                stacks[role] = None
                notes[role] = f"stack {name} is not deployed" + (
                    " (assistant=false in cdk.json)"
                    if role == "Assistant" and not assistant_enabled(profile)
                    else ""
                )
                if role not in OPTIONAL_STACKS:
                    missing.append(name)
                continue
            if code in ACCESS_DENIED:
                raise SmokeError(
                    f"access denied reading the outputs of stack {name}: allow cloudformation:DescribeStacks "
                    f"on the {Names(profile=profile).prefix}-* stacks ({one_line(message, 300)})"
                ) from None
            raise
        outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in described.get("Outputs", [])}
        absent = [key for key in STACK_OUTPUTS[role] if not outputs.get(key)]
        if absent:
            if role in OPTIONAL_STACKS:
                stacks[role] = None
                notes[role] = (
                    f"stack {name} ({described.get('StackStatus', 'status unknown')}) has no "
                    f"{', '.join(absent)} output"
                )
                continue
            raise SmokeError(
                f"stack {name} ({described.get('StackStatus', 'status unknown')}) has no "
                f"{', '.join(absent)} output: finish its deployment with {_deploy_command(profile)}"
            )
        stacks[role] = outputs
    if missing:
        these = (
            "stack " + missing[0] + " is" if len(missing) == 1 else "stacks " + ", ".join(missing) + " are"
        )
        raise SmokeError(f"{these} not deployed in {region}: deploy with {_deploy_command(profile)}")
    return Deployment(profile=profile, region=region, stacks=stacks, notes=notes)


def _deploy_command(profile: str) -> str:
    return "make deploy" + ("" if profile == DEFAULT_PROFILE else f" PROFILE={profile}")


def boto3_clients(region: str) -> Callable[[str], Any]:
    """A client per service in the region, made once. The harness's stream can be silent for
    minutes while it calls tools; a serverless cold start or a slow first answer can pass botocore's
    60-second read timeout too."""
    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        raise NoCredentialsError()
    read_timeouts = {"bedrock-agentcore": READ_TIMEOUT_SECONDS, "sagemaker-runtime": 90}
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            config = Config(read_timeout=read_timeouts.get(service, 60), retries={"mode": "standard"})
            made[service] = session.client(service, config=config)
        return made[service]

    return client
