"""The table and its verdict, and that one denied or failing call never hides the other checks."""

from __future__ import annotations

import re

from infra import preflight
from tests.infra.preflight.stubs import (
    ACCOUNT,
    ASSISTANT,
    EMBEDDING,
    ENDPOINT_QUOTA,
    PROFILE_ID,
    REGION,
    ROWS_DEV,
    SERVERLESS_QUOTA,
    Aws,
    row,
    status,
)

# --- the table -----------------------------------------------------------------------------------


def test_a_ready_account_is_all_ok(aws: Aws) -> None:
    aws.healthy()
    code, out, err = aws.run("--profile", "dev", width=120)
    print(out)  # the rendered table, for the eye: pytest -s
    assert (code, err) == (0, "")
    assert out.startswith(f"Preflight of profile 'dev' in {REGION}:\n")
    for check in ROWS_DEV:
        assert re.search(rf"^{re.escape(check)} +OK ", out, re.MULTILINE), check
    assert "FAIL" not in out
    assert "WARN" not in out
    assert out.rstrip().endswith(f"Preflight: all {len(ROWS_DEV)} checks OK: ready to deploy.")
    assert all(len(line) <= 120 for line in out.splitlines()[:-1])


def test_the_ok_rows_say_what_was_found(aws: Aws) -> None:
    aws.healthy()
    code, out, _ = aws.run("--profile", "dev")
    assert code == 0
    assert f"account {ACCOUNT} (arn:aws:iam::{ACCOUNT}:user/deployer), region {REGION}" in row(
        out, "Account and region"
    )
    assert "version 33 (CDKToolkit UPDATE_COMPLETE); the stacks need 6 or later" in row(out, "CDK bootstrap")
    assert f"{EMBEDDING}: ACTIVE; access granted" in row(out, "Bedrock embedding model")
    assert f"{PROFILE_ID}: ACTIVE, routes to us-east-1, us-east-2, us-west-2" in row(
        out, "Bedrock inference profile"
    )
    endpoints = row(out, "SageMaker ml.inf2.xlarge endpoints")
    assert f"{ENDPOINT_QUOTA}: 2; needs 2 (real-time 1 at deploy, up to 1 + async 1 at deploy, up to 1)" in (
        endpoints
    )
    assert f"{SERVERLESS_QUOTA}: 10; needs 5" in row(out, "SageMaker serverless concurrency")
    assert "use1-az1, use1-az2" in row(out, "Region: AgentCore")


# --- one check cannot hide the others ----------------------------------------------------------


def test_access_denied_on_one_check_is_a_warning_and_the_others_still_run(aws: Aws) -> None:
    aws.healthy(skip=("quotas",))
    aws.error(
        "service-quotas",
        "list_service_quotas",
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform: "
        "servicequotas:ListServiceQuotas",
    )
    code, out, _ = aws.run("--profile", "dev")  # the Lambda stub's answer is consumed, or run() fails
    assert code == 0
    for check in ("SageMaker ml.inf2.xlarge endpoints", "SageMaker ml.inf2.xlarge batch"):
        assert status(out, check) == "WARN"
        assert "could not check: servicequotas:ListServiceQuotas denied" in row(out, check)
    for check in set(ROWS_DEV) - {c for c in ROWS_DEV if c.startswith("SageMaker")}:
        assert status(out, check) == "OK", check
    assert (
        out.rstrip().splitlines()[-1]
        == "Preflight: 0 FAIL, 3 WARN: ready to deploy; read the WARN rows first."
    )


def test_access_denied_on_model_access_keeps_what_was_learned(aws: Aws) -> None:
    aws.healthy(skip=("embedding", "assistant", "inference_profile"))
    aws.model(EMBEDDING, "Titan Text Embeddings V2")  # the Bedrock answers come in the order asked
    aws.error("bedrock", "get_foundation_model_availability", "AccessDeniedException")
    aws.model(ASSISTANT, "Claude Haiku 5.5")
    aws.availability(ASSISTANT)
    aws.inference_profile()
    _, out, _ = aws.run("--profile", "dev")
    line = row(out, "Bedrock embedding model")
    assert f"{EMBEDDING}: ACTIVE; access not checked (bedrock:GetFoundationModelAvailability denied)" in line
    assert status(out, "Bedrock assistant model") == "OK"


def test_another_aws_error_is_a_warning_with_its_code(aws: Aws) -> None:
    aws.healthy(skip=("lambda",))
    aws.error("lambda", "get_account_settings", "InvalidParameterValueException", "something odd")
    code, out, _ = aws.run("--profile", "dev")
    assert code == 0
    assert "could not check: InvalidParameterValueException from GetAccountSettings: something odd" in row(
        out, "Lambda concurrency"
    )


def test_refused_credentials_fail_and_stop_the_other_checks(aws: Aws) -> None:
    aws.error(
        "sts", "get_caller_identity", "ExpiredToken", "The security token included in the request is expired"
    )
    code, out, err = aws.run("--profile", "dev")  # no other stub has answers: none may be asked
    assert (code, err) == (1, "")
    assert "STS GetCallerIdentity failed: ExpiredToken: The security token included" in row(
        out, "Account and region"
    )
    assert status(out, "Other checks") == "WARN"


def test_long_cells_wrap_inside_their_columns() -> None:
    rows = [
        preflight.Row("Short", "OK", "fine"),
        preflight.Row("A check", "FAIL", "word " * 40, "Service Quotas > Amazon SageMaker > " + "x " * 30),
    ]
    text = preflight.render(rows, width=100)
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines)
    detail_column = lines[0].index("DETAIL")
    fix_column = lines[0].index("HOW TO FIX")
    assert lines[3].startswith("A check  FAIL")
    assert all(line[:detail_column].strip() == "" for line in lines[4:])  # continuation lines
    assert lines[4][fix_column:].startswith("x x")
