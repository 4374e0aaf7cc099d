"""Customer-managed keys: rotated, aliased, grants only for AWS resources, and one key-policy
statement per AWS service, with the conditions that service documents; a construct adds such a
statement only to a key or bucket of its own stack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.encryption import (
    add_where_owned,
    allow_cloudwatch_logs,
    create_key,
    eventbridge_delivery_statement,
    service_statement,
)
from tests.infra.constructs.conftest import template_of


def key_in(stack: cdk.Stack, removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY) -> kms.Key:
    return create_key(
        stack,
        "Key",
        alias="alias/under-test/documents",
        description="Documents",
        removal_policy=removal_policy,
    )


def key_statements(stack: cdk.Stack) -> dict[str, dict]:
    [key] = template_of(stack).find_resources("AWS::KMS::Key").values()
    return {s.get("Sid", "(default)"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}


def test_the_key_rotates_has_its_alias_and_a_short_deletion_window_when_destroyable(stack: cdk.Stack) -> None:
    key_in(stack)
    template = template_of(stack)
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": {"EnableKeyRotation": True, "PendingWindowInDays": 7, "Description": "Documents"},
            "DeletionPolicy": "Delete",
        },
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/under-test/documents"})


def test_a_retained_key_waits_the_longest_window_before_deletion(stack: cdk.Stack) -> None:
    key_in(stack, cdk.RemovalPolicy.RETAIN)
    template_of(stack).has_resource(
        "AWS::KMS::Key", {"Properties": {"PendingWindowInDays": 30}, "DeletionPolicy": "Retain"}
    )


def test_the_key_policy_delegates_to_iam_and_denies_grants_except_for_aws_resources(stack: cdk.Stack) -> None:
    key_in(stack)
    statements = key_statements(stack)
    assert set(statements) == {"(default)", "DenyGrantsExceptForAwsResources"}
    assert statements["(default)"]["Action"] == "kms:*"
    assert statements["DenyGrantsExceptForAwsResources"] == {
        "Sid": "DenyGrantsExceptForAwsResources",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
        },
    }


def test_cloudwatch_logs_may_use_the_key_for_log_groups_of_this_account_and_region(stack: cdk.Stack) -> None:
    allow_cloudwatch_logs(key_in(stack))
    statement = key_statements(stack)["AllowCloudWatchLogsOfThisAccountAndRegion"]
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:Decrypt" in statement["Action"]
    assert "kms:CreateGrant" not in statement["Action"]
    assert statement["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":logs:us-east-1:111122223333:log-group:*"],
                ]
            }
        }
    }


def test_a_service_may_use_the_key_for_this_account_only(stack: cdk.Stack) -> None:
    statement = service_statement(
        sid="AllowIndexing", service="indexing.example.com", actions=["kms:Decrypt"], account=stack.account
    )
    assert stack.resolve(statement.to_statement_json()) == {
        "Sid": "AllowIndexing",
        "Effect": "Allow",
        "Principal": {"Service": "indexing.example.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
    }


def test_a_service_can_be_pinned_to_a_source_arn_as_well(stack: cdk.Stack) -> None:
    statement = service_statement(
        sid="AllowAlarms",
        service="cloudwatch.amazonaws.com",
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        account="111122223333",
        source_arn="arn:aws:cloudwatch:us-east-1:111122223333:alarm:*",
    )
    assert stack.resolve(statement.to_statement_json())["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:*"},
    }


def test_eventbridge_delivery_is_allowed_without_a_condition_eventbridge_does_not_send(
    stack: cdk.Stack,
) -> None:
    statement = eventbridge_delivery_statement(sid="AllowEventBridge")
    assert stack.resolve(statement.to_statement_json()) == {
        "Sid": "AllowEventBridge",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
    }


def test_a_statement_for_an_imported_key_is_refused_rather_than_dropped(stack: cdk.Stack) -> None:
    imported = kms.Key.from_key_arn(
        stack, "Imported", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    with pytest.raises(ValueError, match="is imported: its key policy cannot take 'AllowCloudWatchLogs"):
        allow_cloudwatch_logs(imported)


def test_a_construct_adds_a_statement_to_a_key_or_bucket_its_own_stack_creates(stack: cdk.Stack) -> None:
    key = key_in(stack)
    bucket = s3.Bucket(stack, "Bucket")
    scope = Construct(stack, "User")
    assert add_where_owned(scope, key, [eventbridge_delivery_statement(sid="AllowEventBridge")])
    assert add_where_owned(scope, bucket, [_bucket_statement(bucket)])
    assert "AllowEventBridge" in key_statements(stack)
    [policy] = template_of(stack).find_resources("AWS::S3::BucketPolicy").values()
    assert [s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]] == ["AllowDelivery"]


def test_a_key_or_bucket_of_another_stack_or_imported_is_left_to_its_owner(
    stack: cdk.Stack, shared: cdk.Stack
) -> None:
    # The owner adds what the construct needs: a construct writes no other stack's policies.
    key, bucket = key_in(shared), s3.Bucket(shared, "Bucket")
    imported_key = kms.Key.from_key_arn(stack, "Imported", "arn:aws:kms:us-east-1:111122223333:key/1234")
    imported_bucket = s3.Bucket.from_bucket_name(stack, "ImportedBucket", "someone-elses-bucket")
    scope = Construct(stack, "User")
    for resource in (key, imported_key):
        assert not add_where_owned(scope, resource, [eventbridge_delivery_statement(sid="AllowEventBridge")])
    for resource in (bucket, imported_bucket):
        assert not add_where_owned(scope, resource, [_bucket_statement(resource)])
    assert "AllowEventBridge" not in key_statements(shared)
    assert template_of(shared).find_resources("AWS::S3::BucketPolicy") == {}
    assert template_of(stack).find_resources("AWS::S3::BucketPolicy") == {}


def _bucket_statement(bucket: s3.IBucket) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="AllowDelivery",
        principals=[iam.ServicePrincipal("delivery.example.com")],
        actions=["s3:PutObject"],
        resources=[bucket.arn_for_objects("*")],
    )
