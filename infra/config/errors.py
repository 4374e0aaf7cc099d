"""pydantic's validation errors as problems: the setting as typed, the value given, its source."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from infra.config.aliases import TAG, setting_at
from infra.config.knowledge_base import STRATEGIES
from infra.config.problems import Loc, Problem

# (setting as typed, where its value came from) for a path inside AppConfig.
Namer = Callable[[Loc], tuple[str, str | None]]


def setting_name(loc: Loc, typed: Callable[[str], str] = str) -> str:
    """The setting at `loc` as users type it: `guardrail_denied_topics[0].name`, `guardrail_pii_entities
    key` (a bad dictionary key), or the dotted path for a place that has no flat name."""
    found = setting_at(loc)
    name, rest = (typed(found[0]), found[1]) if found else ("", tuple(p for p in loc if p not in STRATEGIES))
    if rest[-1:] == ("[key]",):
        return f"{name} key"
    for part in rest:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def describe(error: ErrorDetails, model: type[BaseModel], name_of: Namer) -> Problem:
    """One problem for one pydantic error in validating `model`."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # the tag names no member
        loc, value = (*loc, TAG), value.get(TAG) if isinstance(value, dict) else value
        expected = error.get("ctx", {}).get("expected_tags", "").replace("'", "")
        message = f"must be one of: {expected}"
    elif kind == "missing":
        name, _ = name_of(loc)
        return Problem(f"is not set: set it in the profile in cdk.json or with -c {name}=VALUE", setting=name)
    elif kind == "extra_forbidden":
        message = unknown_key(str(loc[-1]), _model_at(model, loc[:-1]))
    elif kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        message = error["msg"]
    name, source = name_of(loc)
    return Problem(message, setting=name, value=value, source=source, loc=loc)


def unknown_key(key: str, model: type[BaseModel] | None) -> str:
    allowed = [f for f in model.model_fields if f != TAG] if model else []
    hint = difflib.get_close_matches(key, allowed, n=1)
    suggestion = f" (did you mean {hint[0]}?)" if hint else ""
    kind = getattr(model, "KIND", None)
    what = f"not a setting of {kind}" if kind else "unknown key"
    return f"{what}{suggestion}; allowed: {', '.join(allowed)}"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that validates the value at `loc`, following fields, sequence items and union tags."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            current = current.model_fields[part].annotation if part in current.model_fields else None
            continue
        members = typing.get_args(current)
        if isinstance(part, int):  # tuple[X, ...] or list[X]
            current = members[0] if members else None
        else:  # a tagged union: the member whose tag is `part`
            current = next((m for m in members if _tag_of(m) == part), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _tag_of(member: Any) -> Any:
    field = getattr(member, "model_fields", {}).get(TAG)
    return field.default if field else None
