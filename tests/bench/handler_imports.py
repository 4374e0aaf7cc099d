"""Each Lambda handler's import time against a bare `import boto3`, in fresh interpreters.

A handler's module-level work runs on every cold start; the target (issue 16) is at most 1.3 times
what importing boto3 alone costs, so a handler adds little beyond the SDK it cannot do without.
"""

from __future__ import annotations

import os
import subprocess

from tests.bench.timing import ROOT, interleaved_medians, python, verdict

TARGET = 1.3
ROUNDS = 15
# Measured inside the interpreter, around the import only, so interpreter start-up is left out.
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def packages() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "lambdas").glob("*/handler.py"))


def import_seconds(module: str) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "lambdas"),
        # What Lambda sets, so that Powertools and boto3 behave as they do there.
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    out = subprocess.run(
        [python(), "-c", PROBE.format(module=module)], env=env, check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> list[str]:
    modules = {"boto3": "boto3", **{p: f"{p}.handler" for p in packages()}}
    medians = interleaved_medians({n: (lambda m=m: import_seconds(m)) for n, m in modules.items()}, ROUNDS)
    base = medians.pop("boto3")
    lines = [f"handler import: bare import boto3 {base * 1000:.0f} ms (median of {ROUNDS})"]
    lines += [
        f"handler import {name}/boto3: {verdict(seconds / base, TARGET)}" for name, seconds in medians.items()
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
