"""The account the credentials reach and the CDK bootstrap there, and the bootstrap versions it is held to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra import preflight
from tests.infra.preflight.stubs import ACCOUNT, REGION, ROOT, Aws, row, status


def test_a_missing_bootstrap_fails_with_the_bootstrap_command(aws: Aws) -> None:
    aws.healthy(skip=("bootstrap_stack", "bootstrap_version"))
    aws.error(
        "cloudformation", "describe_stacks", "ValidationError", "Stack with id CDKToolkit does not exist"
    )
    aws.error("ssm", "get_parameter", "ParameterNotFound", "not found")
    code, out, _ = aws.run("--profile", "dev")
    assert code == 1
    line = row(out, "CDK bootstrap")
    assert status(out, "CDK bootstrap") == "FAIL"
    assert "/cdk-bootstrap/hnb659fds/version not found (no stack named CDKToolkit" in line
    assert f"npx cdk bootstrap aws://{ACCOUNT}/{REGION}" in line
    assert out.rstrip().splitlines()[-1].startswith("Preflight: 1 FAIL")


def test_a_bootstrap_stack_of_another_name_is_fine_when_the_version_parameter_is_there(aws: Aws) -> None:
    # StackSets and --toolkit-stack-name give the bootstrap stack other names; the deploy needs
    # the version parameter, which is there.
    aws.healthy(skip=("bootstrap_stack",))
    aws.error(
        "cloudformation", "describe_stacks", "ValidationError", "Stack with id CDKToolkit does not exist"
    )
    code, out, _ = aws.run("--profile", "dev")
    assert status(out, "CDK bootstrap") == "OK"
    assert code == 0


@pytest.mark.parametrize(
    ("version", "verdict", "expected"),
    [
        ("5", "FAIL", "version 5 (CDKToolkit UPDATE_COMPLETE); the stacks need 6 or later"),
        ("21", "WARN", "deploys (needs 6), but older than the pinned CDK CLI's template (33)"),
        ("34", "OK", "version 34"),
    ],
)
def test_the_bootstrap_version_is_held_to_what_the_stacks_require(
    aws: Aws, version: str, verdict: str, expected: str
) -> None:
    aws.healthy(skip=("bootstrap_version",))
    aws.bootstrap_version(version)
    _, out, _ = aws.run("--profile", "dev")
    assert status(out, "CDK bootstrap") == verdict
    assert expected in row(out, "CDK bootstrap")


def test_a_bootstrap_stack_that_failed_is_a_failure(aws: Aws) -> None:
    aws.healthy(skip=("bootstrap_stack", "bootstrap_version"))
    aws.bootstrap_stack("ROLLBACK_COMPLETE")
    code, out, _ = aws.run("--profile", "dev")
    assert code == 1
    assert "CDKToolkit is ROLLBACK_COMPLETE" in row(out, "CDK bootstrap")


def test_a_synthesized_assembly_sets_the_bootstrap_version_required(aws: Aws, tmp_path: Path) -> None:
    # The lookup role's higher requirement does not count: context lookups only, none here.
    lookup_role = {"requiresBootstrapStackVersion": 99}
    manifest = {
        "version": "55.0.0",
        "artifacts": {
            "S.assets": {"type": "cdk:asset-manifest", "properties": {"requiresBootstrapStackVersion": 6}},
            "S": {
                "type": "aws:cloudformation:stack",
                "properties": {"requiresBootstrapStackVersion": 40, "lookupRole": lookup_role},
            },
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert preflight.required_bootstrap_version(tmp_path) == (40, f"{tmp_path.name}/manifest.json")
    aws.healthy()
    code, out, _ = aws.run("--profile", "dev", cdk_out=tmp_path)
    assert code == 1
    assert "version 33 (CDKToolkit UPDATE_COMPLETE); the stacks need 40 or later" in row(out, "CDK bootstrap")


def test_credentials_for_another_account_fail(aws: Aws) -> None:
    aws.healthy(skip=("identity",))
    aws.identity("999999999999")
    code, out, _ = aws.run("--profile", "dev", "--context", f"account={ACCOUNT}")
    assert code == 1
    line = row(out, "Account and region")
    assert f"the credentials are for account 999999999999, the config deploys to {ACCOUNT}" in line
    assert "-c account=999999999999" in line
    assert status(out, "CDK bootstrap") == "OK"  # the other checks still run


# --- the numbers the checks hold the account to ------------------------------------------------


def test_the_required_bootstrap_version_is_what_aws_cdk_lib_writes(tmp_path: Path) -> None:
    import aws_cdk as cdk

    app = cdk.App(outdir=str(tmp_path))
    cdk.Stack(app, "Probe", env=cdk.Environment(region=REGION))
    app.synth()
    assert preflight.required_bootstrap_version(tmp_path)[0] == preflight.REQUIRED_BOOTSTRAP_VERSION
    template = json.loads((tmp_path / "Probe.template.json").read_text())
    rule = template["Rules"]["CheckBootstrapVersion"]["Assertions"][0]["AssertDescription"]
    assert f"version {preflight.REQUIRED_BOOTSTRAP_VERSION} required" in rule


def test_the_cli_bootstrap_version_is_the_pinned_clis_template() -> None:
    template = ROOT / "node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml"
    if not template.exists():
        pytest.skip("node_modules not installed (make test installs it)")
    text = template.read_text(encoding="utf-8")
    match = re.search(r"CdkBootstrapVersion:.*?Value: '(\d+)'", text, re.DOTALL)
    assert match is not None
    assert int(match[1]) == preflight.CLI_BOOTSTRAP_VERSION
