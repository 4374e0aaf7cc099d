"""ModelInvocationLogging: the custom resource that sets Bedrock's invocation logging, its delivery
role, the large-payload bucket statement, and the handler and framework behind it."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from infra.constructs.log_group import LogSettings
from infra.constructs.model_invocation_logging import LARGE_PAYLOAD_PREFIX, ModelInvocationLogging
from tests.infra.constructs.conftest import statement_with_sid, template_of


@pytest.fixture
def logging(stack: cdk.Stack, bucket: s3.Bucket, log_settings: LogSettings) -> ModelInvocationLogging:
    return ModelInvocationLogging(
        stack, "Logging", log_settings=log_settings, large_payload_bucket=bucket, reserve_concurrency=False
    )


def logical_id(construct: object) -> str:
    return cdk.Stack.of(construct).get_logical_id(construct.node.default_child)


def test_the_custom_resource_sets_logging_into_the_log_group_without_embeddings(
    stack: cdk.Stack, logging: ModelInvocationLogging
) -> None:
    template = template_of(stack)
    [(_, resource)] = template.find_resources("Custom::BedrockModelInvocationLogging").items()
    config = resource["Properties"]["LoggingConfig"]
    cloudwatch = config["cloudWatchConfig"]
    assert cloudwatch["logGroupName"] == {"Ref": logical_id(logging.log_group)}
    assert cloudwatch["roleArn"]["Fn::GetAtt"][0].startswith("LoggingDeliveryRole")
    assert cloudwatch["largeDataDeliveryS3Config"]["keyPrefix"] == LARGE_PAYLOAD_PREFIX
    assert (config["textDataDeliveryEnabled"], config["imageDataDeliveryEnabled"]) == (True, True)
    assert config["embeddingDataDeliveryEnabled"] is False
    # Bedrock checks the delivery role's policy when the setting is put.
    assert any(d.startswith("LoggingDeliveryPolicy") for d in resource["DependsOn"])


def test_bedrock_of_this_account_alone_writes_the_logs(
    stack: cdk.Stack, logging: ModelInvocationLogging
) -> None:
    template = template_of(stack)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "Description": "Bedrock writes model invocation logs",
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "bedrock.amazonaws.com"},
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": "111122223333"},
                                "ArnLike": {"aws:SourceArn": Match.any_value()},
                            },
                        }
                    )
                ]
            },
        },
    )
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Description": "Write model invocation logs into their log group only",
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": {"Fn::GetAtt": [logical_id(logging.log_group), "Arn"]},
                        }
                    )
                ]
            },
        },
    )


def test_the_buckets_owner_admits_bedrock_of_this_account_under_the_prefix_only(
    shared: cdk.Stack, bucket: s3.Bucket
) -> None:
    statement = shared.resolve(ModelInvocationLogging.bucket_statement(bucket).to_statement_json())
    assert statement["Sid"] == "BedrockModelInvocationLogsOfThisAccount"
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Action"] == "s3:PutObject"
    assert f"/{LARGE_PAYLOAD_PREFIX}/AWSLogs/111122223333/BedrockModelInvocationLogs/*" in str(
        statement["Resource"]
    )
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnLike": {
            "aws:SourceArn": {
                "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":bedrock:us-east-1:111122223333:*"]]
            }
        },
    }


def test_a_bucket_of_another_stack_is_left_to_its_owner(
    shared: cdk.Stack, logging: ModelInvocationLogging
) -> None:
    assert Template.from_stack(shared).find_resources("AWS::S3::BucketPolicy") == {}


def test_a_bucket_of_its_own_stack_admits_bedrock_before_logging_is_set(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    own = s3.Bucket(stack, "Payloads")
    ModelInvocationLogging(
        stack, "Logging", log_settings=log_settings, large_payload_bucket=own, reserve_concurrency=False
    )
    template = template_of(stack)
    [(policy_id, policy)] = template.find_resources("AWS::S3::BucketPolicy").items()
    sids = [s.get("Sid") for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert sids == ["BedrockModelInvocationLogsOfThisAccount"]
    [resource] = template.find_resources("Custom::BedrockModelInvocationLogging").values()
    assert policy_id in resource["DependsOn"]


def test_the_handler_may_read_set_and_delete_the_setting_and_pass_only_the_delivery_role(
    stack: cdk.Stack, logging: ModelInvocationLogging
) -> None:
    template = template_of(stack)
    calls = statement_with_sid(template, "ModelInvocationLoggingConfiguration")
    assert sorted(calls["Action"]) == [
        "bedrock:DeleteModelInvocationLoggingConfiguration",
        "bedrock:GetModelInvocationLoggingConfiguration",
        "bedrock:PutModelInvocationLoggingConfiguration",
    ]
    passing = statement_with_sid(template, "PassTheDeliveryRoleToBedrock")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    assert passing["Resource"]["Fn::GetAtt"][0].startswith("LoggingDeliveryRole")
    invoke = statement_with_sid(template, "InvokeTheHandler")
    assert sorted(invoke["Action"]) == ["lambda:GetFunction", "lambda:InvokeFunction"]
    template.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "invocation_logging.handler.lambda_handler", "Timeout": 300}
    )
    template.resource_count_is("AWS::IAM::Policy", 0)


@pytest.mark.parametrize(("reserve", "expected"), [(True, 1), (False, None)])
def test_the_deploy_time_functions_reserve_one_execution_by_choice(
    stack: cdk.Stack, bucket: s3.Bucket, log_settings: LogSettings, reserve: bool, expected: int | None
) -> None:
    ModelInvocationLogging(
        stack, "Logging", log_settings=log_settings, large_payload_bucket=bucket, reserve_concurrency=reserve
    )
    functions = template_of(stack).find_resources("AWS::Lambda::Function").values()
    assert len(functions) == 2  # our handler and the Provider framework's
    assert {f["Properties"].get("ReservedConcurrentExecutions") for f in functions} == {expected}


def test_every_log_group_is_encrypted_and_kept_per_the_settings(
    stack: cdk.Stack, logging: ModelInvocationLogging
) -> None:
    groups = template_of(stack).find_resources("AWS::Logs::LogGroup").values()
    assert len(groups) == 3  # invocation logs, handler, framework
    for group in groups:
        assert "KmsKeyId" in group["Properties"]
        assert group["Properties"]["RetentionInDays"] == 30
