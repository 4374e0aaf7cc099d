"""What the SageMaker construct tests build on: a model artifact, the endpoints' security group, and
a ServingModel in or out of the VPC (plain functions: the fixtures they need come from conftest)."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets

from infra.constructs.serving_model import ServingModel
from tests.infra.constructs.conftest import template_of

CPU_IMAGE = "pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker"
NEURON_IMAGE = "pytorch-inference-neuronx:2.9.0-neuronx-py312-sdk2.27.1-ubuntu24.04"
WORKLOADS = ec2.SubnetSelection(subnet_group_name="Workloads")
INFERENCE_BUCKET = "inference-111122223333-us-east-1"


def artifact(stack: cdk.Stack) -> s3_assets.Asset:
    """Any one file stands in for model.tar.gz: the constructs only reference the asset."""
    return s3_assets.Asset(stack, "Artifact", path=str(Path(__file__)))


def security_group(vpc: ec2.IVpc) -> ec2.SecurityGroup:
    """The endpoints' security group, in the VPC's stack (as the platform's is in another stack)."""
    return ec2.SecurityGroup(cdk.Stack.of(vpc), "EndpointGroup", vpc=vpc, allow_all_outbound=False)


def model_in_vpc(
    stack: cdk.Stack,
    vpc: ec2.IVpc,
    *,
    instance_type: str = "ml.m5.large",
    image: str = CPU_IMAGE,
    construct_id: str = "Model",
) -> ServingModel:
    return ServingModel(
        stack,
        construct_id,
        mode="test",
        image=image,
        instance_type=instance_type,
        artifact=artifact(stack),
        vpc=vpc,
        vpc_subnets=WORKLOADS,
        security_groups=[security_group(vpc)],
    )


def model_outside_vpc(stack: cdk.Stack) -> ServingModel:
    return ServingModel(
        stack, "Model", mode="serverless", image=CPU_IMAGE, instance_type=None, artifact=artifact(stack)
    )


def inference_bucket(stack: cdk.Stack) -> s3.IBucket:
    """A bucket by name and ARN, as the platform's stacks import the data stack's buckets."""
    return s3.Bucket.from_bucket_attributes(
        stack,
        "InferenceBucket",
        bucket_name=INFERENCE_BUCKET,
        bucket_arn=f"arn:{cdk.Aws.PARTITION}:s3:::{INFERENCE_BUCKET}",
    )


def grantee(stack: cdk.Stack) -> iam.ManagedPolicy:
    """A managed policy, as grants take, attached to a role so that the template holds it."""
    role = iam.Role(stack, "GranteeRole", assumed_by=iam.AccountRootPrincipal())
    return iam.ManagedPolicy(stack, "Grantee", roles=[role])


def policy_statements(stack: cdk.Stack, policy: iam.ManagedPolicy) -> dict[str, dict]:
    """The statements of `policy` in the synthesized template, by Sid."""
    policies = template_of(stack).find_resources("AWS::IAM::ManagedPolicy")
    document = policies[stack.get_logical_id(policy.node.default_child)]["Properties"]["PolicyDocument"]
    return {s.get("Sid"): s for s in document["Statement"]}
