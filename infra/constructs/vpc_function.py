"""A Python Lambda function of this project, placed in the VPC and held to its checks."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import AppConfig
from infra.constructs.log_group import EncryptedLogGroup
from infra.policy import acknowledge, acknowledge_cross_stack_reference

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
# Powertools for AWS Lambda (Python) v3 from its AWS-managed layer (account 017000801446): no
# bundling, so synth needs no Docker. Pinned: a new layer version is a deliberate upgrade.
POWERTOOLS_LAYER_VERSION = 27
POWERTOOLS_LAYER = "AWSLambdaPowertoolsPythonV3-python314-arm64"


class PythonFunctionInVpc(Construct):
    """Runs `lambdas/<package>/handler.py:lambda_handler`.

    - in the VPC's workload subnets, with a security group of its own that allows only HTTPS
      out to the VPC (the interface endpoints); a workload declares the endpoints it calls;
    - its log group KMS-encrypted and retained per config;
    - reserved concurrency, so it can never starve the account's other functions;
    - a role whose permissions are `statements` plus what Lambda needs for logs and VPC network
      interfaces, in one customer-managed policy (the compliance packs reject inline policies).
      The function gets the role as immutable, so the CDK cannot add grants of its own on top.
    - the code asset holds only `lambdas/<package>/`, so a change to one function redeploys
      that function alone.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        package: str,
        description: str,
        timeout: cdk.Duration,
        reserved_concurrency: int,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        logs_key: kms.IKey,
        environment: dict[str, str],
        statements: list[iam.PolicyStatement],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        log_group = EncryptedLogGroup(self, "Logs", config=config, key=logs_key).log_group

        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False, description=f"Lambda {package}"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.ipv4(config.vpc_cidr),
            ec2.Port.tcp(443),
            "HTTPS to AWS APIs through the interface endpoints",
        )

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Lambda {package}",
        )
        network_interfaces = iam.PolicyStatement(
            sid="VpcNetworkInterfaces",
            actions=[
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            # The EC2 Describe calls support no resource-level permissions, and Lambda creates the
            # interfaces before their IDs exist: AWS's own Lambda VPC policy grants these on "*".
            resources=["*"],
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Lambda {package}: what it calls, its logs, its network interfaces",
            roles=[self.role],
            statements=[
                *statements,
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                network_interfaces,
            ],
        )
        acknowledge(
            self.policy,
            f"Lambda {package} runs in the VPC: creating and describing its network interfaces takes "
            "ec2 actions that support no resource-level permissions (the AWS-managed Lambda VPC "
            "policy grants the same on '*'); every other statement names its resources.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        )

        powertools = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "Powertools",
            f"arn:{stack.partition}:lambda:{stack.region}:017000801446:layer:{POWERTOOLS_LAYER}:"
            f"{POWERTOOLS_LAYER_VERSION}",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"{package}.handler.lambda_handler",
            code=lambda_.Code.from_asset(
                str(LAMBDAS), exclude=["*", f"!{package}", f"!{package}/**", "__pycache__", "*.pyc"]
            ),
            layers=[powertools],
            role=self.role.without_policy_updates(),
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            timeout=timeout,
            memory_size=256,
            reserved_concurrent_executions=reserved_concurrency,
            log_group=log_group,
            environment=environment,
        )
        # Lambda checks the network-interface permissions when it creates the function, so it must
        # wait for the policy. Its role it waits for anyway, through `Role: Fn::GetAtt`; the CDK's
        # own DependsOn on the role is redundant (cfn-lint W3005), so DependsOn names the policy only.
        cfn_function: lambda_.CfnFunction = self.function.node.default_child
        cfn_function.add_override("DependsOn", [stack.get_logical_id(self.policy.node.default_child)])
        acknowledge_cross_stack_reference(
            self.function,
            "lambda_inside_vpc_check",
            property_name="VpcConfig.SubnetIds (the workload subnets)",
            source=cdk.Stack.of(vpc),
        )
