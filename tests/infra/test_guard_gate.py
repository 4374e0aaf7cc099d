"""The Guard gate evaluates only the Control Tower rules that can apply, and says what the full
CfnGuardValidator says."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import jsii
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from infra.guard_gate import ApplicableGuardRules, applicable_rules, control_tower_rules, resource_types
from infra.policy import GUARD_RULES
from tests.conftest import Synth


@jsii.implements(cdk.IPolicyValidationContextBeta1)
class Templates:
    def __init__(self, paths: list[str]) -> None:
        self._paths = paths

    @property
    def template_paths(self) -> list[str]:
        return self._paths


def violations(report: cdk.PolicyValidationPluginReportBeta1) -> list[tuple]:
    return sorted(
        (
            v.rule_name,
            v.description,
            v.fix,
            tuple(
                sorted(
                    (r.template_path, r.resource_logical_id, tuple(r.locations))
                    for r in v.violating_resources
                )
            ),
        )
        for v in report.violations
    )


def test_every_control_tower_rule_names_the_resource_types_it_selects() -> None:
    # The filter is sound only if each rule selects by literal type: a rule without one is kept,
    # but none should exist (a new package version that changes this deserves a look).
    rules = control_tower_rules()
    assert len(rules) > 200
    assert all(rule.resource_types for rule in rules)


def test_the_filtered_gate_reports_what_the_full_validator_reports(dev: Synth) -> None:
    paths = sorted(str(p) for p in dev.outdir.glob("*.template.json"))
    context = Templates(paths)
    full = CfnGuardValidator(control_tower_rules_enabled=True, rules=[str(GUARD_RULES)]).validate(context)
    filtered = ApplicableGuardRules(rules=[str(GUARD_RULES)]).validate(context)
    assert violations(filtered) == violations(full)
    assert violations(full)  # acknowledged findings exist in the app: the comparison saw some
    assert filtered.success == full.success
    # ... having evaluated a fraction of the rules.
    assert len(applicable_rules(resource_types(paths))) < len(control_tower_rules()) / 2


def test_it_carries_the_full_validators_name_and_rule_ids() -> None:
    gate = ApplicableGuardRules(rules=[str(GUARD_RULES)])
    full = CfnGuardValidator(control_tower_rules_enabled=True, rules=[str(GUARD_RULES)])
    assert gate.name == full.name == "cdk-validator-cfnguard"
    assert gate.rule_ids == full.rule_ids


def test_no_control_tower_rule_fails_a_template_without_its_resource_types(tmp_path: Path) -> None:
    # The other premise: a rule whose types are absent can only SKIP, never fail (no rule demands
    # that some resource exist). Checked with every rule over a template of one unrelated resource.
    unrelated = {
        "Resources": {"Parameter": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String"}}}
    }
    assert not any("AWS::SSM::Parameter" in rule.resource_types for rule in control_tower_rules())
    template = tmp_path / "Unrelated.template.json"
    template.write_text(json.dumps(unrelated))
    report = CfnGuardValidator(control_tower_rules_enabled=True).validate(Templates([str(template)]))
    assert report.success
    assert violations(report) == []
