"""How preflight is called: credentials, configuration errors, overrides, and a cheap import."""

from __future__ import annotations

import subprocess
import sys

from infra import preflight
from tests.infra.preflight.stubs import ROOT, Aws
from tests.support.aws_cli import no_credentials_env

# --- how it is called --------------------------------------------------------------------------


def test_no_credentials_is_one_line() -> None:
    env = no_credentials_env()
    result = subprocess.run(
        [sys.executable, "-m", "infra.preflight", "--profile", "dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == preflight.NO_CREDENTIALS + "\n"
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""


def test_an_invalid_configuration_prints_the_config_error(aws: Aws) -> None:
    code, out, err = aws.run("--profile", "dev", "-c", "az_count=7")
    assert (code, out) == (1, "")
    assert err.startswith("Invalid configuration (1 problem(s))")
    assert "az_count = '7' (from -c): must be a whole number from 1 to 3" in err


def test_an_override_without_a_value_is_one_line(aws: Aws) -> None:
    code, _, err = aws.run("--profile", "dev", "--context", "az_count")
    assert code == 1
    assert err == "preflight: --context 'az_count': expected name=value, like -c az_count=3\n"


def test_the_cdk_arguments_of_make_deploy_give_their_overrides() -> None:
    args = ["-c", "region=eu-west-1", "--require-approval", "never", "--context=az_count=3", "-cprofile=prod"]
    assert preflight.context_overrides(["az_count=2"], [*args, "-c", "x=a b"]) == {
        "az_count": "3",
        "region": "eu-west-1",
        "profile": "prod",
        "x": "a b",
    }


def test_the_cdk_arguments_apply_on_top_of_the_profile(aws: Aws) -> None:
    code, _, err = aws.run("--profile", "dev", "--", "--require-approval", "never", "-c", "az_count=9")
    assert code == 1
    assert "az_count = '9' (from -c)" in err


def test_importing_the_module_starts_neither_pydantic_nor_the_cdk() -> None:
    probe = "import sys, infra.preflight; print(sorted({'aws_cdk', 'pydantic', 'jsii'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
