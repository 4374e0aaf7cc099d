"""OperationsHarness: its model and guardrail, its gateway, its network (VPC or PUBLIC), memory and
endpoint, grant_invoke, and what it offers the alarms and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from infra.constructs.guardrail import Guardrail
from infra.constructs.observability import Observable
from infra.constructs.operations_harness import HarnessLimits, HarnessModel, OperationsHarness
from infra.constructs.tools_gateway import DASHBOARD_SECTION
from tests.infra.constructs.conftest import ACCOUNT, REGION, statement_with_sid, template_of
from tests.infra.constructs.test_guardrail import example_policies
from tests.infra.constructs.test_tools_gateway import gateway_in

MODEL = HarnessModel(model_id="anthropic.claude-haiku-5-5", profile_id="us.anthropic.claude-haiku-5-5")


def harness_in(stack: cdk.Stack, key: kms.IKey, **options: Any) -> OperationsHarness:
    guardrail = Guardrail(
        stack, "Guardrail", guardrail_name="under-test", key=key, policies=example_policies()
    )
    return OperationsHarness(
        stack,
        "Harness",
        harness_name="under_test_operations",
        model=MODEL,
        system_prompt="Answer from the knowledge base.",
        guardrail=guardrail.pinned,
        gateway=gateway_in(stack, key),
        gateway_tool_name="operations",
        limits=HarnessLimits(max_iterations=10, max_tokens=8192, timeout_seconds=300),
        memory_key=key,
        session_expiry_days=7,
        **options,
    )


@pytest.fixture
def security_group(stack: cdk.Stack, vpc: ec2.Vpc) -> ec2.SecurityGroup:
    return ec2.SecurityGroup(stack, "HarnessGroup", vpc=vpc, allow_all_outbound=False)


def properties(stack: cdk.Stack, resource_type: str) -> dict:
    [resource] = template_of(stack).find_resources(resource_type).values()
    return resource["Properties"]


def logical_id(stack: cdk.Stack, resource_type: str) -> str:
    [found] = template_of(stack).find_resources(resource_type)
    return found


def test_the_harness_runs_in_the_given_subnets_and_security_groups(
    stack: cdk.Stack, key: kms.Key, vpc: ec2.Vpc, security_group: ec2.SecurityGroup
) -> None:
    harness = harness_in(
        stack,
        key,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_group_name="Workloads"),
        security_groups=[security_group],
    )
    network = properties(stack, "AWS::BedrockAgentCore::Harness")["Environment"][
        "AgentCoreRuntimeEnvironment"
    ]
    config = network["NetworkConfiguration"]
    assert config["NetworkMode"] == harness.network_mode == "VPC"
    subnets = config["NetworkModeConfig"]["Subnets"]
    assert len(subnets) == 2
    assert all("WorkloadsSubnet" in json.dumps(s) for s in subnets)
    assert config["NetworkModeConfig"]["SecurityGroups"] == [
        {"Fn::GetAtt": [stack.get_logical_id(security_group.node.default_child), "GroupId"]}
    ]
    # In the VPC, AgentCore's harness image comes through the VPC's ECR endpoints.
    template = template_of(stack)
    assert statement_with_sid(template, "EcrLogin")["Action"] == "ecr:GetAuthorizationToken"


def test_without_a_vpc_the_harness_runs_in_agentcores_network(stack: cdk.Stack, key: kms.Key) -> None:
    harness = harness_in(stack, key)
    environment = properties(stack, "AWS::BedrockAgentCore::Harness")["Environment"]
    assert environment == {"AgentCoreRuntimeEnvironment": {"NetworkConfiguration": {"NetworkMode": "PUBLIC"}}}
    assert harness.network_mode == "PUBLIC"
    public = statement_with_sid(template_of(stack), "PullTheHarnessImagePublicly")
    assert public["Action"] == ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"]


def test_a_vpc_needs_security_groups_and_they_need_a_vpc(
    stack: cdk.Stack, key: kms.Key, vpc: ec2.Vpc, security_group: ec2.SecurityGroup
) -> None:
    with pytest.raises(ValueError, match="needs security_groups"):
        harness_in(stack, key, vpc=vpc)
    with pytest.raises(ValueError, match="need a vpc"):
        harness_in(cdk.Stack(stack.node.scope, "Other"), key, security_groups=[security_group])


def test_the_model_goes_through_its_profile_with_the_pinned_guardrail(stack: cdk.Stack, key: kms.Key) -> None:
    harness_in(stack, key)
    model = properties(stack, "AWS::BedrockAgentCore::Harness")["Model"]["BedrockModelConfig"]
    assert (model["ModelId"], model["ApiFormat"]) == ("us.anthropic.claude-haiku-5-5", "converse_stream")
    guardrail = model["AdditionalParams"]["guardrailConfig"]
    guardrail_id = logical_id(stack, "AWS::Bedrock::Guardrail")
    version_id = logical_id(stack, "AWS::Bedrock::GuardrailVersion")
    assert guardrail == {
        "guardrailIdentifier": {"Fn::GetAtt": [guardrail_id, "GuardrailArn"]},
        "guardrailVersion": {"Fn::GetAtt": [version_id, "Version"]},
    }


def test_only_the_gateways_tools_with_its_limits_and_prompt(stack: cdk.Stack, key: kms.Key) -> None:
    harness_in(stack, key)
    harness = properties(stack, "AWS::BedrockAgentCore::Harness")
    [tool] = harness["Tools"]
    assert (tool["Type"], tool["Name"]) == ("agentcore_gateway", "operations")
    gateway = tool["Config"]["AgentCoreGateway"]
    assert gateway["GatewayArn"]["Fn::GetAtt"][1] == "GatewayArn"
    assert gateway["OutboundAuth"] == {"AwsIam": {}}
    assert harness["AllowedTools"] == ["@operations/*"]
    assert (harness["MaxIterations"], harness["MaxTokens"], harness["TimeoutSeconds"]) == (10, 8192, 300)
    assert harness["SystemPrompt"] == [{"Text": "Answer from the knowledge base."}]


def test_the_harness_waits_for_its_policy_and_its_gateways_target(stack: cdk.Stack, key: kms.Key) -> None:
    harness_in(stack, key)
    [resource] = template_of(stack).find_resources("AWS::BedrockAgentCore::Harness").values()
    target = logical_id(stack, "AWS::BedrockAgentCore::GatewayTarget")
    [policy] = [
        i
        for i in template_of(stack).find_resources("AWS::IAM::ManagedPolicy")
        if i.startswith("HarnessPolicy")
    ]
    assert sorted(resource["DependsOn"]) == sorted([target, policy])


def test_session_memory_is_encrypted_and_long_term_memory_only_when_asked_for(
    app: cdk.App, stack: cdk.Stack, key: kms.Key
) -> None:
    harness_in(stack, key)
    long_term = cdk.Stack(app, "LongTerm", env=cdk.Environment(account=ACCOUNT, region=REGION))
    harness_in(long_term, key, long_term_memory=True)
    memory = properties(stack, "AWS::BedrockAgentCore::Memory")
    assert (memory["Name"], memory["EventExpiryDuration"]) == ("under_test_operations_memory", 7)
    assert "Fn::ImportValue" in memory["EncryptionKeyArn"]
    assert "MemoryStrategies" not in memory
    harness = properties(stack, "AWS::BedrockAgentCore::Harness")
    assert harness["Memory"]["AgentCoreMemoryConfiguration"]["Arn"]["Fn::GetAtt"][1] == "MemoryArn"
    strategies = properties(long_term, "AWS::BedrockAgentCore::Memory")["MemoryStrategies"]
    assert [next(iter(s)) for s in strategies] == ["SummaryMemoryStrategy", "SemanticMemoryStrategy"]


def test_one_live_endpoint_follows_the_harness_version(stack: cdk.Stack, key: kms.Key) -> None:
    harness = harness_in(stack, key)
    endpoint = properties(stack, "AWS::BedrockAgentCore::HarnessEndpoint")
    harness_id = logical_id(stack, "AWS::BedrockAgentCore::Harness")
    assert endpoint["EndpointName"] == harness.endpoint_name == "live"
    assert endpoint["TargetVersion"] == {"Fn::GetAtt": [harness_id, "Version"]}
    assert endpoint["HarnessId"] == {"Fn::GetAtt": [harness_id, "HarnessId"]}


def test_grant_invoke_adds_invoke_on_the_harness_and_its_endpoint(stack: cdk.Stack, key: kms.Key) -> None:
    harness = harness_in(stack, key)
    policy = iam.ManagedPolicy(stack, "Askers")
    harness.grant_invoke(policy)
    template = template_of(stack)
    ask = statement_with_sid(template, "AskTheOperationsAssistant")
    assert sorted(ask["Action"]) == [
        "bedrock-agentcore:InvokeAgentRuntime",
        "bedrock-agentcore:InvokeHarness",
    ]
    harness_id = logical_id(stack, "AWS::BedrockAgentCore::Harness")
    endpoint_id = logical_id(stack, "AWS::BedrockAgentCore::HarnessEndpoint")
    assert ask["Resource"] == [{"Fn::GetAtt": [harness_id, "Arn"]}, {"Fn::GetAtt": [endpoint_id, "Arn"]}]
    [askers] = [
        p for i, p in template.find_resources("AWS::IAM::ManagedPolicy").items() if i.startswith("Askers")
    ]
    assert askers["Properties"]["PolicyDocument"]["Statement"] == [ask]


def test_alarms_on_system_errors_and_throttles_of_the_harness_runtime(stack: cdk.Stack, key: kms.Key) -> None:
    harness = harness_in(stack, key)
    assert isinstance(harness, Observable)
    rules = {rule.name: rule for rule in harness.alarm_rules()}
    assert set(rules) == {"SystemErrors", "Throttles"}
    assert (
        rules["SystemErrors"].description
        == "The assistant's AgentCore harness UnderTest/Harness failed requests"
    )
    assert (
        rules["Throttles"].description
        == "AgentCore throttled requests to the assistant's harness (quota reached)"
    )
    for name, rule in rules.items():
        expression = json.dumps(stack.resolve(rule.metric.expression))
        assert f'SUM(\\"{name}\\")' in expression
        # AgentCore publishes a harness's metrics under the runtime it runs on.
        assert "Environment.AgentCoreRuntimeEnvironment.AgentRuntimeArn" in expression


def test_a_dashboard_row_of_the_harness_calls_and_of_its_and_its_gateways_latency(
    stack: cdk.Stack, key: kms.Key
) -> None:
    [row] = harness_in(stack, key).dashboard_rows()
    assert row.section == DASHBOARD_SECTION
    calls, latency = (stack.resolve(widget.to_json())[0] for widget in row.widgets)
    assert calls["properties"]["title"] == "Harness: invocations, errors and throttles"
    assert [m[-1]["label"] for m in calls["properties"]["metrics"]] == [
        "harness Invocations",
        "harness SystemErrors",
        "harness UserErrors",
        "harness Throttles",
    ]
    assert latency["properties"]["title"] == "Latency (average, milliseconds)"
    metrics = latency["properties"]["metrics"]
    assert [m[-1]["label"] for m in metrics] == ["harness Latency", "gateway Latency"]
    assert all('AVG(\\"Latency\\")' in json.dumps(m) for m in metrics)
    assert "GatewayArn" in json.dumps(metrics[1])
