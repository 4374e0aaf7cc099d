"""A whole run: every step, the summary, --only, and the one-line errors that stop a run early."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra import smoke
from tests.infra.smoke.data import (
    ASYNC_ID,
    INFERENCE,
    JOB_NAME,
    REGION,
    ROOT,
    assert_one_line_error,
    summary_rows,
)
from tests.infra.smoke.stubs import Aws, all_pass
from tests.support.aws_cli import no_credentials_env

# A run where everything works


def test_every_step_passes_against_a_working_deployment_and_cleans_up(aws: Aws) -> None:
    all_pass(aws)

    code, out, err = aws.run()

    assert (code, err) == (0, "")
    rows = summary_rows(out)
    assert list(rows) == list(smoke.STEPS)
    assert {step: row[0] for step, row in rows.items()} == dict.fromkeys(smoke.STEPS, "PASS")
    # Seconds come from the fake clock: two 15-second polls for ingestion, one each for the rest.
    assert {step: row[1] for step, row in rows.items()} == {
        "knowledge-base": "30.0",
        "assistant": "0.0",
        "realtime": "0.0",
        "serverless": "0.0",
        "async": "15.0",
        "batch": "15.0",
    }
    assert "ingestion job NEW indexed it; Retrieve returned it at rank 2 of 2" in rows["knowledge-base"][2]
    assert (
        "tools called: operations___search_knowledge_base, operations___list_endpoints"
        in rows["assistant"][2]
    )
    assert "digit 7 -> class 7 (p=0.991)" in rows["realtime"][2]
    assert f"s3://{INFERENCE}/async/output/{ASYNC_ID}.out" in rows["async"][2]
    assert f"transform job {JOB_NAME} wrote 10 predictions (10 of 10 sample digits right)" in rows["batch"][2]
    assert "Dashboard:" not in out
    assert "Not cleaned up" not in out
    print("step " + out.split("\nstep ", 1)[1])  # the summary table, shown with pytest -s


def test_the_summary_table_has_aligned_columns(aws: Aws) -> None:
    results = [
        smoke.StepResult("knowledge-base", "PASS", 30.0, "indexed"),
        smoke.StepResult("assistant", "SKIP", 0.0, "stack GenAiPlatform-dev-Assistant is not deployed"),
        smoke.StepResult("realtime", "FAIL", 1234.5, "no answer"),
    ]
    assert smoke.summary(results).splitlines() == [
        "step            result  seconds  detail",
        "--------------  ------  -------  ------",
        "knowledge-base  PASS       30.0  indexed",
        "assistant       SKIP        0.0  stack GenAiPlatform-dev-Assistant is not deployed",
        "realtime        FAIL     1234.5  no answer",
    ]


def test_only_runs_the_steps_named_and_reads_only_their_stacks(aws: Aws) -> None:
    aws.stacks("ModelServing", "Observability")
    aws.realtime_passes()
    aws.serverless_passes()

    code, out, _ = aws.run("--only", "serverless, realtime")

    assert code == 0
    assert list(summary_rows(out)) == ["realtime", "serverless"]  # in the usual order
    assert "[1/2] realtime" in out
    assert "cleanup" not in out


# Errors that stop the run before its steps: one line, exit code 1


def test_no_credentials_is_one_line() -> None:
    env = no_credentials_env()
    result = subprocess.run(
        [sys.executable, "-m", "infra.smoke", "--profile", "dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_line_error(result.returncode, result.stderr, "no AWS credentials found", "AWS_PROFILE")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("profile", "deploy"),
    [("dev", "deploy with make deploy"), ("prod", "deploy with make deploy PROFILE=prod")],
)
def test_a_stack_not_deployed_is_one_line_naming_it_and_make_deploy(
    aws: Aws, profile: str, deploy: str
) -> None:
    aws.stack("KnowledgeBase", profile=profile)
    aws.no_stack("Assistant", profile)
    aws.no_stack("ModelServing", profile)
    aws.stack("OfflineInference", profile=profile)
    aws.no_stack("Observability", profile)

    code, out, err = aws.run("--profile", profile)

    assert_one_line_error(
        code, err, f"stack GenAiPlatform-{profile}-ModelServing is not deployed in {REGION}", deploy
    )
    assert out == ""


def test_several_missing_stacks_are_named_in_the_one_line(aws: Aws) -> None:
    aws.no_stack("ModelServing")
    aws.no_stack("OfflineInference")
    aws.no_stack("Observability")

    code, _, err = aws.run("--only", "realtime,batch")

    assert_one_line_error(
        code,
        err,
        "stacks GenAiPlatform-dev-ModelServing, GenAiPlatform-dev-OfflineInference are not deployed",
        "make deploy",
    )


def test_a_stack_without_its_outputs_says_so(aws: Aws) -> None:
    aws.stack("ModelServing", {"RealtimeEndpointName": "x"}, status="UPDATE_ROLLBACK_COMPLETE")

    code, _, err = aws.run("--only", "realtime")

    assert_one_line_error(
        code,
        err,
        "stack GenAiPlatform-dev-ModelServing (UPDATE_ROLLBACK_COMPLETE) has no",
        "RealtimeInferenceComponentName, ServerlessEndpointName output",
    )


def test_access_denied_reading_the_stacks_is_one_line(aws: Aws) -> None:
    aws.cloudformation.add_client_error(
        "describe_stacks",
        service_error_code="AccessDenied",
        service_message="not authorized",
        http_status_code=403,
    )

    code, _, err = aws.run("--only", "serverless")

    assert_one_line_error(
        code, err, "access denied reading the outputs of stack GenAiPlatform-dev-ModelServing"
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--only", "realtime,gpu"], "--only 'realtime,gpu': steps are knowledge-base, assistant"),
        (["--only", " , "], "steps are"),
        (["--timeout-minutes", "0"], "--timeout-minutes 0: must be 1 to 240"),
        (["--profile", "staging"], "unknown profile 'staging': cdk.json defines dev, prod"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(aws: Aws, argv: list[str], expected: str) -> None:
    code, _, err = aws.run(*argv)
    assert_one_line_error(code, err, expected)


def test_the_module_does_not_load_the_cdk() -> None:
    probe = (
        "import sys, infra.smoke; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
