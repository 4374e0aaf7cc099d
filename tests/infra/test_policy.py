"""The policy gates: they fail synth on a finding, every acknowledgement answers a real finding,
and every template of every variant passes cfn-lint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cfnlint.api import ManualArgs, lint_file
from cfnlint.version import __version__ as cfnlint_version

from infra.config import load_config
from infra.policy import acknowledge, add_policy_gates
from infra.stacks.base import PlatformStack
from infra.validation_report import POLICY_PLUGINS, acknowledged_findings, unacknowledged_findings
from tests.conftest import Synth, cdk_context


def test_an_unacknowledged_finding_fails_synth(tmp_path: Path) -> None:
    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    stack = PlatformStack(
        app, "Careless", deployment=load_config(cdk_context()).deployment, description="a plain bucket"
    )
    s3.Bucket(stack, "PlainBucket")
    add_policy_gates(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    failed = {p["pluginName"] for p in report["pluginReports"] if p["conclusion"] == "failure"}
    # Every pack has something to say about an unencrypted, unlogged, unversioned bucket.
    assert failed == set(POLICY_PLUGINS)


def test_an_acknowledgement_needs_a_reason_and_a_full_rule_id() -> None:
    scope = cdk.Stack(cdk.App())
    with pytest.raises(ValueError, match="needs a reason"):
        acknowledge(scope, "  ", "AwsSolutions::AwsSolutions-S1")
    with pytest.raises(ValueError, match="not a full rule id"):
        acknowledge(scope, "a reason", "AwsSolutions-S1")


def acknowledgements(synth: Synth) -> set[tuple[str, str]]:
    """(construct path, rule id) of every acknowledgement of our policy packs recorded in the
    assembly (the CDK records some of its own, for its built-in template validation)."""
    found = set()
    for metadata_file in synth.outdir.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    found |= {
                        (path.lstrip("/"), rule_id)
                        for rule_id in entry["data"]
                        if rule_id.split("::")[0] in POLICY_PLUGINS
                    }
    return found


@pytest.mark.parametrize("variant", ["dev", "prod", "egress", "opensearch", "gpu", "cpu", "eu"])
def test_every_acknowledgement_answers_a_finding_at_or_below_its_construct(
    variant: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(variant)
    findings = acknowledged_findings(synth.outdir)
    assert findings, "the assembly has no validation report with acknowledged findings"
    used = {(f["id"], f["path"]) for f in findings}
    for path, rule_id in acknowledgements(synth):
        assert any(i == rule_id and (p == path or p.startswith(path + "/")) for i, p in used), (
            f"{rule_id} acknowledged at {path} matches no finding: remove it"
        )


def test_acknowledgement_reasons_are_specific(all_variants: list[Synth]) -> None:
    for synth in all_variants:
        for finding in acknowledged_findings(synth.outdir):
            assert len(finding["reason"]) >= 80, finding


# cfn-lint's verdict depends only on the template, the region and cfn-lint's own version: a clean
# verdict is kept in pytest's cache under that key, so a warm run lints only what changed.
CLEAN_LINT = "genai-platform/cfn-lint-clean"
# How the templates are linted: this module's code and any cfn-lint configuration file it may read.
LINT_SETUP = hashlib.sha256(
    b"".join(p.read_bytes() for p in [Path(__file__), *sorted(Path.cwd().glob(".cfnlintrc*"))])
).hexdigest()[:16]


def test_every_template_passes_cfn_lint_without_errors_or_warnings(
    all_variants: list[Synth], pytestconfig: pytest.Config
) -> None:
    # Variants share many templates byte for byte (the Data stack of dev and of gpu, say), so each
    # distinct (template, region) pair is linted once.
    distinct: dict[tuple[str, str], Path] = {}
    templates = 0
    for synth in all_variants:
        for template in sorted(synth.outdir.glob("*.template.json")):
            region = synth.config.deployment.region
            distinct.setdefault((hashlib.sha256(template.read_bytes()).hexdigest(), region), template)
            templates += 1
    cache = getattr(pytestconfig, "cache", None)
    clean = set(cache.get(CLEAN_LINT, [])) if cache else set()
    problems, linted_clean = [], set()
    for (digest, region), template in sorted(distinct.items()):
        key = f"{cfnlint_version}/{LINT_SETUP}/{region}/{digest}"
        if key in clean:
            linted_clean.add(key)
            continue
        matches = lint_file(template, ManualArgs(regions=[region]))
        problems += [f"{template.parent.name}/{template.name}: {m}" for m in matches]
        if not matches:
            linted_clean.add(key)
    if cache:  # only this run's templates: the cache does not grow
        cache.set(CLEAN_LINT, sorted(linted_clean))
    assert problems == []
    assert templates == sum(len(s.platform.stacks) for s in all_variants)
    assert len(distinct) < templates


def test_a_report_that_concludes_success_but_lists_violations_still_fails_the_gate(tmp_path: Path) -> None:
    # The shape seen from cdk-validator-cfnguard 0.0.62 under aws-cdk-lib 2.275.
    report = {
        "version": "55.0.0",
        "title": "Validation Report",
        "pluginReports": [
            {
                "pluginName": "cdk-validator-cfnguard",
                "conclusion": "success",
                "violations": [
                    {
                        "ruleName": "sqs_dlq_check",
                        "severity": "error",
                        "violatingConstructs": [{"constructPath": "Stack/Queue/Resource"}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "validation-report.json").write_text(json.dumps(report))
    assert unacknowledged_findings(tmp_path) == [
        "cdk-validator-cfnguard::sqs_dlq_check at Stack/Queue/Resource"
    ]


def test_a_clean_assembly_has_no_unacknowledged_findings(dev: Synth) -> None:
    assert unacknowledged_findings(dev.outdir) == []


def test_our_genai_rules_run_on_every_synth(dev: Synth) -> None:
    # The serverless model is the one known exception, acknowledged with its reason: its finding in
    # the report proves the rules ran against the app.
    findings = acknowledged_findings(dev.outdir)
    [serverless] = [
        f for f in findings if f["id"] == "cdk-validator-cfnguard::genai_sagemaker_model_isolated_in_vpc"
    ]
    assert serverless["path"].endswith("/ServerlessModel/Model")
