"""Errors the user can cause: one line on stderr, exit code 1, no AWS call where none is needed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.ask import deployment as ask_deployment
from tests.infra.ask.stubs import (
    OUTPUTS,
    POLICY_ARN,
    QUESTION,
    REGION,
    ROOT,
    STACK,
    Aws,
    SessionId,
    assert_one_line_error,
    text,
)
from tests.support.aws_cli import no_credentials_env

# Errors the user can cause: one line on stderr, exit code 1, no AWS call where none is needed


@pytest.mark.parametrize("argv", [[""], ["   "], []], ids=["empty", "blank", "missing"])
def test_an_empty_question_is_refused(aws: Aws, argv: list[str]) -> None:
    code, out, err = aws.run(*argv)
    assert_one_line_error(code, err, "the question is empty", 'make ask Q="')
    assert out == ""


def test_an_unknown_profile_is_refused_with_the_ones_that_exist(aws: Aws) -> None:
    code, _, err = aws.run(QUESTION, "--profile", "staging")
    assert_one_line_error(code, err, "unknown profile 'staging'", "dev, prod")


@pytest.mark.parametrize("session", ["abc", "x" * 101, "-" + "a" * 40, "a" * 32 + "/"])
def test_a_malformed_session_is_refused_before_any_call(aws: Aws, session: str) -> None:
    code, _, err = aws.run(QUESTION, f"--session={session}")
    assert_one_line_error(code, err, "--session", "33 to 100")


def test_no_credentials_is_one_line() -> None:
    env = no_credentials_env()
    result = subprocess.run(
        [sys.executable, "-m", "infra.ask", QUESTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_one_line_error(result.returncode, result.stderr, "no AWS credentials", "AWS_EC2_METADATA_DISABLED")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("profile", "deploy"),
    [("dev", "deploy it with make deploy"), ("prod", "make deploy PROFILE=prod")],
)
def test_a_stack_not_deployed_says_how_to_deploy_it(aws: Aws, profile: str, deploy: str) -> None:
    stack = f"GenAiPlatform-{profile}-Assistant"
    aws.cfn_stub.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {stack} does not exist",
        http_status_code=400,
        expected_params={"StackName": stack},
    )
    code, _, err = aws.run(QUESTION, "--profile", profile)
    assert_one_line_error(code, err, f"stack {stack} is not deployed in {REGION}", deploy)


def test_a_stack_not_deployed_in_a_profile_without_the_assistant_says_so(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(
        json.dumps({"context": {"profiles": {"lab": {"region": REGION, "assistant": "false"}}}})
    )
    monkeypatch.setattr(ask_deployment, "CDK_JSON", cdk_json)
    aws.cfn_stub.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id GenAiPlatform-lab-Assistant does not exist",
        http_status_code=400,
    )
    code, _, err = aws.run(QUESTION, "--profile", "lab")
    assert_one_line_error(
        code, err, "GenAiPlatform-lab-Assistant does not exist", "assistant=false in cdk.json"
    )


def test_a_stack_without_the_harness_outputs_says_the_assistant_is_off(aws: Aws) -> None:
    aws.stack({"InvokePolicyArn": POLICY_ARN}, status="UPDATE_COMPLETE")
    code, _, err = aws.run(QUESTION)
    assert_one_line_error(
        code,
        err,
        f"stack {STACK} (UPDATE_COMPLETE)",
        "no HarnessArn or HarnessEndpointName output",
        "turned off",
    )


def test_access_denied_invoking_names_the_policy_that_grants_it(aws: Aws) -> None:
    aws.stack(OUTPUTS)
    aws.agentcore_stub.add_client_error(
        "invoke_harness",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
        "bedrock-agentcore:InvokeHarness",
        http_status_code=403,
    )
    code, _, err = aws.run(QUESTION)
    assert_one_line_error(code, err, "access denied invoking the assistant", f"managed policy {POLICY_ARN}")


def test_access_denied_reading_the_stack_names_the_permission(aws: Aws) -> None:
    aws.cfn_stub.add_client_error(
        "describe_stacks",
        service_error_code="AccessDenied",
        service_message="not authorized",
        http_status_code=403,
    )
    code, _, err = aws.run(QUESTION)
    assert_one_line_error(code, err, "cloudformation:DescribeStacks", STACK)


def test_any_other_service_error_is_its_code_and_message(aws: Aws) -> None:
    aws.stack(OUTPUTS)
    aws.agentcore_stub.add_client_error(
        "invoke_harness",
        service_error_code="ResourceNotFoundException",
        service_message="Endpoint live\nnot found",
        http_status_code=404,
    )
    code, _, err = aws.run(QUESTION)
    assert_one_line_error(code, err, "ResourceNotFoundException: Endpoint live not found")


def test_an_error_in_the_stream_fails_the_command_but_keeps_the_session(aws: Aws) -> None:
    aws.stack(OUTPUTS)
    aws.answer([text("Checking"), {"runtimeClientError": {"message": "container exited"}}], SessionId())
    code, out, err = aws.run(QUESTION)
    assert code == 1
    assert out == "Checking\nerror from the assistant: runtimeClientError: container exited\n"
    assert "continue with make ask SESSION=" in err


def test_ctrl_c_while_streaming_stops_without_a_traceback(aws: Aws) -> None:
    def stream() -> Iterator[dict]:
        yield text("Looking")
        raise KeyboardInterrupt

    aws.stack(OUTPUTS)
    aws.answer([], SessionId())
    aws.events = stream()
    code, out, err = aws.run(QUESTION)
    assert (code, out) == (130, "Looking\n")
    assert err.splitlines()[0] == "ask: interrupted"
    assert "Traceback" not in err
