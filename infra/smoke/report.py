"""The summary table that closes a run."""

from __future__ import annotations

from collections.abc import Sequence

from infra.smoke.runner import StepResult


def summary(results: Sequence[StepResult]) -> str:
    """The results as a table: step, result, seconds, detail."""
    rows = [("step", "result", "seconds", "detail")] + [
        (r.step, r.result, f"{r.seconds:.1f}", r.detail) for r in results
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for number, (step, result, seconds, detail) in enumerate(rows):
        lines.append(
            f"{step.ljust(widths[0])}  {result.ljust(widths[1])}  {seconds.rjust(widths[2])}  {detail}"
        )
        if number == 0:
            lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * widths[2]}  {'-' * 6}")
    return "\n".join(lines) + "\n"
