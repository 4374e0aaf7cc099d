"""EncryptedLogGroup and LogSettings: KMS-encrypted, a retention CloudWatch accepts, and a reason
whenever logs are kept for less than a year."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from tests.infra.constructs.conftest import acknowledged, template_of

RETENTION_RULE = "cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check"
ENCRYPTION_RULE = "cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check"


def test_the_log_group_is_encrypted_with_the_key_and_kept_as_long_as_set(
    stack: cdk.Stack, key: kms.Key, log_settings: LogSettings
) -> None:
    group = EncryptedLogGroup(stack, "Logs", settings=log_settings)
    [resource] = template_of(stack).find_resources("AWS::Logs::LogGroup").values()
    assert resource["Properties"]["RetentionInDays"] == 30
    assert "Fn::ImportValue" in str(resource["Properties"]["KmsKeyId"])  # the shared stack's key
    assert resource["DeletionPolicy"] == "Delete"
    assert stack.resolve(group.log_group_arn) == {
        "Fn::GetAtt": [stack.get_logical_id(group.log_group.node.default_child), "Arn"]
    }


def test_a_name_is_given_to_cloudwatch_when_asked(stack: cdk.Stack, log_settings: LogSettings) -> None:
    EncryptedLogGroup(stack, "Logs", settings=log_settings, log_group_name="/aws/sagemaker/Endpoints/e")
    template_of(stack).has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "/aws/sagemaker/Endpoints/e"}
    )


def test_a_short_retention_carries_its_reason_as_the_acknowledgement(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    group = EncryptedLogGroup(stack, "Logs", settings=log_settings)
    assert acknowledged(group.log_group)[RETENTION_RULE] == "A test stack keeps its logs for a month."


def test_a_year_or_more_needs_no_reason_and_gets_no_acknowledgement(stack: cdk.Stack, key: kms.Key) -> None:
    settings = LogSettings(encryption_key=key, retention_days=400)
    group = EncryptedLogGroup(stack, "Logs", settings=settings)
    assert RETENTION_RULE not in acknowledged(group.log_group)
    [resource] = template_of(stack).find_resources("AWS::Logs::LogGroup").values()
    assert resource["Properties"]["RetentionInDays"] == 400
    # The default removal policy keeps logs when the stack goes.
    assert resource["DeletionPolicy"] == "Retain"


def test_a_key_of_another_stack_is_acknowledged_as_a_cross_stack_reference(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    group = EncryptedLogGroup(stack, "Logs", settings=log_settings)
    assert "comes from stack Shared" in acknowledged(group.log_group)[ENCRYPTION_RULE]


def test_a_key_of_the_same_stack_needs_no_acknowledgement(stack: cdk.Stack) -> None:
    settings = LogSettings(encryption_key=kms.Key(stack, "Key"), retention_days=365)
    group = EncryptedLogGroup(stack, "Logs", settings=settings)
    assert acknowledged(group.log_group) == {}


def test_a_short_retention_without_a_reason_is_refused(key: kms.Key) -> None:
    with pytest.raises(
        ValueError, match=r"Logs kept for 30 days \(less than 365\) need a short_retention_reason"
    ):
        LogSettings(encryption_key=key, retention_days=30, removal_policy=cdk.RemovalPolicy.DESTROY)


@pytest.mark.parametrize("days", [0, 2, 42, 366, 4000])
def test_a_retention_cloudwatch_does_not_accept_is_refused(key: kms.Key, days: int) -> None:
    with pytest.raises(ValueError, match=f"retention_days {days} is not one of"):
        LogSettings(encryption_key=key, retention_days=days, short_retention_reason="any")
