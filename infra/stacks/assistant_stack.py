"""OperationsAssistantStack: the platform's operations assistant on Amazon Bedrock AgentCore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import AssistantSection, DeploymentSection, GuardrailSection
from infra.constructs.guardrail import (
    BLOCKED_INPUT,
    BLOCKED_OUTPUT,
    ContentFilter,
    DeniedTopic,
    Guardrail,
    GuardrailPolicies,
)
from infra.constructs.operations_harness import HarnessLimits, HarnessModel, OperationsHarness
from infra.constructs.tools_gateway import ToolsGateway
from infra.constructs.vpc_function import PythonFunctionInVpc
from infra.lambda_contracts import assistant_tools, batch_runs
from infra.policy import acknowledge, acknowledge_synchronous_function
from infra.stacks.base import PlatformStack
from infra.stacks.data_stack import DataStack
from infra.stacks.knowledge_base_stack import KnowledgeBaseStack
from infra.stacks.model_serving_stack import ModelServingStack
from infra.stacks.network_stack import NetworkStack
from infra.stacks.offline_inference_stack import OfflineInferenceStack

INSTRUCTION = Path(__file__).with_name("assistant_instruction.md")
# The harness's name for the gateway's MCP server, and the gateway's name for the Lambda target:
# the model sees each tool as "<target>___<tool>".
GATEWAY_TOOL = "operations"
TARGET = "operations"


def tool_schema() -> list[dict[str, Any]]:
    """The gateway's inline tool schema, from the single list of tools the handler dispatches on."""
    return assistant_tools().gateway_tool_schema()


def guardrail_policies(guardrail: GuardrailSection) -> GuardrailPolicies:
    """The guardrail settings, as the guardrail's policies."""
    return GuardrailPolicies(
        content_filters=[
            ContentFilter(type=kind.upper(), input_strength=strengths.input, output_strength=strengths.output)
            for kind, strengths in guardrail.content_filters
        ],
        prompt_attack_strength=guardrail.prompt_attack_strength,
        pii_entities=dict(guardrail.pii_entities),
        denied_topics=[
            DeniedTopic(name=topic.name, definition=topic.definition, examples=tuple(topic.examples))
            for topic in guardrail.denied_topics
        ],
        grounding_threshold=guardrail.grounding_threshold,
        relevance_threshold=guardrail.relevance_threshold,
    )


