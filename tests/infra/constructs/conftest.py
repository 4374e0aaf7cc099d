"""Shared fixtures for the construct tests: each builds one construct in a bare stack.

A bare stack has no policy gates and no other stacks, so a construct test synthesizes in well
under a second and fails only for what the construct itself does. Policy gates, cfn-lint and
snapshots run on the whole-app variants (tests/conftest.py).
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra.constructs.log_group import LogSettings

ACCOUNT = "111122223333"
REGION = "us-east-1"


@pytest.fixture
def app() -> cdk.App:
    return cdk.App()


@pytest.fixture
def stack(app: cdk.App) -> cdk.Stack:
    """The stack under test, in a concrete account and region like the platform's stacks."""
    return cdk.Stack(app, "UnderTest", env=cdk.Environment(account=ACCOUNT, region=REGION))


@pytest.fixture
def shared(app: cdk.App) -> cdk.Stack:
    """A second stack, for what the construct receives from elsewhere (keys, buckets, a VPC)."""
    return cdk.Stack(app, "Shared", env=cdk.Environment(account=ACCOUNT, region=REGION))


@pytest.fixture
def key(shared: cdk.Stack) -> kms.Key:
    return kms.Key(shared, "Key", enable_key_rotation=True)


@pytest.fixture
def log_settings(key: kms.Key) -> LogSettings:
    return LogSettings(
        encryption_key=key,
        retention_days=30,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        short_retention_reason="A test stack keeps its logs for a month.",
    )


@pytest.fixture
def bucket(shared: cdk.Stack, key: kms.Key) -> s3.Bucket:
    return s3.Bucket(shared, "Bucket", encryption_key=key, bucket_name="under-test-bucket")


@pytest.fixture
def vpc(shared: cdk.Stack) -> ec2.Vpc:
    return ec2.Vpc(
        shared,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(
                name="Workloads", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            )
        ],
    )


def template_of(stack: cdk.Stack) -> Template:
    """The stack's template, for `assertions` (`has_resource_properties`, `Match`, `Capture`)."""
    return Template.from_stack(stack)


def statements_of(template: Template, policy_type: str = "AWS::IAM::ManagedPolicy") -> list[dict]:
    """Every IAM statement in the template's policies of `policy_type`, flattened."""
    return [
        statement
        for policy in template.find_resources(policy_type).values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def statement_with_sid(template: Template, sid: str) -> dict:
    """The one statement named `sid`; fails the test if there is none or more than one."""
    found = [s for s in statements_of(template) if s.get("Sid") == sid]
    assert len(found) == 1, f"expected one statement {sid!r}, found {len(found)}"
    return found[0]


def acknowledged(construct: IConstruct) -> dict[str, str]:
    """The rules acknowledged on `construct` itself (`infra.policy.acknowledge`), rule id -> reason."""
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return {
        rule: reason
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    }
