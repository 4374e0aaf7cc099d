"""AsyncInferenceEndpoint: requests from an inbox prefix, responses and failures to their prefixes,
both topics encrypted, scaled from zero on backlog, grants for callers, and its alarms and row."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms

from infra.constructs.async_endpoint import AsyncInferenceEndpoint
from infra.constructs.log_group import LogSettings
from infra.constructs.serving_model import ServingModel
from infra.policy import nag_arn
from tests.infra.constructs.conftest import acknowledged, template_of
from tests.infra.constructs.serving_support import (
    INFERENCE_BUCKET,
    grantee,
    inference_bucket,
    model_in_vpc,
    policy_statements,
)

BUCKET_URI = f"s3://{INFERENCE_BUCKET}"


def async_endpoint(
    stack: cdk.Stack, model: ServingModel, key: kms.IKey, log_settings: LogSettings
) -> AsyncInferenceEndpoint:
    return AsyncInferenceEndpoint(
        stack,
        "Async",
        endpoint_name="as",
        serving=model,
        bucket=inference_bucket(stack),
        encryption_key=key,
        log_settings=log_settings,
        max_instances=4,
        max_concurrent_invocations=3,
        backlog_per_instance=5,
    )


@pytest.fixture
def model(stack: cdk.Stack, vpc: ec2.Vpc) -> ServingModel:
    return model_in_vpc(stack, vpc)


@pytest.fixture
def endpoint(
    stack: cdk.Stack, model: ServingModel, key: kms.Key, log_settings: LogSettings
) -> AsyncInferenceEndpoint:
    return async_endpoint(stack, model, key, log_settings)


def endpoint_config(stack: cdk.Stack) -> dict:
    [config] = template_of(stack).find_resources("AWS::SageMaker::EndpointConfig").values()
    return config["Properties"]


def logical_id(stack: cdk.Stack, construct: cdk.Resource) -> str:
    return stack.get_logical_id(construct.node.default_child)


def test_results_and_failures_go_encrypted_to_their_prefixes_and_both_topics(
    stack: cdk.Stack, endpoint: AsyncInferenceEndpoint, key: kms.Key
) -> None:
    config = endpoint_config(stack)["AsyncInferenceConfig"]
    output = config["OutputConfig"]
    assert output["S3OutputPath"] == f"{BUCKET_URI}/async/output/"
    assert output["S3FailurePath"] == f"{BUCKET_URI}/async/failures/"
    assert output["KmsKeyId"] == stack.resolve(key.key_arn)
    assert output["NotificationConfig"] == {
        "SuccessTopic": {"Ref": logical_id(stack, endpoint.success_topic)},
        "ErrorTopic": {"Ref": logical_id(stack, endpoint.error_topic)},
        "IncludeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"],
    }
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 3}
    for topic in template_of(stack).find_resources("AWS::SNS::Topic").values():
        assert topic["Properties"]["KmsMasterKeyId"] == stack.resolve(key.key_arn)
    [variant] = endpoint_config(stack)["ProductionVariants"]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.m5.large", 1)
    assert endpoint_config(stack)["KmsKeyId"] == stack.resolve(key.key_arn)  # m5 is EBS-only


def test_the_role_reads_the_inbox_writes_the_results_and_notifies(
    stack: cdk.Stack, endpoint: AsyncInferenceEndpoint, model: ServingModel
) -> None:
    found = policy_statements(stack, model.policy)
    assert str(found["ReadRequests"]["Resource"]).endswith(f":s3:::{INFERENCE_BUCKET}/async/inbox/*']]}}")
    written = str(found["WriteResponses"]["Resource"])
    assert "/async/output/*" in written
    assert "/async/failures/*" in written
    assert found["Notify"]["Resource"] == [
        {"Ref": logical_id(stack, endpoint.success_topic)},
        {"Ref": logical_id(stack, endpoint.error_topic)},
    ]
    assert {"WriteEndpointLogs", "UseModelsKey", "VolumeKeyGrant"} <= set(found)


def test_instances_scale_from_zero_on_backlog(stack: cdk.Stack, endpoint: AsyncInferenceEndpoint) -> None:
    [target] = template_of(stack).find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert target["Properties"]["ResourceId"] == "endpoint/as/variant/AllTraffic"
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (0, 4)
    policies = template_of(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    [tracking] = [p["Properties"] for i, p in policies.items() if "BacklogPerInstance" in i]
    configuration = tracking["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 5
    assert configuration["CustomizedMetricSpecification"]["MetricName"] == "ApproximateBacklogSizePerInstance"
    [alarm] = [a["Properties"] for a in template_of(stack).find_resources("AWS::CloudWatch::Alarm").values()]
    assert alarm["MetricName"] == "HasBacklogWithoutCapacity"
    assert alarm["Dimensions"] == [{"Name": "EndpointName", "Value": "as"}]


def test_grant_invoke_lets_a_caller_put_a_request_and_queue_it(
    stack: cdk.Stack, endpoint: AsyncInferenceEndpoint, key: kms.Key
) -> None:
    policy = grantee(stack)
    endpoint.grant_invoke(policy)
    found = policy_statements(stack, policy)
    assert set(found) == {"InvokeAsyncEndpoint", "WriteAsyncRequests", "EncryptAsyncRequests"}
    assert found["InvokeAsyncEndpoint"]["Action"] == "sagemaker:InvokeEndpointAsync"
    assert found["InvokeAsyncEndpoint"]["Resource"] == stack.resolve(endpoint.endpoint_arn)
    assert found["WriteAsyncRequests"]["Action"] == "s3:PutObject"
    assert str(found["WriteAsyncRequests"]["Resource"]).endswith("/async/inbox/*']]}")
    assert found["EncryptAsyncRequests"]["Resource"] == stack.resolve(key.key_arn)
    assert found["EncryptAsyncRequests"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    # cdk-nag flags the inbox wildcard in the caller's policy: acknowledged there, with the reason.
    inbox = endpoint.bucket.arn_for_objects("async/inbox/*")
    assert f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(inbox)}]" in acknowledged(policy)


def test_grant_describe_names_the_endpoint(stack: cdk.Stack, endpoint: AsyncInferenceEndpoint) -> None:
    policy = grantee(stack)
    endpoint.grant_describe(policy)
    statement = policy_statements(stack, policy)["DescribeAsyncEndpoint"]
    assert (statement["Action"], statement["Resource"]) == (
        "sagemaker:DescribeEndpoint",
        stack.resolve(endpoint.endpoint_arn),
    )


def test_its_alarms_are_server_errors_a_long_backlog_without_capacity_and_failed_requests(
    stack: cdk.Stack, endpoint: AsyncInferenceEndpoint
) -> None:
    errors, backlog, failed = endpoint.alarm_rules()
    assert errors.name == "Invocation5xxErrors"
    assert errors.metric.dimensions == {"EndpointName": "as", "VariantName": "AllTraffic"}
    assert backlog.name == "BacklogWithoutCapacityTooLong"
    assert (backlog.metric.metric_name, backlog.metric.statistic) == ("HasBacklogWithoutCapacity", "Minimum")
    assert backlog.metric.period.to_minutes() == 15
    assert backlog.description == (
        "Requests to as have waited 15 minutes with no instance: scale-out from zero is not happening"
    )
    assert failed.name == "FailedRequests"
    assert (failed.metric.namespace, failed.metric.metric_name, failed.metric.statistic) == (
        "AWS/SNS",
        "NumberOfMessagesPublished",
        "Sum",
    )
    assert stack.resolve(failed.metric.dimensions["TopicName"]) == {
        "Fn::GetAtt": [logical_id(stack, endpoint.error_topic), "TopicName"]
    }
    assert failed.description == "as reported failed requests (details under async/failures/)"


def test_its_dashboard_row_shows_the_backlog(stack: cdk.Stack, endpoint: AsyncInferenceEndpoint) -> None:
    [row] = endpoint.dashboard_rows()
    assert row.section == "SageMaker endpoints"
    rendered = stack.resolve(row.widgets[2].to_json())[0]["properties"]
    assert rendered["title"] == "as: backlog"
    assert [m[1] for m in rendered["metrics"]] == ["ApproximateBacklogSize", "HasBacklogWithoutCapacity"]