class OperationsAssistantStack(PlatformStack):
    """An assistant that answers engineers' questions from the knowledge base and carries out a few
    safe operations on this deployment, behind a guardrail.

    - A Bedrock guardrail filters what goes in and out (content, prompt attacks, PII, denied
      topics, grounding); the harness applies its pinned version to every model call, and IAM
      refuses model calls without it.
    - An AgentCore harness (the managed agent loop) on `assistant_model_id` through the region's
      inference profile, with the instruction in assistant_instruction.md, session memory
      encrypted with the documents key, bounded iterations, tokens and time, in the VPC's
      workload subnets; reached through one stable endpoint, `live`.
    - An AgentCore gateway (MCP, IAM-authorized) offering one Lambda function's tools: search the
      knowledge base, describe this deployment's endpoints, test the real-time one, start a batch
      run, read ingestion jobs. Nothing else is reachable: the harness's shell and file tools are
      off.

    Outputs: HarnessArn, HarnessEndpointName, InvokePolicyArn (attach it to whoever may ask).
    """

    def __init__(
        self,
        scope: Construct,
        *,
        deployment: DeploymentSection,
        assistant: AssistantSection,
        guardrail: GuardrailSection,
        data: DataStack,
        network: NetworkStack,
        knowledge_base: KnowledgeBaseStack,
        serving: ModelServingStack,
        offline: OfflineInferenceStack,
    ) -> None:
        super().__init__(
            scope,
            "Assistant",
            deployment=deployment,
            description="The operations assistant: Bedrock guardrail, AgentCore harness, gateway and tools",
        )
        name = self.names.prefix
        self.guardrail = Guardrail(
            self,
            "Guardrail",
            guardrail_name=f"{name}-operations-assistant",
            key=data.documents_key,
            policies=guardrail_policies(guardrail),
            # Named after the settings (and the blocked messages): a new version when they change.
            fingerprint=guardrail.fingerprint(messages=[BLOCKED_INPUT, BLOCKED_OUTPUT]),
        )

        self.tools = self._tools_function(deployment, data, network, knowledge_base, serving, offline)
        self.gateway = ToolsGateway(
            self,
            "Gateway",
            gateway_name=f"{name}-operations".lower(),
            target_name=TARGET,
            tools_function=self.tools.function,
            tool_schema=tool_schema(),
            key=data.documents_key,
            semantic_search=assistant.gateway_semantic_search,
        )

        in_vpc = assistant.network_mode == "VPC"
        if in_vpc:
            # AgentCore Developer Guide, harness security: a harness in VPC mode reaches the model,
            # its image, its logs and its tools through these (and S3 through the gateway endpoint).
            network.interface_endpoints.require(
                ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
                ec2.InterfaceVpcEndpointAwsService.ECR,
                ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
                ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
                ec2.InterfaceVpcEndpointAwsService.STS,
                ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENTCORE,
                ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENTCORE_GATEWAY,
            )
        model = assistant.model
        self.harness = OperationsHarness(
            self,
            "Harness",
            harness_name=name.replace("-", "_") + "_operations",
            model=HarnessModel(
                model_id=model.model_id,
                profile_id=model.profile_id(deployment.region, use_global=assistant.global_inference),
            ),
            system_prompt=INSTRUCTION.read_text(encoding="utf-8").strip(),
            guardrail=self.guardrail.pinned,
            gateway=self.gateway,
            gateway_tool_name=GATEWAY_TOOL,
            limits=HarnessLimits(
                max_iterations=assistant.max_iterations,
                max_tokens=assistant.max_tokens,
                timeout_seconds=assistant.timeout_seconds,
            ),
            memory_key=data.documents_key,
            session_expiry_days=assistant.session_expiry_days,
            long_term_memory=assistant.long_term_memory,
            # In the workload subnets (placed in AZ IDs AgentCore supports), or AgentCore's network.
            vpc=network.vpc if in_vpc else None,
            vpc_subnets=network.workload_subnets if in_vpc else None,
            security_groups=[self._harness_security_group(network)] if in_vpc else None,
        )
        if not in_vpc:
            acknowledge(
                self.harness,
                f"assistant_network_mode is PUBLIC for profile {deployment.profile!r}: the harness runs in "
                "AgentCore's network, which saves this profile the seven interface endpoints a VPC-mode "
                "harness needs; the config refuses PUBLIC for prod.",
                "cdk-validator-cfnguard::genai_agentcore_harness_in_vpc",
            )

        invoke_policy = iam.ManagedPolicy(
            self,
            "InvokePolicy",
            description="Ask the operations assistant: invoke its harness through the live endpoint",
        )
        self.harness.grant_invoke(invoke_policy)
        # `make ask` finds the harness through this stack's outputs.
        invoke_policy.add_statements(
            iam.PolicyStatement(
                sid="ReadTheAssistantStackOutputs",
                actions=["cloudformation:DescribeStacks"],
                resources=[self.stack_id],
            )
        )
        cdk.CfnOutput(self, "HarnessArn", value=self.harness.harness_arn)
        cdk.CfnOutput(self, "HarnessEndpointName", value=self.harness.endpoint_name)
        cdk.CfnOutput(
            self,
            "InvokePolicyArn",
            value=invoke_policy.managed_policy_arn,
            description="Attach to the users or roles who may ask the assistant (make ask)",
        )

    def _tools_function(
        self,
        deployment: DeploymentSection,
        data: DataStack,
        network: NetworkStack,
        knowledge_base: KnowledgeBaseStack,
        serving: ModelServingStack,
        offline: OfflineInferenceStack,
    ) -> PythonFunctionInVpc:
        """lambdas/agent_actions: acts on this deployment's resources only, named in its environment."""
        network.interface_endpoints.require(
            ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
            ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
            ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
            ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT,
            ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME,
            ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
        )
        realtime = serving.realtime
        endpoints = [realtime, serving.serverless, offline.async_endpoint]
        batch = offline.batch
        kb = knowledge_base.knowledge_base
        tools = PythonFunctionInVpc(
            self,
            "OperationsTools",
            reserve_concurrency=deployment.reserve_lambda_concurrency,
            interface_endpoints=network.interface_endpoints.peer,
            package="agent_actions",
            description="The operations assistant's tools on this deployment (AgentCore gateway target)",
            timeout=cdk.Duration.seconds(30),
            max_concurrency=5,
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            log_settings=self.log_settings(data.logs_key),
            environment={
                "ENDPOINT_NAMES": ",".join(e.endpoint_name for e in endpoints),
                "REALTIME_ENDPOINT_NAME": realtime.endpoint_name,
                "REALTIME_INFERENCE_COMPONENT_NAME": realtime.component_name,
                "BATCH_STATE_MACHINE_ARN": batch.state_machine_arn,
                "BATCH_INPUT_PREFIX": batch_runs().INPUT_ROOT,
                "KNOWLEDGE_BASE_ID": kb.knowledge_base_id,
                "DATA_SOURCE_ID": kb.data_source_id,
                "GUARDRAIL_ID": self.guardrail.guardrail_id,
                "GUARDRAIL_VERSION": self.guardrail.guardrail_version,
                "POWERTOOLS_SERVICE_NAME": "operations-tools",
            },
            statements=[],
        )
        # What the tools call (lambdas/agent_actions/actions.py), on these resources only.
        for endpoint in endpoints:
            endpoint.grant_describe(tools.policy)
        realtime.grant_invoke(tools.policy)  # the send_test_prediction tool
        batch.grant_start_execution(tools.policy)
        kb.grant_retrieve(tools.policy)
        kb.grant_list_ingestion_jobs(tools.policy)
        # Retrieved passages go through the guardrail before the model sees them.
        self.guardrail.grant_apply(tools.policy)
        acknowledge_synchronous_function(
            tools.function,
            "The AgentCore gateway invokes this function synchronously (with its own role) and returns "
            "its answer, or error, to the harness as the tool's result.",
        )
        return tools

    def _harness_security_group(self, network: NetworkStack) -> ec2.SecurityGroup:
        """No inbound rule; HTTPS out to the interface endpoints and to S3 (image layers)."""
        security_group = ec2.SecurityGroup(
            self,
            "HarnessSecurityGroup",
            vpc=network.vpc,
            allow_all_outbound=False,
            description="AgentCore harness: HTTPS out to the interface endpoints and S3 only",
        )
        security_group.add_egress_rule(
            network.interface_endpoints.peer, ec2.Port.tcp(443), "HTTPS to the interface endpoints"
        )
        security_group.add_egress_rule(
            network.s3_prefix_list.peer, ec2.Port.tcp(443), "HTTPS to S3 through the gateway endpoint"
        )
        return security_group
