"""The rules a setting's field is written with, and the base of every section.

The CLI hands -c values over as strings, so every rule parses "3" and 3, "true" and true alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, model_validator

from infra.config.problems import NOT_GIVEN, Loc, Problem

# The date model lifecycles are judged on: the day the model tables were last brought up to date,
# so that synth stays deterministic (a model that ends later is caught when the tables are next read).
TODAY = "2026-11-25"


def whole_number(value: Any, low: int, high: int | None = None) -> int:
    allowed = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"
    if isinstance(value, bool):
        raise ValueError(f"must be {allowed}")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ValueError(f"must be {allowed}")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be true or false")


def _one_of(value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError("must be one of: " + ", ".join(allowed))
    return value


# The rule of a setting, written on its field: `az_count: WholeNumber(1, 3)`.
def WholeNumber(low: int, high: int | None = None) -> Any:  # noqa: N802 - reads as a type
    return Annotated[int, BeforeValidator(lambda value: whole_number(value, low, high))]


def OneOf(*allowed: str) -> Any:  # noqa: N802 - reads as a type
    return Annotated[str, BeforeValidator(lambda value: _one_of(value, allowed))]


Boolean = Annotated[bool, BeforeValidator(_boolean)]


def _json_if_text(value: Any) -> Any:
    """Structured settings given with -c arrive as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"is not valid JSON ({error.msg} at position {error.pos})") from None
    return value


def Structured(model: Any) -> Any:  # noqa: N802 - reads as a type
    return Annotated[model, BeforeValidator(_json_if_text)]


@dataclass(frozen=True)
class Context:
    """What cross-checks need from outside their section, handed in as pydantic's validation context:
    `Section.model_validate(data, context={"region": "eu-west-1", "production": False})`.

    Without a region, region-dependent checks are skipped. With a `problems` list (the loader's),
    problems are added to it, so that every section reports; without one, a section raises them.
    """

    region: str | None = None
    production: bool = False
    problems: list[Problem] | None = None

    @classmethod
    def of(cls, info: ValidationInfo) -> Context:
        given = info.context or {}
        return cls(given.get("region"), bool(given.get("production")), given.get("problems"))


class Section(BaseModel):
    """A group of settings that validates itself: each field's rule on the field, the checks that
    involve several fields (or the region) in `checks`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # The section's field name in AppConfig: where its problems are located.
    SECTION: ClassVar[str]

    def checks(self, context: Context) -> Iterable[Problem]:
        """The problems that no single field's rule can see."""
        return ()

    def warnings(self) -> list[str]:
        """What is allowed but deserves a word at synth."""
        return []

    def problem(self, path: str | Loc, message: str, value: Any = NOT_GIVEN) -> Problem:
        """A problem with this section's setting at `path`: a field name (whose value is shown unless
        `value` is given), or a path into a structured field with its `value`."""
        if isinstance(path, str):
            value, path = getattr(self, path) if value is NOT_GIVEN else value, (path,)
        return Problem(message, value=value, loc=(self.SECTION, *path))

    def fingerprint(self, **extra: Any) -> str:
        """A short, stable digest of the section's settings, under the names users give them
        (`guardrail_pii_entities`), and of `extra` (texts a construct adds): it changes when one of
        them does, and only then. The flat names keep the digest of an unchanged guardrail what it
        was before the config had sections, so redesigning the config replaced no version."""
        from infra.config.aliases import ALIASES  # the alias table imports the sections

        dump = self.model_dump(mode="json")
        settings = {name: dump[path[1]] for name, path in ALIASES.items() if path[0] == self.SECTION}
        settings.update(extra)
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Self:
        context = Context.of(info)
        found = list(self.checks(context))
        if context.problems is not None:
            context.problems.extend(found)
        elif found:
            raise ValueError("; ".join(f"{'.'.join(map(str, p.loc[1:]))}: {p.message}" for p in found))
        return self
