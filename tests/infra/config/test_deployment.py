"""The deployment, network and audit sections: each rule, with the message a user sees."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from infra.config import load_config
from infra.constructs.log_group import RETENTION_DAYS
from tests.conftest import cdk_context
from tests.infra.config.support import assert_one_problem_mentioning


def test_removal_policy_follows_the_profile() -> None:
    assert load_config(cdk_context()).deployment.data_removal_policy == cdk.RemovalPolicy.DESTROY
    assert load_config(cdk_context(profile="prod")).deployment.data_removal_policy == cdk.RemovalPolicy.RETAIN


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # profile
        ({"profile": "staging"}, ["profile = 'staging'", "defined in cdk.json: dev, prod"]),
        # region
        ({"region": "us-east-9"}, ["region = 'us-east-9' (from -c)", "eu-west-1", "us-east-1"]),
        ({"region": "cn-north-1"}, ["region = 'cn-north-1'", "commercial region"]),
        # account
        ({"account": "12345"}, ["account = '12345' (from -c)", "exactly 12 digits"]),
        ({"account": 123456789012}, ["account = 123456789012", "as a string"]),
        # vpc_cidr
        ({"vpc_cidr": "10.40.0.0"}, ["vpc_cidr = '10.40.0.0'", "IPv4 CIDR", "/16 to /24"]),
        ({"vpc_cidr": "banana"}, ["vpc_cidr = 'banana'", "IPv4 CIDR"]),
        ({"vpc_cidr": "10.40.0.1/16"}, ["vpc_cidr = '10.40.0.1/16'", "host bits zero"]),
        ({"vpc_cidr": "8.8.0.0/16"}, ["vpc_cidr = '8.8.0.0/16'", "not a private (RFC 1918) range"]),
        ({"vpc_cidr": "10.0.0.0/8"}, ["vpc_cidr = '10.0.0.0/8'", "too large", "/16 to /24"]),
        ({"vpc_cidr": "192.168.1.0/26"}, ["vpc_cidr = '192.168.1.0/26'", "too small", "each at least /26"]),
        # az_count
        ({"az_count": "4"}, ["az_count = '4' (from -c)", "a whole number from 1 to 3"]),
        ({"az_count": 0}, ["az_count = 0", "a whole number from 1 to 3"]),
        ({"az_count": "two"}, ["az_count = 'two'", "a whole number from 1 to 3"]),
        ({"az_count": True}, ["az_count = True", "a whole number from 1 to 3"]),
        ({"profile": "prod", "az_count": 1}, ["az_count = 1", "prod profile needs at least 2", "2 to 3"]),
        # internet_egress
        ({"internet_egress": "yes"}, ["internet_egress = 'yes' (from -c)", "true or false"]),
        ({"internet_egress": 1}, ["internet_egress = 1", "true or false"]),
        # log_retention_days
        ({"log_retention_days": "31"}, ["log_retention_days = '31' (from -c)", "1, 3, 5, 7, 14, 30, 60"]),
        ({"log_retention_days": 0}, ["log_retention_days = 0", "values CloudWatch Logs accepts"]),
        (
            {"profile": "prod", "log_retention_days": 30},
            ["log_retention_days = 30", "at least 365 days", "allowed: 365, 400"],
        ),
    ],
)
def test_each_rule_names_the_setting_the_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    assert_one_problem_mentioning(overrides, expected)


def test_log_retention_offers_every_value_cloudwatch_logs_accepts() -> None:
    # The list as cfn-lint's CloudFormation schema has it for AWS::Logs::LogGroup.RetentionInDays.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::Logs::LogGroup").schema
    accepted = set(schema["properties"]["RetentionInDays"]["enum"])
    assert set(RETENTION_DAYS) == accepted
    assert load_config(cdk_context()).deployment.log_retention == RETENTION_DAYS[30]


def test_lambda_concurrency_is_reserved_in_prod_only_by_default() -> None:
    assert load_config(cdk_context()).deployment.reserve_lambda_concurrency is False
    assert load_config(cdk_context(profile="prod")).deployment.reserve_lambda_concurrency is True
    assert load_config(cdk_context(reserve_lambda_concurrency="true")).deployment.reserve_lambda_concurrency
    assert_one_problem_mentioning(
        {"reserve_lambda_concurrency": "sometimes"},
        ["reserve_lambda_concurrency = 'sometimes'", "true or false"],
    )


def test_trail_data_events_is_a_boolean_setting() -> None:
    assert load_config(cdk_context()).audit.trail_data_events is True
    assert load_config(cdk_context(trail_data_events="false")).audit.trail_data_events is False
    assert_one_problem_mentioning(
        {"trail_data_events": "sometimes"}, ["trail_data_events = 'sometimes' (from -c)", "true or false"]
    )


def test_alarm_email_is_optional_and_must_be_an_address() -> None:
    assert load_config(cdk_context()).audit.alarm_email is None
    assert load_config(cdk_context(alarm_email="ops@example.com")).audit.alarm_email == "ops@example.com"
    for bad in ("ops", "ops@example", "two words@example.com", "@example.com"):
        assert_one_problem_mentioning(
            {"alarm_email": bad},
            [f"alarm_email = {bad!r} (from -c)", "must be an e-mail address like ops@example.com"],
        )
