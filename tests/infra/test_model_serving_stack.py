"""ModelServingStack: the real-time endpoint that scales to zero, and the serverless one."""

from __future__ import annotations

import json

from tests.conftest import Synth


def one(synth: Synth, resource_type: str, name_part: str) -> dict:
    stack = synth.platform.model_serving
    [properties] = [
        r["Properties"]
        for logical_id, r in synth.resources(stack, resource_type).items()
        if name_part in logical_id
    ]
    return properties


def statements(synth: Synth, policy_name_part: str) -> dict[str, dict]:
    policy = one(synth, "AWS::IAM::ManagedPolicy", policy_name_part)
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def variant(synth: Synth) -> dict:
    [production_variant] = one(synth, "AWS::SageMaker::EndpointConfig", "Realtime")["ProductionVariants"]
    return production_variant


# --- real-time -----------------------------------------------------------------------------------


def test_realtime_runs_on_the_configured_instance_type_scaling_instances_from_zero(
    dev: Synth, cpu: Synth
) -> None:
    assert variant(dev)["InstanceType"] == "ml.inf2.xlarge"
    assert variant(dev)["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 0,
        "MaxInstanceCount": 1,
    }
    assert variant(dev)["InitialInstanceCount"] == 1  # a model that cannot load fails the deploy
    assert "ModelName" not in variant(dev)  # inference components carry the model
    assert variant(cpu)["InstanceType"] == "ml.m5.large"
    assert variant(cpu)["ManagedInstanceScaling"]["MaxInstanceCount"] == 3


def test_the_model_is_hosted_as_an_inference_component_sized_for_the_hardware(
    dev: Synth, gpu: Synth, cpu: Synth
) -> None:
    component = one(dev, "AWS::SageMaker::InferenceComponent", "Realtime")
    assert component["InferenceComponentName"] == "GenAiPlatform-dev-realtime-digits"
    assert component["VariantName"] == "AllTraffic"
    assert component["RuntimeConfig"] == {"CopyCount": 1}
    assert "RealtimeModel" in json.dumps(component["Specification"]["ModelName"])
    # One Inferentia2 chip per copy on inf2, one GPU on g5, none on a CPU type.
    requirements = [
        one(synth, "AWS::SageMaker::InferenceComponent", "Realtime")["Specification"][
            "ComputeResourceRequirements"
        ]
        for synth in (dev, gpu, cpu)
    ]
    assert [r.get("NumberOfAcceleratorDevicesRequired") for r in requirements] == [1, 1, None]
    assert all(
        r["NumberOfCpuCoresRequired"] == 1 and r["MinMemoryRequiredInMb"] == 1024 for r in requirements
    )


