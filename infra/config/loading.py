"""From the app's context (cdk.json's profiles and the -c overrides) to a validated `AppConfig`."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from infra.config.aliases import ALIASES, SETTINGS, TAG, setting_at
from infra.config.app_config import AppConfig
from infra.config.deployment import DEFAULT_PROFILE, PRODUCTION_PROFILE, PROFILE_NAME
from infra.config.errors import describe, setting_name, unknown_key
from infra.config.knowledge_base import STRATEGIES
from infra.config.problems import DEFAULT, FROM_OVERRIDE, ConfigError, Loc, Problem, from_profile
from infra.regions import USABLE_AZS

# Context keys of ours that are not settings: the profile table itself.
_OWN_CONTEXT_KEYS = {"profiles"}
# Keys the CDK and its CLI put into context that carry no ':' and no '@'.
_CDK_CONTEXT_KEYS = {"acknowledged-issue-numbers"}
SECTIONS: tuple[str, ...] = tuple(AppConfig.model_fields)


def _is_cdk_context_key(key: str) -> bool:
    """Feature flags (`@aws-cdk/...`), CLI keys (`aws:cdk:...`) and lookup caches (`x:account=...`)
    are the CDK's, not ours to validate."""
    return key.startswith("@") or ":" in key or key in _CDK_CONTEXT_KEYS


@dataclass
class _Given:
    """The settings given, by flat name: value, source and (for a section object) the name as typed."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, settings: Mapping[str, Any], source: str) -> None:
        for key, value in settings.items():
            if key in SECTIONS and (section := _section_object(key, value, source)) is not None:
                self._add_section(key, section, source)
            elif key in ALIASES:
                self._set(key, key, value, source)
            elif key in SECTIONS:
                fields = ", ".join(_fields(key))
                message = f"must be an object of {key} settings (JSON text with -c): {fields}"
                self.problems.append(Problem(message, setting=key, value=value, source=source))
            else:
                hint = difflib.get_close_matches(key, SETTINGS, n=1)
                suggestion = f" (did you mean {hint[0]}?)" if hint else ""
                message = f"unknown setting{suggestion}; known settings: {', '.join(SETTINGS)}"
                self.problems.append(Problem(message, setting=key, value=value, source=source))

    def _set(self, name: str, typed: str, value: Any, source: str) -> None:
        self.values[name], self.sources[name] = value, source
        if typed == name:
            self.typed.pop(name, None)
        else:
            self.typed[name] = typed

    def _add_section(self, section: str, settings: Mapping[str, Any], source: str) -> None:
        """A section object (`"network": {"az_count": 3}`): the same settings, spelled by section."""
        for key, value in settings.items():
            typed = f"{section}.{key}"
            if (section, key) == ("knowledge_base", "chunking"):
                self._add_chunking(value, source)
            elif (found := setting_at((section, key))) and not found[1]:
                self._set(found[0], typed, value, source)
            else:
                message = unknown_key(key, AppConfig.model_fields[section].annotation)
                self.problems.append(Problem(message, setting=typed, value=value, source=source))

    def _add_chunking(self, chunking: Any, source: str) -> None:
        """`{"strategy": "semantic", "max_tokens": 400}`: a strategy (else the one in effect) and its
        own settings."""
        if not isinstance(chunking, Mapping):
            message = f'must be an object: {{"{TAG}": one of {", ".join(STRATEGIES)}, and its settings}}'
            setting = "knowledge_base.chunking"
            self.problems.append(Problem(message, setting=setting, value=chunking, source=source))
            return
        strategy = chunking.get(TAG, self.values.get("chunking_strategy", "fixed_size"))
        if TAG in chunking:
            self._set("chunking_strategy", f"knowledge_base.chunking.{TAG}", strategy, source)
        for key, value in chunking.items():
            path = ("knowledge_base", "chunking", strategy, key)
            if key != TAG and strategy in STRATEGIES:
                if (found := setting_at(path)) and not found[1]:
                    self._set(found[0], f"knowledge_base.chunking.{key}", value, source)
                else:
                    message = unknown_key(key, STRATEGIES[strategy])
                    self.problems.append(
                        Problem(message, setting=f"knowledge_base.chunking.{key}", value=value, source=source)
                    )

    def name_of(self, loc: Loc) -> tuple[str, str | None]:
        found = setting_at(loc)
        if found is None:
            return setting_name(loc), None
        return setting_name(loc, lambda flat: self.typed.get(flat, flat)), self.sources.get(found[0], DEFAULT)


def _fields(section: str) -> list[str]:
    return list(AppConfig.model_fields[section].annotation.model_fields)  # type: ignore[union-attr]


def _section_object(section: str, value: Any, source: str) -> Mapping[str, Any] | None:
    """A section's settings as an object (-c hands it over as JSON text), or None: not an object (the
    flat `assistant` setting shares its name with its section)."""
    if isinstance(value, str) and source == FROM_OVERRIDE and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, Mapping) else None


def load_config(context: Mapping[str, Any]) -> AppConfig:
    """Build the validated config from the app's context, or raise ConfigError with every problem."""
    profiles = context.get("profiles")
    if not isinstance(profiles, Mapping) or not all(isinstance(p, Mapping) for p in profiles.values()):
        raise ConfigError(
            [Problem("context.profiles in cdk.json must map each profile name to its settings")]
        )
    overrides = {
        key: value
        for key, value in context.items()
        if not _is_cdk_context_key(key) and key not in _OWN_CONTEXT_KEYS
    }
    profile = overrides.get("profile", DEFAULT_PROFILE)
    bad_names = [name for name in profiles if not PROFILE_NAME.fullmatch(str(name))]
    if bad_names:
        raise ConfigError(
            [
                Problem(
                    f"profile name {name!r} in cdk.json: must be 1 to 8 lowercase letters or digits (it "
                    "becomes part of stack and bucket names; S3 bucket names are at most 63 characters)"
                )
                for name in bad_names
            ]
        )
    if not isinstance(profile, str) or profile not in profiles:
        source = FROM_OVERRIDE if "profile" in overrides else DEFAULT
        message = f"must be a profile defined in cdk.json: {', '.join(profiles)}"
        raise ConfigError([Problem(message, setting="profile", value=profile, source=source)])

    given = _Given()
    given.add({"profile": profile}, FROM_OVERRIDE if "profile" in overrides else DEFAULT)
    given.add({k: v for k, v in profiles[profile].items() if k != "profile"}, from_profile(profile))
    given.add({k: v for k, v in overrides.items() if k != "profile"}, FROM_OVERRIDE)
    data, others = _sections(given.values)

    region = given.values.get("region")
    checks: list[Problem] = []
    context = {
        "region": region if isinstance(region, str) and region in USABLE_AZS else None,
        "production": profile == PRODUCTION_PROFILE,
        "problems": checks,
    }
    errors = list(_other_strategies(others))
    config = None
    try:
        config = AppConfig.model_validate(data, context=context)
    except ValidationError as error:
        errors = [*error.errors(), *errors]
    problems = [
        *given.problems,
        *(describe(error, AppConfig, given.name_of) for error in errors),
        *(_named(problem, given) for problem in checks),
    ]
    if problems or config is None:
        raise ConfigError(problems)
    return config


