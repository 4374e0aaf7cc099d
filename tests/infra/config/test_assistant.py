"""The assistant section: model, region and network rules, and the model lifecycle."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.bedrock_models import (
    AGENTCORE_VPC_AZ_IDS,
    ASSISTANT_MODELS,
    EMBEDDING_LIFECYCLE,
    EMBEDDING_MODELS,
    Lifecycle,
)
from infra.config import TODAY, load_config
from tests.conftest import cdk_context
from tests.infra.config.support import assert_one_problem_mentioning


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"assistant_model_id": "gpt-5"},
            ["assistant_model_id = 'gpt-5' (from -c)", "must be one of", "anthropic.claude-haiku-5-5"],
        ),
        (
            {"assistant_model_id": "anthropic.claude-3-5-haiku-20241022-v1:0"},
            [
                "reached end of life on Bedrock on 2026-06-19",
                "Model lifecycle",
                "allowed: anthropic.claude-haiku-5-5, amazon.nova-lite-v1:0, amazon.nova-pro-v1:0",
            ],
        ),
        (
            {"region": "ap-northeast-1", "assistant_network_mode": "PUBLIC"},
            [
                "no inference profile of it may be called from ap-northeast-1",
                "offered there: amazon.nova-lite",
            ],
        ),
        (
            {"assistant_global_inference": "true", "assistant_model_id": "amazon.nova-lite-v1:0"},
            ["assistant_global_inference = True (from -c)", "no global inference profile"],
        ),
        (
            {"profile": "prod", "assistant_network_mode": "PUBLIC"},
            ["prod profile keeps the harness in the VPC"],
        ),
        ({"assistant_session_expiry_days": 3}, ["assistant_session_expiry_days = 3", "from 7 to 365"]),
        ({"assistant_session_expiry_days": 366}, ["assistant_session_expiry_days = 366", "from 7 to 365"]),
        ({"assistant_max_iterations": 0}, ["assistant_max_iterations = 0", "from 1 to 50"]),
        ({"agent_model_id": "x"}, ["agent_model_id = 'x' (from -c): unknown setting"]),
    ],
)
def test_each_assistant_rule_names_the_setting_the_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    assert_one_problem_mentioning(overrides, expected)


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"])
def test_default_settings_are_valid_in_every_supported_region(region: str) -> None:
    # The README's "Supported regions": the default model has a profile there, and AgentCore
    # documents the AZ IDs it runs in a VPC.
    config = load_config(cdk_context(region=region))
    assert config.workload_az_ids == AGENTCORE_VPC_AZ_IDS[region][: config.network.az_count]


def test_the_harness_names_the_profile_of_the_regions_geography() -> None:
    haiku = ASSISTANT_MODELS["anthropic.claude-haiku-5-5"]
    assert haiku.profile_id("us-west-2") == "us.anthropic.claude-haiku-5-5"
    assert haiku.profile_id("eu-central-1") == "eu.anthropic.claude-haiku-5-5"
    assert haiku.profile_id("eu-central-1", use_global=True) == "global.anthropic.claude-haiku-5-5"
    nova = ASSISTANT_MODELS["amazon.nova-lite-v1:0"]
    assert nova.profile_id("ap-northeast-1") == "apac.amazon.nova-lite-v1:0"


def test_lifecycle_refuses_an_ended_model_and_warns_about_a_legacy_one() -> None:
    assert (
        Lifecycle("EOL", "2026-06-19")
        .problem("m", TODAY)
        .startswith("m reached end of life on Bedrock on 2026-06-19")
    )
    legacy = Lifecycle("Legacy", "2027-03-01")
    assert legacy.problem("m", TODAY) is None
    assert "is Legacy on Bedrock and reaches end of life on 2027-03-01" in legacy.warning("m")
    assert Lifecycle("Legacy", "2026-11-01").problem("m", TODAY) is not None  # Legacy, but past its date
    assert Lifecycle("Active", "2027-10-07").problem("m", TODAY) is None
    assert Lifecycle("Active").warning("m") is None


def test_every_model_in_the_tables_has_a_lifecycle_and_the_defaults_are_active() -> None:
    assert set(EMBEDDING_LIFECYCLE) == set(EMBEDDING_MODELS)
    defaults = load_config(cdk_context())
    assert ASSISTANT_MODELS[defaults.assistant.model_id].lifecycle.state == "Active"
    assert EMBEDDING_LIFECYCLE[defaults.knowledge_base.embedding_model_id].state == "Active"
    assert defaults.warnings() == []


def test_a_legacy_model_is_allowed_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = dataclasses.replace(
        ASSISTANT_MODELS["amazon.nova-lite-v1:0"], lifecycle=Lifecycle("Legacy", "2027-05-01")
    )
    monkeypatch.setitem(ASSISTANT_MODELS, "amazon.nova-lite-v1:0", legacy)
    config = load_config(cdk_context(assistant_model_id="amazon.nova-lite-v1:0"))
    assert config.warnings() == [
        "amazon.nova-lite-v1:0 is Legacy on Bedrock and reaches end of life on 2027-05-01 (Bedrock 'Model "
        "lifecycle', read 2026-10-10): plan a move to an Active model"
    ]


def test_workload_subnets_are_pinned_only_where_the_harness_runs_in_the_vpc() -> None:
    assert load_config(cdk_context(assistant="false")).workload_az_ids is None
    assert load_config(cdk_context(assistant_network_mode="PUBLIC")).workload_az_ids is None
