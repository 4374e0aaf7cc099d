"""What is wrong with a configuration: structured problems, rendered once, raised together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

# Where a value came from, as the messages say it.
FROM_OVERRIDE: Final = "from -c"
DEFAULT: Final = "default"


def from_profile(profile: str) -> str:
    return f"from profile {profile!r} in cdk.json"


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()
"""The value of a problem about a setting that has none (a missing setting)."""

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration.

    Sections report a problem at `loc`, a path inside `AppConfig` (`("network", "az_count")`); the
    loader then names the `setting` as the user types it (`az_count`) and adds its `source`.
    """

    message: str  # what is wrong and what is allowed
    setting: str | None = None  # "az_count", "guardrail_denied_topics[0].name"; None: message says all
    value: Any = NOT_GIVEN
    source: str | None = None  # FROM_OVERRIDE, from_profile(...), DEFAULT
    loc: Loc = ()

    def render(self) -> str:
        if self.setting is None:
            return self.message
        if self.value is NOT_GIVEN:
            return f"{self.setting} {self.message}"
        where = f" ({self.source})" if self.source else ""
        return f"{self.setting} = {self.value!r}{where}: {self.message}"

    def __str__(self) -> str:
        return self.render()


class ConfigError(Exception):
    """One or more settings are invalid: `problems` holds each, `message` says them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.message)

    @property
    def lines(self) -> list[str]:
        """One line per problem."""
        return [problem.render() for problem in self.problems]

    @property
    def message(self) -> str:
        lines = [f"Invalid configuration ({len(self.problems)} problem(s)); nothing was synthesized:"]
        lines += [f"  - {line}" for line in self.lines]
        lines.append("Fix the profile in cdk.json (context.profiles) or the -c name=value overrides.")
        return "\n".join(lines)
