"""The sections as a whole: the alias table from flat names, structured problems, the validation
context, and the transitional flat reads."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, ValidationError

from infra.config import ALIASES, SETTINGS, AppConfig, NetworkSection, Problem, load_config
from infra.config.aliases import TAG
from infra.config.knowledge_base import STRATEGIES
from infra.config.problems import ConfigError
from tests.conftest import cdk_context


def section_paths() -> set[tuple[str, ...]]:
    """Every setting's path in the sections, a chunking setting's with its strategy."""
    paths = set()
    for section, info in AppConfig.model_fields.items():
        model = typing.cast(type[BaseModel], info.annotation)
        for field in model.model_fields:
            if field == "chunking":
                paths.add((section, field, TAG))
                paths |= {
                    (section, field, strategy, name)
                    for strategy, member in STRATEGIES.items()
                    for name in member.model_fields
                    if name != TAG
                }
            else:
                paths.add((section, field))
    return paths


def test_the_alias_table_maps_every_setting_once() -> None:
    assert sorted(ALIASES.values()) == sorted(section_paths())
    assert len(set(ALIASES.values())) == len(ALIASES)
    assert tuple(ALIASES) == SETTINGS


def test_no_flat_name_reads_through_the_config() -> None:
    """Stacks read sections (`config.network.az_count`); the flat names are for users' settings only."""
    config = load_config(cdk_context())
    for name in SETTINGS:
        if name not in AppConfig.model_fields:
            assert not hasattr(config, name), name
    assert config.serving.image("ml.g5.xlarge") == config.serving.image_gpu


def test_a_problem_is_rendered_once_with_its_setting_value_and_source() -> None:
    assert (
        Problem("must be true or false", setting="internet_egress", value="maybe", source="from -c").render()
        == "internet_egress = 'maybe' (from -c): must be true or false"
    )
    assert str(Problem("must be one of: VPC, PUBLIC", setting="assistant_network_mode", value="x")) == (
        "assistant_network_mode = 'x': must be one of: VPC, PUBLIC"
    )
    assert Problem("is not set: set it", setting="vpc_cidr").render() == "vpc_cidr is not set: set it"
    assert Problem("context.profiles must map names").render() == "context.profiles must map names"
    error = ConfigError([Problem("m", setting="a", value=1, source="default"), Problem("n")])
    assert error.lines == ["a = 1 (default): m", "n"]
    assert error.message.splitlines()[1:3] == ["  - a = 1 (default): m", "  - n"]


def test_a_sections_problem_is_named_as_the_user_typed_it() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(cdk_context(profile="prod", assistant_network_mode="PUBLIC"))
    [problem] = raised.value.problems
    assert (problem.loc, problem.setting) == (("assistant", "network_mode"), "assistant_network_mode")
    assert (problem.value, problem.source) == ("PUBLIC", "from -c")


def test_the_network_checks_the_regions_zones_from_the_validation_context() -> None:
    settings = {"vpc_cidr": "10.40.0.0/16", "az_count": 3}
    assert NetworkSection.model_validate(settings).az_count == 3  # no region given: not checked
    with pytest.raises(ValidationError, match="az_count: region us-west-1 offers new accounts only 2"):
        NetworkSection.model_validate(settings, context={"region": "us-west-1"})
    with pytest.raises(ValidationError, match="the prod profile needs at least 2"):
        NetworkSection.model_validate({**settings, "az_count": 1}, context={"production": True})
