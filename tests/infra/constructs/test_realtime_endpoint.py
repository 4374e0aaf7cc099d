"""ScaleToZeroRealtimeEndpoint: an inference component on managed instances that scale to zero, in
the model's VPC, with grants for callers, optional data capture, and its alarm and dashboard row."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms

from infra.constructs.log_group import LogSettings
from infra.constructs.realtime_endpoint import DataCapture, ScaleToZeroRealtimeEndpoint
from infra.constructs.serving_model import ServingModel
from tests.infra.constructs.conftest import template_of
from tests.infra.constructs.serving_support import (
    NEURON_IMAGE,
    grantee,
    inference_bucket,
    model_in_vpc,
    model_outside_vpc,
    policy_statements,
)


def realtime(
    stack: cdk.Stack,
    model: ServingModel,
    key: kms.IKey,
    log_settings: LogSettings,
    data_capture: DataCapture | None = None,
) -> ScaleToZeroRealtimeEndpoint:
    return ScaleToZeroRealtimeEndpoint(
        stack,
        "Realtime",
        endpoint_name="rt",
        serving=model,
        max_instances=3,
        target_concurrency=4,
        encryption_key=key,
        log_settings=log_settings,
        data_capture=data_capture,
    )


def one(stack: cdk.Stack, resource_type: str) -> dict:
    [resource] = template_of(stack).find_resources(resource_type).values()
    return resource


@pytest.fixture
def endpoint(
    stack: cdk.Stack, vpc: ec2.Vpc, key: kms.Key, log_settings: LogSettings
) -> ScaleToZeroRealtimeEndpoint:
    return realtime(
        stack, model_in_vpc(stack, vpc, instance_type="ml.inf2.xlarge", image=NEURON_IMAGE), key, log_settings
    )


def test_instances_scale_between_zero_and_the_maximum(
    stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint
) -> None:
    [variant] = one(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"]
    assert variant["InstanceType"] == "ml.inf2.xlarge"
    assert variant["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 0,
        "MaxInstanceCount": 3,
    }
    assert variant["InitialInstanceCount"] == 1  # a model that cannot load fails the deploy
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


def test_copies_of_the_model_scale_between_zero_and_the_maximum_on_concurrency(
    stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint
) -> None:
    component = one(stack, "AWS::SageMaker::InferenceComponent")["Properties"]
    assert component["InferenceComponentName"] == endpoint.component_name == "rt-digits"
    assert component["RuntimeConfig"] == {"CopyCount": 1}
    assert component["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfCpuCoresRequired": 1,
        "MinMemoryRequiredInMb": 1024,
        "NumberOfAcceleratorDevicesRequired": 1,  # one Inferentia2 chip on inf2
    }
    target = one(stack, "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert target["ResourceId"] == "inference-component/rt-digits"
    assert target["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 3)
    policies = template_of(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    [tracking] = [p["Properties"] for i, p in policies.items() if "ConcurrentRequestsPerCopy" in i]
    assert tracking["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 4
    [alarm] = [a["Properties"] for a in template_of(stack).find_resources("AWS::CloudWatch::Alarm").values()]
    assert alarm["MetricName"] == "NoCapacityInvocationFailures"
    assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "rt-digits"}]


def test_a_cpu_type_copy_asks_for_no_accelerator(
    stack: cdk.Stack, vpc: ec2.Vpc, key: kms.Key, log_settings: LogSettings
) -> None:
    realtime(stack, model_in_vpc(stack, vpc, instance_type="ml.m5.large"), key, log_settings)
    requirements = one(stack, "AWS::SageMaker::InferenceComponent")["Properties"]["Specification"]
    assert "NumberOfAcceleratorDevicesRequired" not in requirements["ComputeResourceRequirements"]


def test_the_endpoint_runs_isolated_in_the_models_network_and_waits_for_its_egress(
    stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint, key: kms.Key
) -> None:
    config = one(stack, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert config["EnableNetworkIsolation"] is True
    model = one(stack, "AWS::SageMaker::Model")["Properties"]
    assert config["VpcConfig"] == {
        "SecurityGroupIds": model["VpcConfig"]["SecurityGroupIds"],
        "Subnets": model["VpcConfig"]["Subnets"],
    }
    assert config["KmsKeyId"] == stack.resolve(key.key_arn)  # inf2 is EBS-only
    assert "DataCaptureConfig" not in config
    # The security group lives in another stack: the endpoint's stack then deploys after it.
    assert cdk.Stack.of(key) in stack.dependencies


def test_the_model_must_run_in_a_vpc(stack: cdk.Stack, key: kms.Key, log_settings: LogSettings) -> None:
    with pytest.raises(ValueError, match="VPC"):
        realtime(stack, model_outside_vpc(stack), key, log_settings)


def test_its_log_groups_exist_first_and_the_role_may_write_them(
    stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint
) -> None:
    names = {
        g["Properties"]["LogGroupName"]
        for g in template_of(stack).find_resources("AWS::Logs::LogGroup").values()
    }
    assert names == {"/aws/sagemaker/Endpoints/rt", "/aws/sagemaker/InferenceComponents/rt-digits"}
    [policy] = [
        p
        for i, p in template_of(stack).find_resources("AWS::IAM::ManagedPolicy").items()
        if i.startswith("Model")
    ]
    sids = {s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert {"WriteEndpointLogs", "WriteInferenceComponentLogs", "UseModelsKey", "VolumeKeyGrant"} <= sids


def test_data_capture_goes_encrypted_to_the_bucket_prefix_and_the_role_may_write_only_there(
    stack: cdk.Stack, vpc: ec2.Vpc, key: kms.Key, log_settings: LogSettings
) -> None:
    model = model_in_vpc(stack, vpc)
    capture = DataCapture(bucket=inference_bucket(stack), sampling_percentage=25)
    realtime(stack, model, key, log_settings, data_capture=capture)
    config = one(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["DataCaptureConfig"]
    assert config["InitialSamplingPercentage"] == 25
    assert config["DestinationS3Uri"] == "s3://inference-111122223333-us-east-1/data-capture/realtime"
    assert config["KmsKeyId"] == stack.resolve(key.key_arn)
    assert {o["CaptureMode"] for o in config["CaptureOptions"]} == {"Input", "Output"}
    write = policy_statements(stack, model.policy)["WriteDataCapture"]
    assert write["Action"] == "s3:PutObject"
    assert str(write["Resource"]).endswith(
        ":s3:::inference-111122223333-us-east-1/data-capture/realtime/*']]}"
    )


def test_a_capture_rate_must_be_a_percentage() -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        DataCapture(bucket=None, sampling_percentage=0)


def test_grant_describe_names_the_endpoint(stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint) -> None:
    policy = grantee(stack)
    endpoint.grant_describe(policy)
    statement = policy_statements(stack, policy)["DescribeRealtimeEndpoint"]
    assert statement["Action"] == "sagemaker:DescribeEndpoint"
    assert statement["Resource"] == stack.resolve(endpoint.endpoint_arn)


def test_grant_invoke_names_the_endpoint_and_its_inference_component(
    stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint
) -> None:
    policy = grantee(stack)
    endpoint.grant_invoke(policy)
    statement = policy_statements(stack, policy)["InvokeRealtimeEndpoint"]
    assert statement["Action"] == "sagemaker:InvokeEndpoint"
    [component_id] = template_of(stack).find_resources("AWS::SageMaker::InferenceComponent")
    assert statement["Resource"] == [
        stack.resolve(endpoint.endpoint_arn),
        {"Fn::GetAtt": [component_id, "InferenceComponentArn"]},
    ]
    assert stack.resolve(endpoint.component_arn) == statement["Resource"][1]


def test_server_errors_are_watched_per_inference_component(endpoint: ScaleToZeroRealtimeEndpoint) -> None:
    [rule] = endpoint.alarm_rules()
    assert rule.name == "Invocation5xxErrors"
    assert rule.metric.metric_name == "Invocation5XXErrors"
    assert rule.metric.dimensions == {"InferenceComponentName": "rt-digits"}
    assert rule.description == "The model on SageMaker endpoint rt answered with server errors"


def test_its_dashboard_row_shows_copies_and_requests_without_one(
    stack: cdk.Stack, endpoint: ScaleToZeroRealtimeEndpoint
) -> None:
    [row] = endpoint.dashboard_rows()
    assert row.section == "SageMaker endpoints"
    rendered = stack.resolve(row.widgets[2].to_json())[0]["properties"]
    assert rendered["title"] == "rt: model copies and requests without one"
    assert rendered["metrics"] == [
        [
            "AWS/SageMaker",
            "CopyCount",
            "InferenceComponentName",
            "rt-digits",
            {"label": "rt-digits CopyCount", "stat": "Maximum"},
        ],
        [
            "AWS/SageMaker",
            "NoCapacityInvocationFailures",
            "InferenceComponentName",
            "rt-digits",
            {"label": "rt-digits NoCapacityInvocationFailures", "stat": "Sum", "yAxis": "right"},
        ],
    ]
