"""`cdk synth -q` of the app against an empty CDK app (one stack, one `s3.Bucket`), both run by the
same CLI, Node and venv; and where the app's synth time goes.

The target (issue 16) is at most 3 times the empty app. The breakdown runs the app in-process,
phase by phase, and each policy gate on its own over the same app, so that a reader sees what
each costs: jsii's start and the imports, the configuration, building the constructs, the CDK's
synthesis with no gate, and each gate's share.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

from tests.bench.timing import ROOT, interleaved_medians, python, verdict, wall_seconds

TARGET = 3.0
ROUNDS = 3
CDK = ROOT / "node_modules" / ".bin" / "cdk"
EMPTY_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    app = cdk.App()
    s3.Bucket(cdk.Stack(app, "Empty"), "Bucket")
    app.synth()
    """
)
GATES = ("none", "AwsSolutions", "HIPAA", "NIST", "PCI", "Guard", "Guard, every rule")


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{Path(python()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_VERSION_CHECK": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


def cli_ratio(folder: Path) -> tuple[float, float]:
    """(app, empty app) median wall seconds of `cdk synth -q`."""
    empty = folder / "empty"
    empty.mkdir()
    (empty / "app.py").write_text(EMPTY_APP)
    (empty / "cdk.json").write_text(json.dumps({"app": f"{python()} app.py"}))
    env = environment()
    medians = interleaved_medians(
        {
            "app": lambda: wall_seconds(
                [str(CDK), "synth", "-q", "-o", str(folder / "app.out")], cwd=ROOT, env=env
            ),
            "empty": lambda: wall_seconds(
                [str(CDK), "synth", "-q", "-o", str(folder / "empty.out")], cwd=empty, env=env
            ),
        },
        ROUNDS,
    )
    return medians["app"], medians["empty"]


def phases(gate: str, outdir: Path) -> dict[str, float]:
    """Run the app in a fresh interpreter with one gate (or none) and report each phase's seconds."""
    script = textwrap.dedent(
        f"""
        import json, time
        start = time.perf_counter()
        import aws_cdk as cdk
        t_cdk = time.perf_counter()
        from infra.config import load_config
        from infra import platform, policy
        t_imports = time.perf_counter()
        gate = {gate!r}
        def only_one_gate(app):
            if gate == "none":
                return
            plugins = {{
                "AwsSolutions": lambda: policy.AwsSolutionsChecks(app),
                "HIPAA": lambda: policy.HIPAASecurityChecks(app),
                "NIST": lambda: policy.NIST80053R5Checks(app),
                "PCI": lambda: policy.PCIDSS321Checks(app),
                "Guard": lambda: policy.ApplicableGuardRules(rules=[str(policy.GUARD_RULES)]),
                "Guard, every rule": lambda: __import__(
                    "cdklabs.cdk_validator_cfnguard", fromlist=["CfnGuardValidator"]
                ).CfnGuardValidator(control_tower_rules_enabled=True, rules=[str(policy.GUARD_RULES)]),
            }}
            cdk.Validations.of(app).add_plugins(plugins[gate]())
        platform.add_policy_gates = only_one_gate
        context = json.load(open("cdk.json"))["context"]
        app = cdk.App(context=context, outdir={str(outdir)!r})
        config = load_config(app.node.get_all_context())
        t_config = time.perf_counter()
        platform.build_platform(app, config)
        t_build = time.perf_counter()
        app.synth()
        t_synth = time.perf_counter()
        print(json.dumps({{
            "jsii start and import aws_cdk": t_cdk - start,
            "import the app's modules": t_imports - t_cdk,
            "configuration": t_config - t_imports,
            "build the constructs": t_build - t_config,
            "synthesize": t_synth - t_build,
        }}))
        """
    )
    env = {**environment(), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [python(), "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> list[str]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        app, empty = cli_ratio(folder)
        lines = [
            f"synth app/empty: {verdict(app / empty, TARGET)} (app {app:.1f} s, empty app {empty:.1f} s, "
            f"median of {ROUNDS}, cdk synth -q)"
        ]
        runs = {gate: phases(gate, folder / f"phases-{gate}") for gate in GATES}
    bare = runs["none"]
    lines.append("synth breakdown (in-process, one run each):")
    lines += [f"  {phase}: {seconds:.2f} s" for phase, seconds in bare.items()]
    for gate in GATES[1:]:
        extra = runs[gate]["synthesize"] - bare["synthesize"]
        note = " (for comparison: what the gate cost before issue 16)" if gate == "Guard, every rule" else ""
        lines.append(f"  + gate {gate}: {extra:+.2f} s{note}")
    return lines


if __name__ == "__main__":
    start = time.perf_counter()
    print("\n".join(main()))
