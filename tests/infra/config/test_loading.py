"""Loading: profiles, -c overrides, where each value came from, and one error for every problem."""

from __future__ import annotations

import pytest

from infra.config import SETTINGS, ConfigError, load_config
from infra.naming import BUCKET_PURPOSES, bucket_name
from infra.regions import USABLE_AZS
from tests.conftest import cdk_context
from tests.infra.config.support import problems, profile_named


def test_the_checked_in_profiles_are_valid() -> None:
    dev = load_config(cdk_context())
    prod = load_config(cdk_context(profile="prod"))
    assert (dev.deployment.profile, dev.network.az_count, dev.network.internet_egress) == ("dev", 2, False)
    assert dev.deployment.account is None
    assert (prod.deployment.profile, prod.network.az_count, prod.deployment.log_retention_days) == (
        "prod",
        3,
        365,
    )


def test_values_given_with_dash_c_arrive_as_strings_and_parse_like_typed_ones() -> None:
    config = load_config(
        cdk_context(az_count="3", internet_egress="TRUE", log_retention_days="60", account="012345678901")
    )
    assert (config.network.az_count, config.network.internet_egress) == (3, True)
    assert config.deployment.log_retention_days == 60
    assert config.deployment.account == "012345678901"  # the leading zero survives: accounts are strings


def test_overrides_win_over_the_profile() -> None:
    config = load_config(
        cdk_context(profile="prod", region="eu-west-1", assistant_model_id="amazon.nova-lite-v1:0")
    )
    assert config.deployment.region == "eu-west-1"


def test_a_region_without_s3_vectors_or_the_assistants_model_says_so() -> None:
    # sa-east-1 has the embedding model and AgentCore, but neither S3 Vectors, nor a profile of the
    # default model, nor documented AZs for AgentCore in a VPC.
    found = problems(region="sa-east-1")
    assert len(found) == 3
    assert found[0].startswith("vector_store = 's3_vectors'")
    assert "not available in sa-east-1" in found[0]
    assert "no inference profile of it may be called from sa-east-1" in found[1]
    assert found[1].endswith("models offered there: none")
    assert found[2].startswith("assistant_network_mode = 'VPC'")


def test_a_region_is_checked_against_every_table_that_depends_on_it() -> None:
    found = problems(region="us-west-1", az_count=3)
    assert len(found) == 7
    assert found[6].startswith("assistant = True (default): the Amazon Bedrock AgentCore")
    assert found[0] == (
        "az_count = 3 (from -c): region us-west-1 offers new accounts only 2 Availability Zones; "
        "allowed: 1 to 2"
    )
    assert found[1].startswith(
        "embedding_model_id = 'amazon.titan-embed-text-v2:0' (default): not offered for knowledge bases "
        "in us-west-1"
    )
    assert found[2].startswith(
        "vector_store = 's3_vectors' (default): Amazon S3 Vectors is not available in us-west-1"
    )
    assert found[3].startswith(
        "realtime_instance_type = 'ml.inf2.xlarge' (default): ml.inf2 is not offered in us-west-1"
    )


def test_several_bad_values_are_reported_together() -> None:
    found = problems(region="mars-1", az_count="7", internet_egress="maybe", log_retention_days="2")
    assert sorted(line.split(" = ")[0] for line in found) == [
        "az_count",
        "internet_egress",
        "log_retention_days",
        "region",
    ]


def test_a_bad_value_in_a_profile_names_the_profile_as_its_source() -> None:
    context = cdk_context()
    context["profiles"]["dev"]["az_count"] = 5
    with pytest.raises(ConfigError) as raised:
        load_config(context)
    assert raised.value.lines == [
        "az_count = 5 (from profile 'dev' in cdk.json): must be a whole number from 1 to 3"
    ]


def test_each_problem_is_structured_and_names_its_source() -> None:
    context = cdk_context(az_count="9")
    context["profiles"]["dev"]["internet_egress"] = "maybe"
    with pytest.raises(ConfigError) as raised:
        load_config(context)
    by_setting = {problem.setting: problem for problem in raised.value.problems}
    assert (by_setting["az_count"].value, by_setting["az_count"].source) == ("9", "from -c")
    assert by_setting["internet_egress"].source == "from profile 'dev' in cdk.json"
    assert by_setting["internet_egress"].message == "must be true or false"
    assert by_setting["az_count"].loc == ("network", "az_count")


def test_an_unknown_setting_is_an_error_with_a_suggestion() -> None:
    [found] = problems(az_cuont="2")
    assert "az_cuont = '2' (from -c): unknown setting (did you mean az_count?)" in found
    assert "known settings: " + ", ".join(SETTINGS) in found


