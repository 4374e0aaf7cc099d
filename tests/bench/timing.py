"""Timing helpers shared by the benchmarks: medians of fresh runs, printed with the core count."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cores() -> int:
    """The cores this process may use (what a reader needs to compare two runs)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def wall_seconds(command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run of `command`, which must succeed."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def interleaved_medians(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """The median of `rounds` runs of each, taken in turn (a, b, a, b, ...) so that a change in the
    machine's load during the benchmark weighs on every figure alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            samples[name].append(run())
    return {name: statistics.median(values) for name, values in samples.items()}


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f}x (target at most {target:.1f}x: {'met' if ratio <= target else 'NOT MET'})"


def python() -> str:
    return sys.executable
