"""ToolsGateway: an IAM-authorized MCP gateway, its Lambda target and schema, its role, grant_invoke,
and what it offers the alarms and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from infra.constructs.observability import Observable
from infra.constructs.tools_gateway import DASHBOARD_SECTION, ToolsGateway
from tests.infra.constructs.conftest import statement_with_sid, statements_of, template_of

TOOLS_FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:tools"
SCHEMA: list[dict[str, Any]] = [
    {
        "name": "list_endpoints",
        "description": "The deployment's endpoints.",
        "inputSchema": {"type": "object", "properties": {}},
    },
    {
        "name": "start_run",
        "description": "Start a batch run.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "input_prefix": {"type": "string", "description": "Where the input is."},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["input_prefix"],
        },
    },
]


def gateway_in(stack: cdk.Stack, key: kms.IKey, **options: Any) -> ToolsGateway:
    return ToolsGateway(
        stack,
        "Gateway",
        gateway_name="under-test-tools",
        target_name="operations",
        tools_function=lambda_.Function.from_function_arn(stack, "Tools", TOOLS_FUNCTION_ARN),
        tool_schema=SCHEMA,
        key=key,
        **options,
    )


def one(stack: cdk.Stack, resource_type: str) -> tuple[str, dict]:
    [(logical_id, resource)] = template_of(stack).find_resources(resource_type).items()
    return logical_id, resource


def test_the_gateway_is_iam_authorized_mcp_encrypted_and_without_billable_search(
    stack: cdk.Stack, key: kms.Key
) -> None:
    gateway_in(stack, key)
    _, gateway = one(stack, "AWS::BedrockAgentCore::Gateway")
    properties = gateway["Properties"]
    assert (properties["AuthorizerType"], properties["ProtocolType"]) == ("AWS_IAM", "MCP")
    assert properties["Name"] == "under-test-tools"
    assert "Fn::ImportValue" in properties["KmsKeyArn"]
    assert "ProtocolConfiguration" not in properties
    # AgentCore checks the role's permissions when it creates the gateway.
    policy_id, _ = one(stack, "AWS::IAM::ManagedPolicy")
    assert gateway["DependsOn"] == [policy_id]


def test_semantic_search_only_when_asked_for(stack: cdk.Stack, key: kms.Key) -> None:
    gateway_in(stack, key, semantic_search=True)
    template_of(stack).has_resource_properties(
        "AWS::BedrockAgentCore::Gateway", {"ProtocolConfiguration": {"Mcp": {"SearchType": "SEMANTIC"}}}
    )


def test_the_target_is_the_function_with_its_schema_as_typed_properties(
    stack: cdk.Stack, key: kms.Key
) -> None:
    gateway_in(stack, key)
    _, target = one(stack, "AWS::BedrockAgentCore::GatewayTarget")
    properties = target["Properties"]
    assert properties["Name"] == "operations"
    assert properties["GatewayIdentifier"]["Fn::GetAtt"][1] == "GatewayIdentifier"
    assert properties["CredentialProviderConfigurations"] == [{"CredentialProviderType": "GATEWAY_IAM_ROLE"}]
    config = properties["TargetConfiguration"]["Mcp"]["Lambda"]
    assert config["LambdaArn"] == TOOLS_FUNCTION_ARN
    # Every key survives jsii, nested ones included (plain dicts would lose the mismatched ones).
    assert config["ToolSchema"]["InlinePayload"] == [
        {
            "Name": "list_endpoints",
            "Description": "The deployment's endpoints.",
            "InputSchema": {"Type": "object"},
        },
        {
            "Name": "start_run",
            "Description": "Start a batch run.",
            "InputSchema": {
                "Type": "object",
                "Properties": {
                    "input_prefix": {"Type": "string", "Description": "Where the input is."},
                    "tags": {"Type": "array", "Items": {"Type": "string"}},
                },
                "Required": ["input_prefix"],
            },
        },
    ]


def test_the_role_is_trusted_by_gateways_of_this_name_and_may_invoke_the_function_and_use_the_key(
    stack: cdk.Stack, key: kms.Key
) -> None:
    gateway_in(stack, key)
    template = template_of(stack)
    gateways = "gateway/under-test-tools-*"
    _, role = one(stack, "AWS::IAM::Role")
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert gateways in json.dumps(trust["Condition"]["ArnLike"]["aws:SourceArn"])
    invoke = statement_with_sid(template, "InvokeTheToolsFunction")
    assert (invoke["Action"], invoke["Resource"]) == ("lambda:InvokeFunction", TOOLS_FUNCTION_ARN)
    for sid in ("UseTheKeyForThisGateway", "GrantTheKeyForThisGateway"):
        statement = statement_with_sid(template, sid)
        context = statement["Condition"]["StringLike"][
            "kms:EncryptionContext:aws:bedrock-agentcore-gateway:arn"
        ]
        assert gateways in json.dumps(context)
        assert (
            statement["Condition"]["StringEquals"]["kms:ViaService"]
            == "bedrock-agentcore.us-east-1.amazonaws.com"
        )
    assert statement_with_sid(template, "GrantTheKeyForThisGateway")["Condition"][
        "ForAllValues:StringEquals"
    ] == {"kms:GrantOperations": ["Decrypt", "GenerateDataKey"]}


def test_grant_invoke_adds_invoke_gateway_to_the_policy(stack: cdk.Stack, key: kms.Key) -> None:
    gateway = gateway_in(stack, key)
    policy = iam.ManagedPolicy(stack, "Callers")
    gateway.grant_invoke(policy)
    template = template_of(stack)
    statement = statement_with_sid(template, "CallTheGatewayTools")
    assert statement["Action"] == "bedrock-agentcore:InvokeGateway"
    assert statement["Resource"]["Fn::GetAtt"][1] == "GatewayArn"
    [callers] = [
        p for i, p in template.find_resources("AWS::IAM::ManagedPolicy").items() if i.startswith("Callers")
    ]
    assert statement in callers["Properties"]["PolicyDocument"]["Statement"]
    assert len(statements_of(template)) == 5  # the gateway role's four, and this one


def test_what_depends_on_the_tools_waits_for_the_target(stack: cdk.Stack, key: kms.Key) -> None:
    gateway = gateway_in(stack, key)
    queue = sqs.Queue(stack, "Consumer")
    queue.node.add_dependency(gateway.tools_established)
    target_id, _ = one(stack, "AWS::BedrockAgentCore::GatewayTarget")
    [consumer] = template_of(stack).find_resources("AWS::SQS::Queue").values()
    assert consumer["DependsOn"] == [target_id]


def test_alarms_on_system_errors_and_throttles_of_this_gateway(stack: cdk.Stack, key: kms.Key) -> None:
    gateway = gateway_in(stack, key)
    assert isinstance(gateway, Observable)
    rules = {rule.name: rule for rule in gateway.alarm_rules()}
    assert set(rules) == {"SystemErrors", "Throttles"}
    assert (
        rules["SystemErrors"].description
        == "The assistant's AgentCore gateway UnderTest/Gateway failed requests"
    )
    assert (
        rules["Throttles"].description
        == "AgentCore throttled requests to the assistant's gateway (quota reached)"
    )
    for name, rule in rules.items():
        assert rule.threshold == 1
        expression = json.dumps(stack.resolve(rule.metric.expression))
        assert f'SUM(\\"{name}\\") FROM \\"AWS/Bedrock-AgentCore\\"' in expression
        assert "GatewayArn" in expression


def test_a_dashboard_row_of_the_tools_calls(stack: cdk.Stack, key: kms.Key) -> None:
    [row] = gateway_in(stack, key).dashboard_rows()
    assert row.section == DASHBOARD_SECTION == "Operations assistant (AgentCore)"
    [graph] = row.widgets
    [widget] = stack.resolve(graph.to_json())
    assert widget["properties"]["title"] == "Gateway tools: invocations, errors and throttles"
    assert (widget["width"], widget["height"]) == (8, 6)
    labels = [m[-1]["label"] for m in widget["properties"]["metrics"]]
    assert labels == [
        "gateway Invocations",
        "gateway SystemErrors",
        "gateway UserErrors",
        "gateway Throttles",
    ]
