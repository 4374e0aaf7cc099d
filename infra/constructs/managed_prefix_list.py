"""The ID of an AWS-managed prefix list (S3's, say), looked up at deploy time.

Why: traffic to S3 through a gateway endpoint leaves the subnet for S3's public address ranges,
so a security group must allow egress to them (Amazon VPC User Guide, "Gateway endpoints for
Amazon S3": the security groups "must allow traffic to and from Amazon S3"); AWS publishes those
ranges as the managed prefix list `com.amazonaws.<region>.s3`, whose ID differs per region and
account partition. The CDK's `PrefixList.from_lookup` would need AWS credentials at synth; this
asks EC2 once per deploy instead (DescribeManagedPrefixLists), so synth stays offline.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.constructs.lambda_role import lambda_role
from infra.policy import accept_cdk_singleton_function, acknowledge

# The construct id the CDK gives the one Lambda function behind all AwsCustomResources of a stack.
AWS_CUSTOM_RESOURCE_SINGLETON = "AWS679f53fac002430cb0da5b7982bd2287"


class ManagedPrefixList(Construct):
    """The AWS-managed prefix list `name` (`com.amazonaws.us-east-1.s3`), for security group rules.

    The lookup runs in the CDK's AwsCustomResource handler with a role of its own that may describe
    prefix lists and write `log_group`, nothing else; with `reserve_concurrency`, the handler has
    one reserved concurrent execution.

    At most one per stack, and no other AwsCustomResource in it: the CDK runs every
    AwsCustomResource of a stack in one singleton function, which keeps the role it was created
    with.

    Attributes: `prefix_list_id` (a token, resolved at deploy time), `peer` (an ec2.IPeer for
    `add_egress_rule`), `role` and `policy` (the lookup's).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        log_group: logs.ILogGroup,
        reserve_concurrency: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        if stack.node.try_find_child(AWS_CUSTOM_RESOURCE_SINGLETON) is not None:
            raise ValueError(
                f"{stack.stack_name} already has an AwsCustomResource: its singleton handler would run "
                f"the lookup of {name} with another role"
            )
        role, policy = lambda_role(
            self,
            role_id="LookupRole",
            policy_id="LookupPolicy",
            role_description=f"Looks up the ID of the managed prefix list {name}",
            policy_description="Describe managed prefix lists; write the lookup's own logs",
            log_group=log_group,
            statements=[
                iam.PolicyStatement(
                    sid="DescribeManagedPrefixLists",
                    actions=["ec2:DescribeManagedPrefixLists"],
                    resources=["*"],
                )
            ],
        )
        acknowledge(
            policy,
            "ec2:DescribeManagedPrefixLists is a Describe action that supports no resource-level "
            "permissions (Service Authorization Reference for Amazon EC2): IAM accepts only '*'.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        )
        describe = cr.AwsSdkCall(
            service="EC2",
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
            physical_resource_id=cr.PhysicalResourceId.of(name),
            output_paths=["PrefixLists.0.PrefixListId"],
        )
        lookup = cr.AwsCustomResource(
            self,
            "Lookup",
            resource_type="Custom::ManagedPrefixListLookup",
            on_create=describe,
            on_update=describe,
            role=role,
            install_latest_aws_sdk=False,
            log_group=log_group,
        )
        lookup.node.add_dependency(policy)
        accept_cdk_singleton_function(
            stack.node.find_child(AWS_CUSTOM_RESOURCE_SINGLETON),
            policy=policy,
            reserve_concurrency=reserve_concurrency,
            network_reason="The CDK's AwsCustomResource handler answers CloudFormation through a presigned "
            "URL of an AWS-owned S3 bucket, which the VPC's S3 endpoint policy (this account's buckets "
            "only) would block; it only reads EC2's prefix lists, once per deploy.",
        )
        self.role: iam.Role = role
        self.policy: iam.ManagedPolicy = policy
        self.prefix_list_id: str = lookup.get_response_field("PrefixLists.0.PrefixListId")
        self.peer: ec2.IPeer = ec2.Peer.prefix_list(self.prefix_list_id)