def test_a_missing_setting_says_where_to_set_it() -> None:
    context = cdk_context()
    del context["profiles"]["dev"]["vpc_cidr"]
    with pytest.raises(ConfigError) as raised:
        load_config(context)
    assert raised.value.lines == [
        "vpc_cidr is not set: set it in the profile in cdk.json or with -c vpc_cidr=VALUE"
    ]


def test_cdk_context_keys_are_not_ours_to_reject() -> None:
    config = load_config(
        cdk_context(
            **{
                "@aws-cdk/core:newStyleStackSynthesis": True,
                "aws:cdk:enable-path-metadata": True,
                "availability-zones:account=123456789012:region=us-east-1": ["us-east-1a"],
                "acknowledged-issue-numbers": [1234],
            }
        )
    )
    assert config.deployment.profile == "dev"


def test_a_malformed_profile_table_is_reported() -> None:
    assert problems(profiles=["dev"]) == [
        "context.profiles in cdk.json must map each profile name to its settings"
    ]


def test_the_message_lists_every_problem_and_how_to_fix_it() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(cdk_context(az_count="9", region="nowhere"))
    lines = raised.value.message.splitlines()
    assert lines[0] == "Invalid configuration (2 problem(s)); nothing was synthesized:"
    assert len([line for line in lines if line.startswith("  - ")]) == 2
    assert "cdk.json" in lines[-1]
    assert "-c name=value" in lines[-1]


@pytest.mark.parametrize("name", ["Staging", "pre-prod", "production1", ""])
def test_profile_names_must_fit_into_bucket_and_stack_names(name: str) -> None:
    context = cdk_context()
    context["profiles"][name] = context["profiles"]["dev"]
    with pytest.raises(ConfigError) as raised:
        load_config(context)
    assert raised.value.lines == [
        f"profile name {name!r} in cdk.json: must be 1 to 8 lowercase letters or digits (it becomes part "
        "of stack and bucket names; S3 bucket names are at most 63 characters)"
    ]


def test_a_profile_and_region_whose_bucket_names_exceed_63_characters_are_refused() -> None:
    # 8 characters pass the name rule; with eu-central-1 the longest bucket name has 64.
    with pytest.raises(ConfigError) as raised:
        load_config(
            profile_named("abcdefgh", region="eu-central-1", assistant_model_id="amazon.nova-lite-v1:0")
        )
    [problem] = raised.value.lines
    assert problem == (
        "profile = 'abcdefgh' (from -c): with region eu-central-1 the longest bucket name, "
        "genaiplatform-abcdefgh-model-artifacts-<account>-eu-central-1, has 64 characters and S3 allows "
        "63; allowed: a profile name of at most 7 characters in eu-central-1"
    )
    assert load_config(
        profile_named("abcdefg", region="eu-central-1", assistant_model_id="amazon.nova-lite-v1:0")
    )


def test_in_every_region_the_config_refuses_exactly_the_profiles_whose_bucket_names_s3_refuses() -> None:
    for region in USABLE_AZS:
        for profile in ("abcdefgh", "abcdef", "dev"):
            too_long = [
                name
                for purpose in BUCKET_PURPOSES
                if len(name := bucket_name(profile, purpose, "1" * 12, region)) > 63
            ]
            try:
                load_config(profile_named(profile, region=region))
                found = []
            except ConfigError as error:
                found = [p for p in error.lines if "longest bucket name" in p]
            assert bool(found) == bool(too_long), (region, profile, found, too_long)


def test_a_section_may_be_given_as_an_object_and_its_problems_name_it_so() -> None:
    context = cdk_context(network='{"az_count": 3}')
    context["profiles"]["dev"]["knowledge_base"] = {"chunking": {"strategy": "semantic", "max_tokens": 400}}
    config = load_config(context)
    assert config.network.az_count == 3
    assert (config.knowledge_base.chunking.strategy, config.knowledge_base.chunking.max_tokens) == (
        "semantic",
        400,
    )
    assert problems(network='{"az_count": 4}') == [
        "network.az_count = 4 (from -c): must be a whole number from 1 to 3"
    ]
    [unknown] = problems(network='{"az_cuont": 2}')
    assert unknown == (
        "network.az_cuont = 2 (from -c): unknown key (did you mean az_count?); "
        "allowed: vpc_cidr, az_count, internet_egress"
    )
    # `assistant` is a flat setting and a section: a value that is no object is the setting.
    assert load_config(cdk_context(assistant="false")).assistant.enabled is False
    assert load_config(cdk_context(assistant='{"enabled": false}')).assistant.enabled is False
