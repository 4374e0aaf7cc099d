"""Runs this project's Guard rules on small templates with the cfn-guard binary that ships inside
the cdk-validator-cfnguard package (the same binary the synth-time plugin runs): no network, no
synth, milliseconds per check."""

from __future__ import annotations

import json
import platform
import stat
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import cdklabs.cdk_validator_cfnguard as cfnguard
import pytest

RULES = Path(__file__).resolve().parents[3] / "infra" / "guard_rules"


@pytest.fixture(scope="session")
def cfn_guard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    [bundle] = (Path(cfnguard.__file__).parent / "_jsii").glob("*.jsii.tgz")
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[
        platform.machine().lower()
    ]
    member = f"package/bin/ubuntu/{machine}/cfn-guard"
    target = tmp_path_factory.mktemp("cfn-guard")
    with tarfile.open(bundle) as archive:
        archive.extract(member, target, filter="data")
    binary = target / member
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


Check = Callable[[str, dict], bool]


@pytest.fixture(scope="session")
def passes(cfn_guard: Path, tmp_path_factory: pytest.TempPathFactory) -> Check:
    """passes(rule_file_stem, resources) -> whether a template of those resources passes the rule."""
    folder = tmp_path_factory.mktemp("templates")

    def check(rule: str, resources: dict) -> bool:
        data = folder / f"{rule}-{len(list(folder.iterdir()))}.json"
        data.write_text(json.dumps({"Resources": resources}))
        result = subprocess.run(
            [str(cfn_guard), "validate", "--rules", str(RULES / f"{rule}.guard"), "--data", str(data)],
            capture_output=True,
            text=True,
            check=False,
        )
        output = result.stdout + result.stderr
        # cfn-guard exits 0 when every rule passes (or is skipped) and 19 when one fails, but a rule
        # file it cannot parse also ends in 19: a failure counts only with the rule's own message.
        assert "Parsing error" not in output, output
        assert "Parser Error" not in output, output
        assert result.returncode in (0, 19), output
        if result.returncode == 19:
            assert "[GENAI." in output, output
        return result.returncode == 0

    return check
