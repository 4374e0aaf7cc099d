"""Helpers for the configuration tests: the problems a context gives, as the user reads them."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, load_config
from tests.conftest import cdk_context


def problems(**overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config(cdk_context(**overrides))
    return raised.value.lines


def assert_one_problem_mentioning(overrides: dict[str, Any], expected: list[str]) -> None:
    """The overrides give exactly one problem, and its message contains every expected text."""
    found = problems(**overrides)
    assert len(found) == 1, found
    for text in expected:
        assert text in found[0]


def profile_named(name: str, **settings: Any) -> dict[str, Any]:
    """cdk.json's context with one more profile, `name`: dev's settings and `settings`, chosen."""
    context = cdk_context(profile=name)
    context["profiles"][name] = {**context["profiles"]["dev"], **settings}
    return context
