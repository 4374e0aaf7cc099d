"""How a run or a step ends early: each exception is one line of the report."""

from __future__ import annotations

ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException"})


class SmokeError(Exception):
    """A problem that stops the run before any step, said in one line: exit code 1, no traceback."""


class StepFailedError(Exception):
    """A step's check did not hold; the message is the FAIL detail, followed by where to look
    unless `look` is False (a missing permission is fixed in IAM, not found in a log)."""

    def __init__(self, detail: str, *, look: bool = True) -> None:
        super().__init__(detail)
        self.look = look


class StepSkippedError(Exception):
    """A step that cannot run against this deployment; the message is the SKIP note."""


class WaitTimedOutError(Exception):
    """A bounded wait ran out; the message is the last state seen."""
