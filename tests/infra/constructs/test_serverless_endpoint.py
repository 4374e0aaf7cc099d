"""ServerlessEndpoint: memory and concurrency as given, outside the VPC (it supports none), with
grants for callers and its alarm and dashboard row."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from infra.constructs.log_group import LogSettings
from infra.constructs.serverless_endpoint import ServerlessEndpoint
from infra.constructs.serving_model import ServingModel
from infra.policy import in_compliance_packs
from tests.infra.constructs.conftest import acknowledged, template_of
from tests.infra.constructs.serving_support import grantee, model_in_vpc, model_outside_vpc, policy_statements


def serverless(
    stack: cdk.Stack, log_settings: LogSettings, model: ServingModel | None = None, **props
) -> ServerlessEndpoint:
    return ServerlessEndpoint(
        stack,
        "Serverless",
        endpoint_name="sl",
        serving=model or model_outside_vpc(stack),
        memory_size_mb=props.pop("memory_size_mb", 3072),
        max_concurrency=props.pop("max_concurrency", 7),
        log_settings=log_settings,
        **props,
    )


def variant(stack: cdk.Stack) -> dict:
    [config] = template_of(stack).find_resources("AWS::SageMaker::EndpointConfig").values()
    [production_variant] = config["Properties"]["ProductionVariants"]
    return production_variant


def test_memory_and_concurrency_are_as_given(stack: cdk.Stack, log_settings: LogSettings) -> None:
    endpoint = serverless(stack, log_settings)
    assert variant(stack)["ServerlessConfig"] == {"MemorySizeInMB": 3072, "MaxConcurrency": 7}
    assert variant(stack)["VariantName"] == "AllTraffic"
    [resource] = template_of(stack).find_resources("AWS::SageMaker::Endpoint").values()
    assert resource["Properties"]["EndpointName"] == endpoint.endpoint_name == "sl"


def test_provisioned_concurrency_when_given(stack: cdk.Stack, log_settings: LogSettings) -> None:
    serverless(stack, log_settings, provisioned_concurrency=2)
    assert variant(stack)["ServerlessConfig"]["ProvisionedConcurrency"] == 2


def test_no_volume_key_and_no_vpc_each_acknowledged_with_its_reason(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    model = model_outside_vpc(stack)
    endpoint = serverless(stack, log_settings, model)
    [config] = template_of(stack).find_resources("AWS::SageMaker::EndpointConfig").values()
    assert not {"KmsKeyId", "VpcConfig", "DataCaptureConfig"} & set(config["Properties"])
    assert set(acknowledged(endpoint.node.find_child("EndpointConfig"))) == set(
        in_compliance_packs("SageMakerEndpointConfigurationKMSKeyConfigured")
    )
    [reason] = acknowledged(model.node.find_child("Model")).values()
    assert "serverless" in reason
    assert set(policy_statements(stack, model.policy)) == {
        "ReadModelArtifact",
        "PullServingImage",
        "EcrLogin",
        "SageMakerMetrics",
        "WriteEndpointLogs",
    }


def test_a_model_in_a_vpc_is_refused(stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings) -> None:
    with pytest.raises(ValueError, match="no VPC"):
        serverless(stack, log_settings, model_in_vpc(stack, vpc))


def test_grants_name_the_endpoint(stack: cdk.Stack, log_settings: LogSettings) -> None:
    endpoint = serverless(stack, log_settings)
    policy = grantee(stack)
    endpoint.grant_describe(policy)
    endpoint.grant_invoke(policy)
    found = policy_statements(stack, policy)
    arn = stack.resolve(endpoint.endpoint_arn)
    assert found["DescribeServerlessEndpoint"] == {
        "Sid": "DescribeServerlessEndpoint",
        "Action": "sagemaker:DescribeEndpoint",
        "Effect": "Allow",
        "Resource": arn,
    }
    assert found["InvokeServerlessEndpoint"]["Action"] == "sagemaker:InvokeEndpoint"
    assert found["InvokeServerlessEndpoint"]["Resource"] == arn


def test_server_errors_are_watched_per_variant_and_concurrency_is_shown(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    endpoint = serverless(stack, log_settings)
    [rule] = endpoint.alarm_rules()
    assert rule.name == "Invocation5xxErrors"
    assert rule.metric.dimensions == {"EndpointName": "sl", "VariantName": "AllTraffic"}
    assert rule.description == "SageMaker endpoint sl answered with server errors"
    [row] = endpoint.dashboard_rows()
    rendered = stack.resolve(row.widgets[2].to_json())[0]["properties"]
    assert rendered["title"] == "sl: concurrency"
    [[namespace, name, *_, options]] = rendered["metrics"]
    assert (namespace, name, options["stat"]) == (
        "AWS/SageMaker",
        "ServerlessConcurrentExecutionsUtilization",
        "Maximum",
    )
