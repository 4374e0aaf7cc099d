"""An Amazon Bedrock AgentCore harness: a managed agent loop with a model, a system prompt, tools from
a gateway, session memory, and one stable endpoint to call it through.

The harness replaces a Bedrock agent (Agents "Classic" is closed to new customers since
2026-07-30). Its role's permissions, which hold every caller to the model, the guardrail and the
gateway, are in harness_permissions.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.guardrail import PinnedGuardrail
from infra.constructs.harness_permissions import acknowledge_wildcards, harness_role, harness_statements
from infra.constructs.observability import ROW_HEIGHT, AlarmRule, DashboardRow
from infra.constructs.tools_gateway import DASHBOARD_SECTION, ToolsGateway, agentcore_metric

ENDPOINT_NAME = "live"


@dataclass(frozen=True)
class HarnessModel:
    """The model the harness calls: a cross-region inference profile of `model_id`."""

    model_id: str
    profile_id: str


@dataclass(frozen=True)
class HarnessLimits:
    max_iterations: int
    max_tokens: int
    timeout_seconds: int


class OperationsHarness(Construct):
    """The harness `harness_name`, its role, its memory, and the endpoint `live` pinned to its
    current version (a configuration change moves the endpoint in the same deploy).

    - `model`, `guardrail`: every model call goes through the inference profile with the pinned
      guardrail, and the role allows no other (harness_permissions.py).
    - `gateway`, `gateway_tool_name`: the one MCP server of tools the harness may use; the
      built-in shell and file tools stay off (`allowedTools` names only the gateway's tools). The
      harness is created after the gateway's target: AgentCore checks both when it creates it.
    - `vpc`, `vpc_subnets`, `security_groups`: run in the VPC (network mode VPC), in subnets where
      AgentCore runs; without `vpc`, in AgentCore's own network (PUBLIC).
    - `memory_key`, `session_expiry_days`, `long_term_memory`: short-term session memory,
      encrypted; long-term strategies bill per stored record and are off unless asked for.

    Attributes: harness_name, harness_arn, harness_id, endpoint_name, endpoint_arn, runtime_arn,
    memory_arn, network_mode, role, policy. `grant_invoke(policy)` gives what InvokeHarness needs;
    `metric(name)` is one of its AgentCore metrics. Observable: alarms on system errors and
    throttles; a dashboard row of invocations, errors and throttles, and the latency of the harness
    and its gateway.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        harness_name: str,
        model: HarnessModel,
        system_prompt: str,
        guardrail: PinnedGuardrail,
        gateway: ToolsGateway,
        gateway_tool_name: str,
        limits: HarnessLimits,
        memory_key: kms.IKey,
        session_expiry_days: int,
        long_term_memory: bool = False,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if vpc is None and (vpc_subnets is not None or security_groups):
            raise ValueError("vpc_subnets and security_groups need a vpc (without one the harness is PUBLIC)")
        if vpc is not None and not security_groups:
            raise ValueError("a harness in a VPC needs security_groups that let it reach its model and tools")
        self.harness_name = harness_name
        self.network_mode = "PUBLIC" if vpc is None else "VPC"
        self._gateway = gateway
        memory = self._memory(harness_name, memory_key, session_expiry_days, long_term_memory)
        self.memory_arn = memory.attr_memory_arn
        self.role = harness_role(self, "Role", description="AgentCore harness: the operations assistant")
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"AgentCore harness {harness_name}: its model, guardrail, gateway and memory",
            roles=[self.role],
            statements=harness_statements(
                self,
                harness_name=harness_name,
                model_id=model.model_id,
                profile_id=model.profile_id,
                guardrail=guardrail,
                gateway_arn=gateway.gateway_arn,
                memory_arn=self.memory_arn,
                memory_key=memory_key,
                in_vpc=vpc is not None,
            ),
        )
        acknowledge_wildcards(self.policy)

        harness = agentcore.CfnHarness(
            self,
            "Harness",
            harness_name=harness_name,
            execution_role_arn=self.role.role_arn,
            model=agentcore.CfnHarness.HarnessModelConfigurationProperty(
                bedrock_model_config=agentcore.CfnHarness.HarnessBedrockModelConfigProperty(
                    model_id=model.profile_id,
                    # The guardrail rides along to Converse (AgentCore Developer Guide, harness
                    # models: "add a guardrailConfig object to bedrockModelConfig.additionalParams";
                    # converse_stream only). IAM enforces it too (harness_permissions.py).
                    api_format="converse_stream",
                    additional_params={
                        "guardrailConfig": {
                            # The ARN, the form IAM's bedrock:GuardrailIdentifier condition compares.
                            "guardrailIdentifier": guardrail.guardrail_arn,
                            "guardrailVersion": guardrail.version,
                        }
                    },
                )
            ),
            system_prompt=[agentcore.CfnHarness.HarnessSystemContentBlockProperty(text=system_prompt)],
            tools=[
                agentcore.CfnHarness.HarnessToolProperty(
                    type="agentcore_gateway",
                    name=gateway_tool_name,
                    config=agentcore.CfnHarness.HarnessToolConfigurationProperty(
                        agent_core_gateway=agentcore.CfnHarness.HarnessAgentCoreGatewayConfigProperty(
                            gateway_arn=gateway.gateway_arn,
                            outbound_auth=agentcore.CfnHarness.HarnessGatewayOutboundAuthProperty(aws_iam={}),
                        )
                    ),
                )
            ],
            # Only the gateway's tools: the built-in shell and file tools are available in every
            # session unless allowedTools leaves them out (AgentCore guide, harness tools).
            allowed_tools=[f"@{gateway_tool_name}/*"],
            memory=agentcore.CfnHarness.HarnessMemoryConfigurationProperty(
                agent_core_memory_configuration=agentcore.CfnHarness.HarnessAgentCoreMemoryConfigurationProperty(
                    arn=self.memory_arn
                )
            ),
            environment=self._environment(vpc, vpc_subnets, security_groups),
            max_iterations=limits.max_iterations,
            max_tokens=limits.max_tokens,
            timeout_seconds=limits.timeout_seconds,
        )
        # AgentCore checks the role, and the gateway with its target, when it creates the harness.
        harness.node.add_dependency(self.policy, gateway.tools_established)

        endpoint = agentcore.CfnHarnessEndpoint(
            self,
            "LiveEndpoint",
            endpoint_name=ENDPOINT_NAME,
            harness_id=harness.attr_harness_id,
            # The harness's version changes on every update, and the endpoint follows it here.
            target_version=harness.attr_version,
            description="The operations assistant as deployed",
        )
        self.harness_arn = harness.attr_arn
        self.harness_id = harness.attr_harness_id
        self.endpoint_name = ENDPOINT_NAME
        self.endpoint_arn = endpoint.attr_arn
        self.runtime_arn = harness.attr_environment_agent_core_runtime_environment_agent_runtime_arn

    def _environment(
        self,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> agentcore.CfnHarness.HarnessEnvironmentProviderProperty:
        if vpc is None:
            network = agentcore.CfnHarness.NetworkConfigurationProperty(network_mode="PUBLIC")
        else:
            network = agentcore.CfnHarness.NetworkConfigurationProperty(
                network_mode="VPC",
                network_mode_config=agentcore.CfnHarness.VpcConfigProperty(
                    subnets=_selected(vpc, vpc_subnets or ec2.SubnetSelection()).subnet_ids,
                    security_groups=[group.security_group_id for group in security_groups or ()],
                ),
            )
        return agentcore.CfnHarness.HarnessEnvironmentProviderProperty(
            agent_core_runtime_environment=agentcore.CfnHarness.HarnessAgentCoreRuntimeEnvironmentProperty(
                network_configuration=network
            )
        )

    def _memory(
        self, harness_name: str, key: kms.IKey, expiry_days: int, long_term: bool
    ) -> agentcore.CfnMemory:
        strategies = None
        if long_term:
            strategies = [
                agentcore.CfnMemory.MemoryStrategyProperty(
                    summary_memory_strategy=agentcore.CfnMemory.SummaryMemoryStrategyProperty(
                        name="summaries"
                    )
                ),
                agentcore.CfnMemory.MemoryStrategyProperty(
                    semantic_memory_strategy=agentcore.CfnMemory.SemanticMemoryStrategyProperty(name="facts")
                ),
            ]
        return agentcore.CfnMemory(
            self,
            "Memory",
            name=f"{harness_name}_memory",
            description="The operations assistant's sessions",
            event_expiry_duration=expiry_days,
            encryption_key_arn=key.key_arn,
            memory_strategies=strategies,
        )

    def metric(self, metric_name: str, *, statistic: str = "SUM") -> cloudwatch.IMetric:
        """One of the AgentCore metrics of the runtime the harness runs on (Invocations,
        SystemErrors, UserErrors, Throttles, Latency): AgentCore publishes harness metrics under
        that runtime's ARN."""
        return agentcore_metric(
            metric_name, self.runtime_arn, statistic=statistic, label=f"harness {metric_name}"
        )

    def metric_system_errors(self) -> cloudwatch.IMetric:
        return self.metric("SystemErrors")

    def metric_throttles(self) -> cloudwatch.IMetric:
        return self.metric("Throttles")

    def grant_invoke(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` ask the harness through its endpoint: InvokeHarness needs
        bedrock-agentcore:InvokeHarness and InvokeAgentRuntime on the harness and, through a named
        endpoint, on the endpoint too (AgentCore guide, harness security)."""
        policy.add_statements(
            iam.PolicyStatement(
                sid="AskTheOperationsAssistant",
                actions=["bedrock-agentcore:InvokeHarness", "bedrock-agentcore:InvokeAgentRuntime"],
                resources=[self.harness_arn, self.endpoint_arn],
            )
        )

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return [
            AlarmRule(
                "SystemErrors",
                self.metric_system_errors(),
                f"The assistant's AgentCore harness {self.node.path} failed requests",
            ),
            AlarmRule(
                "Throttles",
                self.metric_throttles(),
                "AgentCore throttled requests to the assistant's harness (quota reached)",
            ),
        ]

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        """The harness's calls, and the latency of the harness next to its gateway's (the gateway's
        own row has the tools' calls)."""
        calls = cloudwatch.GraphWidget(
            title="Harness: invocations, errors and throttles",
            left=[self.metric("Invocations")],
            right=[self.metric("SystemErrors"), self.metric("UserErrors"), self.metric("Throttles")],
            width=8,
            height=ROW_HEIGHT,
        )
        latency = cloudwatch.GraphWidget(
            title="Latency (average, milliseconds)",
            left=[self.metric("Latency", statistic="AVG"), self._gateway.metric("Latency", statistic="AVG")],
            width=8,
            height=ROW_HEIGHT,
        )
        return [DashboardRow(DASHBOARD_SECTION, [calls, latency])]


def _selected(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> ec2.SelectedSubnets:
    # The Python binding of select_subnets takes the selection's fields as keyword arguments.
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        subnet_type=selection.subnet_type,
    )
