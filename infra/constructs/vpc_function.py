"""A Python Lambda function of this project, placed in the VPC and held to its checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.lambda_role import lambda_role
from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.constructs.observability import FIVE_MINUTES, ROW_HEIGHT, AlarmRule, DashboardRow
from infra.policy import acknowledge, acknowledge_cross_stack_reference, acknowledge_unreserved_concurrency

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
# Powertools for AWS Lambda (Python) v3 from its AWS-managed layer (account 017000801446): no
# bundling, so synth needs no Docker. Pinned: a new layer version is a deliberate upgrade.
POWERTOOLS_LAYER_VERSION = 27
POWERTOOLS_LAYER = "AWSLambdaPowertoolsPythonV3-python314-arm64"


def asset_excludes(package: str) -> list[str]:
    """The code asset holds `lambdas/<package>/` only, so a change to one function redeploys it alone."""
    return ["*", f"!{package}", f"!{package}/**", "__pycache__", "*.pyc"]


def powertools_layer(scope: Construct) -> lambda_.ILayerVersion:
    """Powertools for AWS Lambda (Python) v3, the AWS-managed layer for this runtime and architecture."""
    stack = cdk.Stack.of(scope)
    return lambda_.LayerVersion.from_layer_version_arn(
        scope,
        "Powertools",
        f"arn:{stack.partition}:lambda:{stack.region}:017000801446:layer:{POWERTOOLS_LAYER}:"
        f"{POWERTOOLS_LAYER_VERSION}",
    )


class PythonFunctionInVpc(Construct):
    """Runs `lambdas/<package>/handler.py:lambda_handler`.

    - in `vpc_subnets` of `vpc`, with a security group of its own that allows only HTTPS out to
      `interface_endpoints` (the peer that holds the VPC's interface endpoints; a workload declares
      the endpoints it calls) and, given `s3_prefix_list`, to S3 through the gateway endpoint
      (required when it may call S3);
    - its log group KMS-encrypted and retained per `log_settings`;
    - with `reserve_concurrency`, reserved concurrency of `max_concurrency`, so it can never
      starve the account's other functions; without, `max_concurrency` is left to its caller (an
      event source mapping's maximum concurrency, say);
    - a role whose permissions are `statements` plus what Lambda needs for logs and VPC network
      interfaces, in one customer-managed policy (the compliance packs reject inline policies).
      The function gets the role as immutable, so the CDK cannot add grants of its own on top.
    - the code asset holds only `lambdas/<package>/`, so a change to one function redeploys
      that function alone.

    Attributes: `function` (the lambda_.Function, for event sources and state-machine tasks),
    `function_name`, `function_arn`, `security_group`, `role`, and `policy`: the customer-managed
    policy that holds all the role's permissions. Other constructs' `grant_*(policy)` methods write
    into `policy`; never grant to `role` or `function` (aws-cdk's `grant(function)`): the function's
    role is immutable, so such a grant reports success and adds nothing, and on `role` it would
    land in an inline policy.

    Observable: an alarm on any error, and a dashboard row of its errors and throttles.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: str,
        description: str,
        timeout: cdk.Duration,
        max_concurrency: int,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        interface_endpoints: ec2.IPeer,
        log_settings: LogSettings,
        environment: dict[str, str],
        statements: list[iam.PolicyStatement],
        s3_prefix_list: ec2.IPeer | None = None,
        reserve_concurrency: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        calls_s3 = any(a.startswith("s3:") for s in statements for a in s.actions)
        if calls_s3 and s3_prefix_list is None:
            raise ValueError(
                f"Lambda {package} is allowed S3 actions but given no s3_prefix_list: in the VPC it "
                "reaches S3 only through the gateway endpoint, at S3's public ranges"
            )
        stack = cdk.Stack.of(self)
        log_group = EncryptedLogGroup(self, "Logs", settings=log_settings).log_group

        self.security_group: ec2.SecurityGroup = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False, description=f"Lambda {package}"
        )
        self.security_group.add_egress_rule(
            interface_endpoints,
            ec2.Port.tcp(443),
            "HTTPS to AWS APIs through the interface endpoints",
        )
        if s3_prefix_list is not None:
            # Amazon VPC User Guide, "Gateway endpoints for Amazon S3": the security group must allow
            # traffic to S3's ranges; the gateway endpoint's route table entry points there.
            self.security_group.add_egress_rule(
                s3_prefix_list, ec2.Port.tcp(443), "HTTPS to S3 through the gateway endpoint"
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
            # As AWSLambdaVPCAccessExecutionRole grants them: on "*". The Lambda developer guide
            # ("Giving Lambda functions access to resources in an Amazon VPC") says
            # DescribeNetworkInterfaces works only on "*"; Lambda checks CreateNetworkInterface when
            # it creates the function, and a new interface carries no ec2:Vpc key to scope it by
            # (Service Authorization Reference for EC2), so scoped versions fail that check.
            resources=["*"],
        )
        execution = lambda_role(
            self,
            role_id="Role",
            policy_id="Policy",
            role_description=f"Lambda {package}",
            policy_description=f"Lambda {package}: what it calls, its logs, its network interfaces",
            log_group=log_group,
            statements=statements,
        )
        self.role: iam.Role = execution.role
        self.policy: iam.ManagedPolicy = execution.policy
        self.policy.add_statements(network_interfaces)
        acknowledge(
            self.policy,
            f"Lambda {package} runs in the VPC: its network-interface actions are granted on '*' as "
            "AWSLambdaVPCAccessExecutionRole grants them; DescribeNetworkInterfaces works only on '*', and "
            "CreateNetworkInterface, which Lambda checks when it creates the function, acts on a new "
            "interface that has no ec2:Vpc condition key to scope it. Every other statement names its "
            "resources.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        )

        self.function: lambda_.Function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"{package}.handler.lambda_handler",
            code=lambda_.Code.from_asset(str(LAMBDAS), exclude=asset_excludes(package)),
            layers=[powertools_layer(self)],
            role=self.role.without_policy_updates(),
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=[self.security_group],
            timeout=timeout,
            memory_size=256,
            reserved_concurrent_executions=max_concurrency if reserve_concurrency else None,
            log_group=log_group,
            environment=environment,
        )
        # Lambda checks the network-interface permissions when it creates the function, so it must
        # wait for the policy. Its role it waits for anyway, through `Role: Fn::GetAtt`; the CDK's
        # own DependsOn on the role is redundant (cfn-lint W3005), so DependsOn names the policy only.
        cfn_function: lambda_.CfnFunction = self.function.node.default_child
        cfn_function.add_override("DependsOn", [stack.get_logical_id(self.policy.node.default_child)])
        if not reserve_concurrency:
            acknowledge_unreserved_concurrency(
                self.function, f"Its callers bound it to {max_concurrency} concurrent executions."
            )
        acknowledge_cross_stack_reference(
            self.function,
            "lambda_inside_vpc_check",
            property_name="VpcConfig.SubnetIds (the workload subnets)",
            source=cdk.Stack.of(vpc),
        )

    @property
    def function_name(self) -> str:
        return self.function.function_name

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

    def metric_errors(self, **options: Any) -> cloudwatch.Metric:
        """Invocations that failed (`options` as aws_lambda.Function.metric_errors takes them)."""
        return self.function.metric_errors(**options)

    def metric_throttles(self, **options: Any) -> cloudwatch.Metric:
        """Invocations refused for lack of concurrency (`options` as Function.metric_throttles takes them)."""
        return self.function.metric_throttles(**options)

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return [
            AlarmRule(
                name="Errors",
                metric=self.metric_errors(statistic="Sum", period=FIVE_MINUTES),
                description=f"Lambda function {self.node.path} failed",
            )
        ]

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        path = self.node.path
        return [
            DashboardRow(
                section="Lambda functions",
                widgets=[
                    cloudwatch.GraphWidget(
                        title=f"{path}: errors",
                        left=[self.metric_errors(period=FIVE_MINUTES, label=path)],
                        width=12,
                        height=ROW_HEIGHT,
                    ),
                    cloudwatch.GraphWidget(
                        title=f"{path}: throttles",
                        left=[self.metric_throttles(period=FIVE_MINUTES, label=path)],
                        width=12,
                        height=ROW_HEIGHT,
                    ),
                ],
            )
        ]
