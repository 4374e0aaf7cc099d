"""ServingModel: a model with a role of its own, in the VPC and isolated when given one, its image
from the stack's region, its log groups and its key on request."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match

from infra.constructs.log_group import LogSettings
from infra.constructs.serving_model import ServingModel
from infra.policy import in_compliance_packs
from tests.infra.constructs.conftest import acknowledged, template_of
from tests.infra.constructs.serving_support import (
    NEURON_IMAGE,
    artifact,
    model_in_vpc,
    model_outside_vpc,
    policy_statements,
)

REGISTRY = "763104351884.dkr.ecr.us-east-1.amazonaws.com/"


def model_properties(stack: cdk.Stack) -> dict:
    [model] = template_of(stack).find_resources("AWS::SageMaker::Model").values()
    return model["Properties"]


def test_the_role_is_sagemakers_in_this_account_with_what_every_mode_needs(stack: cdk.Stack) -> None:
    model = model_outside_vpc(stack)
    template = template_of(stack)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
                    }
                ]
            }
        },
    )
    found = policy_statements(stack, model.policy)
    assert set(found) == {"ReadModelArtifact", "PullServingImage", "EcrLogin", "SageMakerMetrics"}
    assert found["ReadModelArtifact"]["Action"] == "s3:GetObject"
    assert ":ecr:us-east-1:763104351884:repository/pytorch-inference'" in str(
        found["PullServingImage"]["Resource"]
    )
    assert found["SageMakerMetrics"]["Condition"] == {
        "StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}
    }
    # SageMaker checks the role's permissions when it creates the model.
    [resource] = template.find_resources("AWS::SageMaker::Model").values()
    assert resource["DependsOn"] == [stack.get_logical_id(model.policy.node.default_child)]


def test_the_image_comes_from_the_stacks_region(stack: cdk.Stack, vpc: ec2.Vpc) -> None:
    model_in_vpc(stack, vpc, instance_type="ml.inf2.xlarge", image=NEURON_IMAGE)
    assert model_properties(stack)["PrimaryContainer"]["Image"] == REGISTRY + NEURON_IMAGE
    assert model_properties(stack)["PrimaryContainer"]["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"


def test_in_the_vpc_the_model_is_isolated_in_the_given_subnets_and_groups(
    stack: cdk.Stack, vpc: ec2.Vpc
) -> None:
    model = model_in_vpc(stack, vpc)
    properties = model_properties(stack)
    assert properties["EnableNetworkIsolation"] is True
    assert len(properties["VpcConfig"]["Subnets"]) == 2  # one per AZ of the Workloads group
    assert "EndpointGroup" in str(properties["VpcConfig"]["SecurityGroupIds"])
    assert model.in_vpc
    assert (len(model.subnet_ids), len(model.security_group_ids)) == (2, 1)
    assert "VpcNetworkInterfaces" in policy_statements(stack, model.policy)


def test_outside_the_vpc_there_is_no_network_and_no_interface_permission(stack: cdk.Stack) -> None:
    model = model_outside_vpc(stack)
    properties = model_properties(stack)
    assert properties["EnableNetworkIsolation"] is False
    assert "VpcConfig" not in properties
    assert not model.in_vpc
    assert "VpcNetworkInterfaces" not in policy_statements(stack, model.policy)


def test_a_model_in_a_vpc_needs_a_security_group(stack: cdk.Stack, vpc: ec2.Vpc) -> None:
    with pytest.raises(ValueError, match="security group"):
        ServingModel(
            stack,
            "Model",
            mode="m",
            image="i:t",
            instance_type="ml.m5.large",
            artifact=artifact(stack),
            vpc=vpc,
        )


def test_the_image_registry_needs_a_region(app: cdk.App) -> None:
    agnostic = cdk.Stack(app, "Agnostic")
    with pytest.raises(ValueError, match="region"):
        model_outside_vpc(agnostic)


def test_write_logs_creates_the_named_group_and_lets_the_role_write_only_there(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    model = model_outside_vpc(stack)
    model.write_logs(
        stack, "EndpointLogs", log_settings=log_settings, log_group_name="/aws/sagemaker/Endpoints/e"
    )
    template_of(stack).has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/aws/sagemaker/Endpoints/e", "RetentionInDays": 30, "KmsKeyId": Match.any_value()},
    )
    statement = policy_statements(stack, model.policy)["WriteEndpointLogs"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    assert "EndpointLogs" in str(statement["Resource"])


def test_use_key_grants_the_key_and_a_volume_grant_on_ebs_only_types(
    stack: cdk.Stack, vpc: ec2.Vpc, key: kms.Key
) -> None:
    model = model_in_vpc(stack, vpc, instance_type="ml.inf2.xlarge", image=NEURON_IMAGE)
    assert model.use_key(key) == key.key_arn
    found = policy_statements(stack, model.policy)
    assert found["UseModelsKey"]["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
    ]
    assert found["VolumeKeyGrant"]["Action"] == "kms:CreateGrant"
    assert found["VolumeKeyGrant"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_use_key_gives_no_volume_key_on_local_nvme_types_and_says_why(
    stack: cdk.Stack, vpc: ec2.Vpc, key: kms.Key
) -> None:
    model = model_in_vpc(stack, vpc, instance_type="ml.g5.xlarge")
    config = cdk.Resource(stack, "EndpointConfigStandIn")
    assert model.use_key(key, endpoint_config=config, still_encrypted="Outputs are encrypted.") is None
    found = policy_statements(stack, model.policy)
    assert "UseModelsKey" in found
    assert "VolumeKeyGrant" not in found
    reasons = acknowledged(config)
    assert set(reasons) == set(in_compliance_packs("SageMakerEndpointConfigurationKMSKeyConfigured"))
    assert all("local NVMe" in r and r.endswith("Outputs are encrypted.") for r in reasons.values())
