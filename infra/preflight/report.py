"""The table and the verdict, as a terminal shows them and an issue quotes them."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from infra.preflight.context import FAIL, WARN, Row


def render(rows: Sequence[Row], width: int = 120) -> str:
    """A fixed-width table that wraps long cells inside their column, so it reads in a terminal
    of `width` columns and stays aligned when pasted into an issue."""
    headers = Row("CHECK", "STATUS", "DETAIL", "HOW TO FIX")
    check_width = max(len(headers.check), *(min(len(r.check), 34) for r in rows))
    status_width = len(headers.status)
    rest = max(width - check_width - status_width - 6, 40)  # three gaps of two spaces
    # The fix column takes what its longest cell needs, up to 45%: all OK, the detail gets the room.
    fix_width = min(max(len(headers.fix), *(len(r.fix) for r in rows)), rest * 9 // 20)
    detail_width = rest - fix_width
    widths = (check_width, status_width, detail_width, fix_width)

    def lines_of(row: Row) -> list[str]:
        cells = [
            textwrap.wrap(text, w, break_on_hyphens=False) or [""]
            for text, w in zip((row.check, row.status, row.detail, row.fix), widths, strict=True)
        ]
        height = max(len(c) for c in cells)
        return [
            "  ".join(
                (cell[i] if i < len(cell) else "").ljust(w) for cell, w in zip(cells, widths, strict=True)
            ).rstrip()
            for i in range(height)
        ]

    out = [*lines_of(headers), "  ".join("-" * w for w in widths)]
    for row in rows:
        out += lines_of(row)
    return "\n".join(out)


def verdict(rows: Sequence[Row]) -> str:
    fails = sum(r.status == FAIL for r in rows)
    warns = sum(r.status == WARN for r in rows)
    if fails:
        return (
            f"Preflight: {fails} FAIL, {warns} WARN: the first deploy or first use would fail; "
            "fix the FAIL rows, then run make preflight again."
        )
    if warns:
        return f"Preflight: 0 FAIL, {warns} WARN: ready to deploy; read the WARN rows first."
    return f"Preflight: all {len(rows)} checks OK: ready to deploy."