def test_copies_scale_between_zero_and_the_maximum_on_concurrency(dev: Synth, cpu: Synth) -> None:
    target = one(dev, "AWS::ApplicationAutoScaling::ScalableTarget", "Realtime")
    assert target["ResourceId"] == "inference-component/GenAiPlatform-dev-realtime-digits"
    assert target["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 1)
    assert "RoleARN" not in target  # Application Auto Scaling's service-linked role
    assert one(cpu, "AWS::ApplicationAutoScaling::ScalableTarget", "Realtime")["MaxCapacity"] == 3

    tracking = one(dev, "AWS::ApplicationAutoScaling::ScalingPolicy", "ConcurrentRequestsPerCopy")
    configuration = tracking["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
    }
    assert configuration["TargetValue"] == dev.config.serving.realtime_target_concurrency


def test_a_request_that_finds_no_copy_adds_one(dev: Synth) -> None:
    step = one(dev, "AWS::ApplicationAutoScaling::ScalingPolicy", "ScaleOutFromZero")
    assert step["PolicyType"] == "StepScaling"
    assert step["StepScalingPolicyConfiguration"]["AdjustmentType"] == "ChangeInCapacity"
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    alarm = one(dev, "AWS::CloudWatch::Alarm", "NoCapacity")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SageMaker", "NoCapacityInvocationFailures")
    assert alarm["Dimensions"] == [
        {"Name": "InferenceComponentName", "Value": "GenAiPlatform-dev-realtime-digits"}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"
    [action] = alarm["AlarmActions"]
    assert "ScaleOutFromZero" in action["Ref"]


def test_realtime_runs_in_the_vpc_network_isolated(dev: Synth) -> None:
    config = one(dev, "AWS::SageMaker::EndpointConfig", "Realtime")
    model = one(dev, "AWS::SageMaker::Model", "RealtimeModel")
    for resource in (config, model):
        assert resource["EnableNetworkIsolation"] is True
        assert "EndpointSecurityGroup" in json.dumps(resource["VpcConfig"]["SecurityGroupIds"])
        assert "Workloads" in json.dumps(resource["VpcConfig"]["Subnets"])
    group = one(dev, "AWS::EC2::SecurityGroup", "EndpointSecurityGroup")
    assert "SecurityGroupIngress" not in group
    assert [
        (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) for rule in group["SecurityGroupEgress"]
    ] == [("tcp", 443, 443)]


def test_the_volume_key_is_set_only_where_the_instance_type_allows_one(
    dev: Synth, gpu: Synth, cpu: Synth
) -> None:
    # inf2 and m5 are EBS-only; g5 has local NVMe storage, which rejects a KmsKeyId.
    assert "ModelsKey" in json.dumps(one(dev, "AWS::SageMaker::EndpointConfig", "Realtime")["KmsKeyId"])
    assert "ModelsKey" in json.dumps(one(cpu, "AWS::SageMaker::EndpointConfig", "Realtime")["KmsKeyId"])
    assert "KmsKeyId" not in one(gpu, "AWS::SageMaker::EndpointConfig", "Realtime")
    assert "VolumeKeyGrant" in statements(dev, "RealtimeModel")
    assert "VolumeKeyGrant" not in statements(gpu, "RealtimeModel")


def test_data_capture_goes_encrypted_to_the_inference_bucket_at_the_configured_rate(
    dev: Synth, cpu: Synth
) -> None:
    capture = one(cpu, "AWS::SageMaker::EndpointConfig", "Realtime")["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == cpu.config.serving.data_capture_percentage == 25
    assert "genaiplatform-dev-inference-" in json.dumps(capture["DestinationS3Uri"])
    assert json.dumps(capture["DestinationS3Uri"]).endswith('/data-capture/realtime"]]}')
    assert "ModelsKey" in json.dumps(capture["KmsKeyId"])
    assert {o["CaptureMode"] for o in capture["CaptureOptions"]} == {"Input", "Output"}
    # 0, the default (undocumented for endpoints of inference components), turns capture off, and
    # with it the permission to write captures.
    assert "DataCaptureConfig" not in one(dev, "AWS::SageMaker::EndpointConfig", "Realtime")
    assert "WriteDataCapture" not in statements(dev, "RealtimeModel")
    assert "WriteDataCapture" in statements(cpu, "RealtimeModel")


def test_the_image_matches_the_hardware(dev: Synth, gpu: Synth, cpu: Synth) -> None:
    def image(synth: Synth, model: str) -> str:
        return one(synth, "AWS::SageMaker::Model", model)["PrimaryContainer"]["Image"]

    registry = "763104351884.dkr.ecr.us-east-1.amazonaws.com/"
    assert image(dev, "RealtimeModel") == registry + dev.config.serving.image_neuron
    assert image(gpu, "RealtimeModel") == registry + dev.config.serving.image_gpu
    assert image(cpu, "RealtimeModel") == registry + dev.config.serving.image_cpu
    assert image(dev, "ServerlessModel") == registry + dev.config.serving.image_cpu


def test_both_models_load_the_same_artifact_with_our_serving_code(dev: Synth) -> None:
    urls = set()
    for model in ("RealtimeModel", "ServerlessModel"):
        container = one(dev, "AWS::SageMaker::Model", model)["PrimaryContainer"]
        assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
        assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
        urls.add(json.dumps(container["ModelDataUrl"]))
    [url] = urls
    assert "cdk-hnb659fds-assets-" in url


def test_the_realtime_role_holds_exactly_what_the_endpoint_touches(dev: Synth, cpu: Synth) -> None:
    found = statements(dev, "RealtimeModel")
    assert set(found) == {
        "ReadModelArtifact",
        "PullServingImage",
        "EcrLogin",
        "SageMakerMetrics",
        "VpcNetworkInterfaces",
        "WriteEndpointLogs",
        "WriteInferenceComponentLogs",
        "UseModelsKey",
        "VolumeKeyGrant",
    }
    assert found["ReadModelArtifact"]["Action"] == "s3:GetObject"
    assert json.dumps(found["ReadModelArtifact"]["Resource"]).count(".gz") == 1  # one object
    assert found["PullServingImage"]["Resource"] == (
        "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference-neuronx"
    )
    assert found["SageMakerMetrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}
    }
    assert found["VolumeKeyGrant"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert json.dumps(statements(cpu, "RealtimeModel")["WriteDataCapture"]["Resource"]).endswith(
        '/data-capture/realtime/*"]]}'
    )
    for statement in found.values():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)


def test_sagemaker_log_groups_exist_first_encrypted_and_retained(dev: Synth) -> None:
    groups = dev.resources(dev.platform.model_serving, "AWS::Logs::LogGroup").values()
    names = {g["Properties"]["LogGroupName"] for g in groups}
    assert names == {
        "/aws/sagemaker/Endpoints/GenAiPlatform-dev-realtime",
        "/aws/sagemaker/InferenceComponents/GenAiPlatform-dev-realtime-digits",
        "/aws/sagemaker/Endpoints/GenAiPlatform-dev-serverless",
    }
    for group in groups:
        assert "LogsKey" in json.dumps(group["Properties"]["KmsKeyId"])
        assert group["Properties"]["RetentionInDays"] == dev.config.deployment.log_retention_days


# --- serverless ----------------------------------------------------------------------------------


def test_serverless_takes_its_memory_and_concurrency_from_config(dev: Synth, cpu: Synth) -> None:
    [production_variant] = one(dev, "AWS::SageMaker::EndpointConfig", "Serverless")["ProductionVariants"]
    assert production_variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    [production_variant] = one(cpu, "AWS::SageMaker::EndpointConfig", "Serverless")["ProductionVariants"]
    assert production_variant["ServerlessConfig"]["ProvisionedConcurrency"] == 2
    endpoint = one(dev, "AWS::SageMaker::Endpoint", "Serverless")
    assert endpoint["EndpointName"] == "GenAiPlatform-dev-serverless"


def test_serverless_has_no_vpc_isolation_or_capture_because_it_supports_none(dev: Synth) -> None:
    model = one(dev, "AWS::SageMaker::Model", "ServerlessModel")
    assert model["EnableNetworkIsolation"] is False
    assert "VpcConfig" not in model
    config = one(dev, "AWS::SageMaker::EndpointConfig", "Serverless")
    assert not {"KmsKeyId", "DataCaptureConfig", "VpcConfig"} & set(config)
    found = statements(dev, "ServerlessModel")
    assert set(found) == {
        "ReadModelArtifact",
        "PullServingImage",
        "EcrLogin",
        "SageMakerMetrics",
        "WriteEndpointLogs",
    }
    assert (
        found["PullServingImage"]["Resource"]
        == "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference"
    )
