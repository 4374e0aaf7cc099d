"""Reads a cloud assembly (cdk.out/) and says what it holds, for a person at the end of `make synth`.

python -m infra.synth_summary cdk.out                     each stack, its resource count,
                                                          and the policy-check result
python -m infra.synth_summary cdk.out --acknowledgements  also every acknowledged finding
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from infra.validation_report import POLICY_PLUGINS, acknowledged_findings, unacknowledged_findings


def stack_templates(assembly: Path) -> dict[str, dict]:
    """Stack name -> template, for every CloudFormation stack in the assembly, in manifest order."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {
        name: json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def summarize(assembly: Path, *, list_acknowledgements: bool = False) -> str:
    templates = stack_templates(assembly)
    width = max(len(name) for name in templates)
    lines = ["Stacks:"]
    for name, template in templates.items():
        lines.append(f"  {name:<{width}}  {len(template.get('Resources', {})):>4} resources")

    findings = acknowledged_findings(assembly)
    per_plugin = Counter(finding["plugin"] for finding in findings)
    open_findings = unacknowledged_findings(assembly)
    failed = Counter(finding.split("::")[0] for finding in open_findings)
    if open_findings:
        lines.append(f"Policy checks: FAILED, {len(open_findings)} unacknowledged finding(s)")
    else:
        lines.append("Policy checks: passed, no unacknowledged findings")
    for plugin in POLICY_PLUGINS:
        verdict = f"FAILED, {failed[plugin]} unacknowledged" if failed[plugin] else "passed"
        lines.append(f"  {plugin:<24} {verdict}, {per_plugin[plugin]} finding(s) acknowledged")
    if list_acknowledgements:
        lines.append("Acknowledged findings:")
        for finding in sorted(findings, key=lambda f: (f["id"], f["path"])):
            lines.append(f"  {finding['id']}  at {finding['path']}\n      {finding['reason']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assembly", type=Path, help="the cloud assembly directory, e.g. cdk.out")
    parser.add_argument("--acknowledgements", action="store_true", help="list every acknowledged finding")
    args = parser.parse_args()
    print(summarize(args.assembly, list_acknowledgements=args.acknowledgements))


if __name__ == "__main__":
    main()