def _sections(values: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Flat settings as section data, and the settings given for chunking strategies not chosen."""
    data: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    chosen = values.get("chunking_strategy", "fixed_size")
    strategies: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        section, key, *rest = ALIASES[name]
        if key != "chunking":
            data[section][key] = value
        elif rest != [TAG]:
            strategies.setdefault(rest[0], {})[rest[1]] = value
    own = strategies.pop(chosen, {}) if isinstance(chosen, str) else {}
    data["knowledge_base"]["chunking"] = {TAG: chosen, **own}
    return data, strategies


def _other_strategies(others: Mapping[str, Mapping[str, Any]]) -> Iterator[Any]:
    """The settings of strategies not chosen are ignored, as they always were, but must still be
    valid values (each setting's own rule; no check against the model or each other)."""
    for strategy, settings in others.items():
        try:
            STRATEGIES[strategy].model_validate({TAG: strategy, **settings})
        except ValidationError as error:
            for found in error.errors():
                yield {**found, "loc": ("knowledge_base", "chunking", strategy, *found["loc"])}


def _named(problem: Problem, given: _Given) -> Problem:
    """A section's problem with its setting named as the user typed it, and its source."""
    name, source = given.name_of(problem.loc)
    return Problem(problem.message, setting=name, value=problem.value, source=source, loc=problem.loc)
