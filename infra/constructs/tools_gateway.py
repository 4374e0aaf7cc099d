"""An Amazon Bedrock AgentCore Gateway (MCP) that offers one Lambda function's tools to agents.

The gateway turns a Lambda function into an MCP server: the function's tools are declared with an
inline schema, and the gateway calls the function with a tool's arguments as the event (AgentCore
Developer Guide, "Add a Lambda function target"). Callers are authorized by IAM (SigV4): the
`AWS_IAM` authorizer, never an open gateway and never the Cognito pool the CDK's L2 would create.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, DependencyGroup, IDependable

from infra.constructs.observability import ROW_HEIGHT, AlarmRule, DashboardRow

# Where the assistant's AgentCore resources (this gateway, the harness) show on the dashboard.
DASHBOARD_SECTION = "Operations assistant (AgentCore)"


class ToolsGateway(Construct):
    """A gateway named `gateway_name` with one Lambda target, `target_name`, whose tools are
    `tool_schema` (`[{"name", "description", "inputSchema"}]`).

    - Encrypted with `key`: the gateway's role may use it only through AgentCore and only for
      gateways of this name, as the AgentCore guide's gateway encryption page lists.
    - Semantic tool search bills per indexed tool and per query: on only with `semantic_search`.

    Attributes: gateway_name, gateway_arn, gateway_id, target_name, role, policy, and
    `tools_established`, what to depend on for the gateway with its target in place (like
    `Vpc.internet_connectivity_established`). `grant_invoke(policy)` lets a role call the tools;
    `metric(name)` is one of its AgentCore metrics. Observable: alarms on system errors and
    throttles, and a dashboard row of invocations, errors and throttles.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        gateway_name: str,
        target_name: str,
        tools_function: lambda_.IFunction,
        tool_schema: list[dict[str, Any]],
        key: kms.IKey,
        semantic_search: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # The gateway's ID is its name plus a suffix AgentCore chooses: policies name it by prefix,
        # which also keeps the role's trust from depending on the gateway (a reference cycle).
        gateways_of_this_name = (
            f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:gateway/{gateway_name}-*"
        )
        self.role = iam.Role(
            self,
            "Role",
            description=f"AgentCore gateway {gateway_name}: invokes its tools function",
            assumed_by=iam.ServicePrincipal(
                "bedrock-agentcore.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": gateways_of_this_name},
                },
            ),
        )
        via_agentcore = {"kms:ViaService": f"bedrock-agentcore.{stack.region}.amazonaws.com"}
        this_gateway_context = {
            "kms:EncryptionContext:aws:bedrock-agentcore-gateway:arn": gateways_of_this_name
        }
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"AgentCore gateway {gateway_name}: its tools function and its key",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="InvokeTheToolsFunction",
                    actions=["lambda:InvokeFunction"],
                    resources=[tools_function.function_arn],
                ),
                # AgentCore Developer Guide, "Encrypt your gateway" (the key-policy statements for
                # the gateway's role; the key's policy delegates to IAM, so they live here).
                iam.PolicyStatement(
                    sid="DescribeTheKey",
                    actions=["kms:DescribeKey"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": via_agentcore},
                ),
                iam.PolicyStatement(
                    sid="UseTheKeyForThisGateway",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": via_agentcore, "StringLike": this_gateway_context},
                ),
                iam.PolicyStatement(
                    sid="GrantTheKeyForThisGateway",
                    actions=["kms:CreateGrant"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {
                            **via_agentcore,
                            "kms:GrantConstraintType": "EncryptionContextSubset",
                        },
                        "ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "GenerateDataKey"]},
                        "StringLike": this_gateway_context,
                    },
                ),
            ],
        )

        mcp = None
        if semantic_search:
            mcp = agentcore.CfnGateway.GatewayProtocolConfigurationProperty(
                mcp=agentcore.CfnGateway.MCPGatewayConfigurationProperty(search_type="SEMANTIC")
            )
        gateway = agentcore.CfnGateway(
            self,
            "Gateway",
            name=gateway_name,
            description="The operations assistant's tools on this deployment",
            role_arn=self.role.role_arn,
            protocol_type="MCP",
            protocol_configuration=mcp,
            authorizer_type="AWS_IAM",
            kms_key_arn=key.key_arn,
        )
        # AgentCore checks the role when it creates the gateway and its target.
        gateway.node.add_dependency(self.policy)
        self.gateway_name = gateway_name
        self.gateway_arn = gateway.attr_gateway_arn
        self.gateway_id = gateway.attr_gateway_identifier
        self.target_name = target_name

        target = agentcore.CfnGatewayTarget(
            self,
            "Target",
            gateway_identifier=self.gateway_id,
            name=target_name,
            description="Operations on this deployment, one Lambda function",
            target_configuration=agentcore.CfnGatewayTarget.TargetConfigurationProperty(
                mcp=agentcore.CfnGatewayTarget.McpTargetConfigurationProperty(
                    lambda_=agentcore.CfnGatewayTarget.McpLambdaTargetConfigurationProperty(
                        lambda_arn=tools_function.function_arn,
                        tool_schema=agentcore.CfnGatewayTarget.ToolSchemaProperty(
                            inline_payload=[tool_definition(tool) for tool in tool_schema]
                        ),
                    )
                )
            ),
            credential_provider_configurations=[
                agentcore.CfnGatewayTarget.CredentialProviderConfigurationProperty(
                    credential_provider_type="GATEWAY_IAM_ROLE"
                )
            ],
        )
        self.tools_established: IDependable = DependencyGroup(target)

    def metric(self, metric_name: str, *, statistic: str = "SUM") -> cloudwatch.IMetric:
        """One of the gateway's AgentCore metrics (Invocations, SystemErrors, UserErrors, Throttles,
        Latency), over every tool and operation."""
        return agentcore_metric(
            metric_name, self.gateway_arn, statistic=statistic, label=f"gateway {metric_name}"
        )

    def metric_system_errors(self) -> cloudwatch.IMetric:
        return self.metric("SystemErrors")

    def metric_throttles(self) -> cloudwatch.IMetric:
        return self.metric("Throttles")

    def grant_invoke(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` list and call the gateway's tools (bedrock-agentcore:InvokeGateway)."""
        policy.add_statements(
            iam.PolicyStatement(
                sid="CallTheGatewayTools",
                actions=["bedrock-agentcore:InvokeGateway"],
                resources=[self.gateway_arn],
            )
        )

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return [
            AlarmRule(
                "SystemErrors",
                self.metric_system_errors(),
                f"The assistant's AgentCore gateway {self.node.path} failed requests",
            ),
            AlarmRule(
                "Throttles",
                self.metric_throttles(),
                "AgentCore throttled requests to the assistant's gateway (quota reached)",
            ),
        ]

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        graph = cloudwatch.GraphWidget(
            title="Gateway tools: invocations, errors and throttles",
            left=[self.metric("Invocations")],
            right=[self.metric("SystemErrors"), self.metric("UserErrors"), self.metric("Throttles")],
            width=8,
            height=ROW_HEIGHT,
        )
        return [DashboardRow(DASHBOARD_SECTION, [graph])]


def tool_definition(tool: dict[str, Any]) -> agentcore.CfnGatewayTarget.ToolDefinitionProperty:
    """One tool of the inline schema, as typed property classes: jsii drops the keys of plain dicts
    that do not match its camelCase names without a word."""
    return agentcore.CfnGatewayTarget.ToolDefinitionProperty(
        name=tool["name"], description=tool["description"], input_schema=_schema(tool["inputSchema"])
    )


def _schema(schema: dict[str, Any]) -> agentcore.CfnGatewayTarget.SchemaDefinitionProperty:
    properties = schema.get("properties")
    return agentcore.CfnGatewayTarget.SchemaDefinitionProperty(
        type=schema["type"],
        description=schema.get("description"),
        properties={name: _schema(value) for name, value in properties.items()} if properties else None,
        required=schema.get("required"),
        items=_schema(schema["items"]) if "items" in schema else None,
    )


AGENTCORE_NAMESPACE = "AWS/Bedrock-AgentCore"


def agentcore_metric(metric_name: str, *resource_arns: str, statistic: str, label: str) -> cloudwatch.IMetric:
    """An AgentCore metric of one resource, summed over every other dimension it is published with.

    AgentCore publishes its metrics (namespace AWS/Bedrock-AgentCore) with the resource's ARN as
    the `Resource` dimension next to others (Operation, Protocol, Method, Name): a CloudWatch
    Metrics Insights query adds up all of them, and alarms may watch such a query. Several ARNs
    where the documentation leaves open which one a metric carries (a harness or its runtime)."""
    where = " OR ".join(f"Resource = '{arn}'" for arn in resource_arns)
    return cloudwatch.MathExpression(
        expression=(f'SELECT {statistic}("{metric_name}") FROM "{AGENTCORE_NAMESPACE}" WHERE {where}'),
        using_metrics={},
        label=label,
        period=cdk.Duration.minutes(5),
    )
