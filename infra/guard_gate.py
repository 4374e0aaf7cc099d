"""The Guard gate: cdklabs' CfnGuardValidator, asked to evaluate only the Control Tower rules that
can apply to the templates being validated.

Every Control Tower rule file selects its resources by literal type (`Resources.*[ Type == %X ]`
with `let X = 'AWS::S3::Bucket'`, no pattern), so a rule whose types appear in none of the
templates can only report SKIP. Evaluating it costs time all the same: cfn-guard spent 5.5 of the
app's 10.9 seconds of synth on 237 rule files, of which about 50 name a type this app creates
(issue 16). This plugin reads the templates it is given, disables exactly the rules that cannot
apply to them, and runs CfnGuardValidator over the others (written to a temporary folder, from
the same package) and this project's rules, so the verdicts, the report and the acknowledgement
ids (`cdk-validator-cfnguard::<rule>`) are the ones the full run gives. A rule file without a
literal type would always be kept; tests/infra/test_guard_gate.py checks that the full and the
filtered run report the same violations on the app's templates.
"""

from __future__ import annotations

import json
import re
import tarfile
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

import aws_cdk as cdk
import cdklabs.cdk_validator_cfnguard as cfnguard
import jsii
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")
CONTROL_TOWER = "control-tower"


@dataclass(frozen=True)
class GuardRule:
    name: str
    text: str
    resource_types: frozenset[str]


@cache
def control_tower_rules() -> tuple[GuardRule, ...]:
    """The Control Tower rules of the installed cdk-validator-cfnguard, read from the package jsii
    loads them from (the tarball the Python package ships), with the resource types each names."""
    [bundle] = (Path(cfnguard.__file__).parent / "_jsii").glob("*.jsii.tgz")
    rules = []
    with tarfile.open(bundle) as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if member.isfile() and path.suffix == ".guard" and CONTROL_TOWER in path.parts:
                text = tar.extractfile(member).read().decode("utf-8")  # type: ignore[union-attr]
                # Types the rule's code names, not its comments ("# Reports on: AWS::...").
                code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
                rules.append(GuardRule(path.stem, text, frozenset(RESOURCE_TYPE.findall(code))))
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):  # they are written to one folder, by name
        raise ValueError("two Control Tower rule files share a name; the Guard gate cannot tell them apart")
    return tuple(sorted(rules, key=lambda rule: rule.name))


def resource_types(template_paths: list[str]) -> set[str]:
    return {
        resource.get("Type")
        for path in template_paths
        for resource in json.loads(Path(path).read_text(encoding="utf-8")).get("Resources", {}).values()
        if isinstance(resource, dict)
    }


def applicable_rules(types: set[str]) -> list[GuardRule]:
    """The Control Tower rules that name a type among `types` (or no type at all: kept, to be safe)."""
    return [rule for rule in control_tower_rules() if not rule.resource_types or rule.resource_types & types]


@jsii.implements(cdk.IPolicyValidationPluginBeta1)
class ApplicableGuardRules:
    """CfnGuardValidator with the Control Tower rules and `rules`, evaluating the applicable ones.

    Its name, version and rule ids are the full validator's, so reports and acknowledgements read
    the same. (CfnGuardValidator's own `disabled_rules` cannot do this: it still passes the whole
    rules folder to cfn-guard when its count of kept files happens to equal the folder's count of
    entries, which is what this app's rule set hit.)
    """

    def __init__(self, *, rules: list[str]) -> None:
        self._rules = rules
        self._full = CfnGuardValidator(control_tower_rules_enabled=True, rules=rules)

    @property
    def name(self) -> str:
        return self._full.name

    @property
    def version(self) -> str | None:
        return self._full.version

    @property
    def rule_ids(self) -> list[str] | None:
        return self._full.rule_ids

    def validate(self, context: cdk.IPolicyValidationContextBeta1) -> cdk.PolicyValidationPluginReportBeta1:
        rules = applicable_rules(resource_types(list(context.template_paths)))
        with tempfile.TemporaryDirectory(prefix="control-tower-rules-") as folder:
            for rule in rules:
                (Path(folder) / f"{rule.name}.guard").write_text(rule.text, encoding="utf-8")
            plugin = CfnGuardValidator(control_tower_rules_enabled=False, rules=[folder, *self._rules])
            return plugin.validate(context)
