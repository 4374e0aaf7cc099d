"""OperationsAssistantStack: the guardrail as the settings describe it, and its version."""

from __future__ import annotations

import json

import aws_cdk as cdk

from infra.config import load_config
from infra.constructs.guardrail import BLOCKED_INPUT, BLOCKED_OUTPUT
from infra.platform import build_platform
from infra.stacks.assistant_stack import INSTRUCTION, tool_schema
from tests.conftest import Synth, cdk_context


def guardrail(synth: Synth) -> dict:
    [resource] = synth.resources(synth.platform.assistant, "AWS::Bedrock::Guardrail").values()
    return resource["Properties"]


def test_content_filters_follow_the_settings_and_prompt_attacks_are_input_only(dev: Synth) -> None:
    filters = {
        f["Type"]: (f["InputStrength"], f["OutputStrength"])
        for f in guardrail(dev)["ContentPolicyConfig"]["FiltersConfig"]
    }
    assert filters == {
        "HATE": ("HIGH", "HIGH"),
        "INSULTS": ("HIGH", "HIGH"),
        "SEXUAL": ("HIGH", "HIGH"),
        "VIOLENCE": ("HIGH", "HIGH"),
        "MISCONDUCT": ("HIGH", "HIGH"),
        "PROMPT_ATTACK": ("HIGH", "NONE"),
    }


def test_words_pii_topics_and_grounding(dev: Synth) -> None:
    properties = guardrail(dev)
    assert properties["WordPolicyConfig"] == {"ManagedWordListsConfig": [{"Type": "PROFANITY"}]}
    pii = {
        e["Type"]: e["Action"] for e in properties["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"]
    }
    assert pii == dev.config.guardrail.pii_entities
    [topic] = properties["TopicPolicyConfig"]["TopicsConfig"]
    assert (topic["Name"], topic["Type"]) == ("Credentials and secrets", "DENY")
    assert properties["ContextualGroundingPolicyConfig"]["FiltersConfig"] == [
        {"Type": "GROUNDING", "Threshold": 0.75},
        {"Type": "RELEVANCE", "Threshold": 0.75},
    ]
    assert properties["BlockedInputMessaging"].startswith("This request can't be processed")
    assert properties["BlockedOutputsMessaging"].startswith("The answer was withheld")


def test_the_guardrail_is_encrypted_with_a_project_key(dev: Synth) -> None:
    assert "DocumentsKey" in json.dumps(guardrail(dev)["KmsKeyArn"])


def test_the_version_carries_the_configuration_fingerprint(dev: Synth) -> None:
    [version] = dev.resources(dev.platform.assistant, "AWS::Bedrock::GuardrailVersion").values()
    fingerprint = dev.config.guardrail.fingerprint(messages=[BLOCKED_INPUT, BLOCKED_OUTPUT])
    assert version["Properties"]["Description"] == f"Guardrail configuration {fingerprint}"
    [guardrail_id] = dev.resources(dev.platform.assistant, "AWS::Bedrock::Guardrail")
    assert version["Properties"]["GuardrailIdentifier"] == {"Fn::GetAtt": [guardrail_id, "GuardrailId"]}


def test_an_unchanged_guardrail_keeps_its_version_across_the_config_redesign(dev: Synth) -> None:
    """A new fingerprint replaces the guardrail version (its Description is create-only), and while
    the deploy moves the harness's policy and the harness to the new version, model calls fail.
    Giving the config sections (issue 15) kept the digest of the default guardrail unchanged."""
    [version] = dev.resources(dev.platform.assistant, "AWS::Bedrock::GuardrailVersion").values()
    assert version["Properties"]["Description"] == "Guardrail configuration 9934cc05b55d68ca"


def test_the_fingerprint_changes_with_the_guardrail_configuration_and_only_with_it() -> None:
    def fingerprint(**overrides: str) -> str:
        section = load_config(cdk_context(**overrides)).guardrail
        return section.fingerprint(messages=[BLOCKED_INPUT, BLOCKED_OUTPUT])

    base = fingerprint()
    assert fingerprint() == base
    assert fingerprint(az_count=3) == base  # not a guardrail setting
    assert fingerprint(guardrail_grounding_threshold="0.8") != base
    assert fingerprint(guardrail_content_filters='{"insults": {"input": "MEDIUM", "output": "HIGH"}}') != base
    assert fingerprint(guardrail_pii_entities='{"EMAIL": "BLOCK"}') != base
    assert fingerprint(guardrail_denied_topics="[]") != base


# --- the harness ---------------------------------------------------------------------------------------


def one(synth: Synth, resource_type: str) -> dict:
    [resource] = synth.resources(synth.platform.assistant, resource_type).values()
    return resource["Properties"]


def policy(synth: Synth, name_part: str) -> dict[str, dict]:
    [resource] = [
        r["Properties"]
        for i, r in synth.resources(synth.platform.assistant, "AWS::IAM::ManagedPolicy").items()
        if i.startswith(name_part)
    ]
    return {s["Sid"]: s for s in resource["PolicyDocument"]["Statement"]}


def test_no_bedrock_agent_remains_anywhere(all_variants: list[Synth]) -> None:
    # Bedrock Agents ("Classic") is closed to new customers since 2026-07-30.
    for synth in all_variants:
        for template in synth.templates.values():
            types = {r["Type"] for r in template["Resources"].values()}
            assert not types & {"AWS::Bedrock::Agent", "AWS::Bedrock::AgentAlias"}


def test_the_harness_calls_the_model_through_the_inference_profile_of_its_geography(
    dev: Synth, eu: Synth
) -> None:
    for synth, profile in ((dev, "us.anthropic.claude-haiku-5-5"), (eu, "eu.anthropic.claude-haiku-5-5")):
        model = one(synth, "AWS::BedrockAgentCore::Harness")["Model"]["BedrockModelConfig"]
        assert model["ModelId"] == profile
        assert model["ApiFormat"] == "converse_stream"
        guardrail_config = model["AdditionalParams"]["guardrailConfig"]
        assert "GuardrailArn" in json.dumps(guardrail_config["guardrailIdentifier"])
        assert "Version" in json.dumps(guardrail_config["guardrailVersion"])


def test_the_role_may_call_only_that_model_only_with_the_guardrail_and_nothing_else(dev: Synth) -> None:
    statements = policy(dev, "Harness")
    through_profile = statements["InvokeTheModelThroughItsProfileWithTheGuardrail"]
    assert "inference-profile/us.anthropic.claude-haiku-5-5" in json.dumps(through_profile["Resource"])
    in_regions = statements["InvokeTheModelInTheProfilesRegionsWithTheGuardrail"]
    assert in_regions["Resource"] == "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-5-5"
    assert "bedrock:InferenceProfileArn" in in_regions["Condition"]["StringLike"]
    for allow in (through_profile, in_regions):
        assert "bedrock:GuardrailIdentifier" in allow["Condition"]["StringEquals"]
    deny = statements["DenyModelCallsWithoutTheGuardrail"]
    assert (deny["Effect"], deny["Resource"]) == ("Deny", "*")
    assert "bedrock:GuardrailIdentifier" in deny["Condition"]["StringNotEquals"]
    assert statements["NoRoleSwitching"] == {
        "Action": "sts:AssumeRole",
        "Effect": "Deny",
        "Resource": "*",
        "Sid": "NoRoleSwitching",
    }
    assert "GatewayId" not in json.dumps(statements["CallTheGatewayTools"])
    assert statements["CallTheGatewayTools"]["Action"] == "bedrock-agentcore:InvokeGateway"


def test_the_role_is_trusted_by_agentcore_for_this_account_only(dev: Synth) -> None:
    roles = dev.resources(dev.platform.assistant, "AWS::IAM::Role")
    [trust] = [
        r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        for i, r in roles.items()
        if i.startswith("HarnessRole")
    ]
    assert trust["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert set(trust["Condition"]["StringEquals"]) == {"aws:SourceAccount"}
    assert "bedrock-agentcore:us-east-1:" in json.dumps(trust["Condition"]["ArnLike"]["aws:SourceArn"])


def test_only_the_gateways_tools_with_bounded_loops_and_the_instruction_from_its_file(dev: Synth) -> None:
    harness = one(dev, "AWS::BedrockAgentCore::Harness")
    [tool] = harness["Tools"]
    assert (tool["Type"], tool["Name"]) == ("agentcore_gateway", "operations")
    assert "Gateway" in json.dumps(tool["Config"]["AgentCoreGateway"]["GatewayArn"])
    assert harness["AllowedTools"] == ["@operations/*"]
    config = dev.config
    assert (harness["MaxIterations"], harness["MaxTokens"], harness["TimeoutSeconds"]) == (
        config.assistant.max_iterations,
        config.assistant.max_tokens,
        config.assistant.timeout_seconds,
    )
    [prompt] = harness["SystemPrompt"]
    assert prompt["Text"] == INSTRUCTION.read_text(encoding="utf-8").strip()


def test_the_harness_runs_in_the_workload_subnets_in_vpc_mode(dev: Synth) -> None:
    network = one(dev, "AWS::BedrockAgentCore::Harness")["Environment"]["AgentCoreRuntimeEnvironment"]
    config = network["NetworkConfiguration"]
    assert config["NetworkMode"] == "VPC"
    assert len(config["NetworkModeConfig"]["Subnets"]) == dev.config.network.az_count
    [group] = config["NetworkModeConfig"]["SecurityGroups"]
    assert "HarnessSecurityGroup" in json.dumps(group)


def test_session_memory_is_encrypted_short_term_and_expires(dev: Synth) -> None:
    memory = one(dev, "AWS::BedrockAgentCore::Memory")
    assert memory["EventExpiryDuration"] == dev.config.assistant.session_expiry_days == 7
    assert "DocumentsKey" in json.dumps(memory["EncryptionKeyArn"])
    assert "MemoryStrategies" not in memory  # long-term strategies bill per record: off by default
    harness = one(dev, "AWS::BedrockAgentCore::Harness")
    assert "Memory" in json.dumps(harness["Memory"]["AgentCoreMemoryConfiguration"]["Arn"])


def test_one_live_endpoint_follows_the_harness_version(dev: Synth) -> None:
    endpoint = one(dev, "AWS::BedrockAgentCore::HarnessEndpoint")
    assert endpoint["EndpointName"] == "live"
    assert endpoint["TargetVersion"]["Fn::GetAtt"][1] == "Version"
    assert endpoint["HarnessId"]["Fn::GetAtt"][1] == "HarnessId"


def test_who_may_ask_is_a_managed_policy_on_the_harness_and_its_endpoint(dev: Synth) -> None:
    statements = policy(dev, "InvokePolicy")
    ask = statements["AskTheOperationsAssistant"]
    assert ask["Action"] == ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:InvokeHarness"]
    assert len(ask["Resource"]) == 2
    assert statements["ReadTheAssistantStackOutputs"]["Resource"] == {"Ref": "AWS::StackId"}
    outputs = dev.templates[dev.platform.assistant.stack_name]["Outputs"]
    assert {"HarnessArn", "HarnessEndpointName", "InvokePolicyArn"} <= set(outputs)
    assert outputs["HarnessEndpointName"]["Value"] == "live"


# --- the gateway and its tools --------------------------------------------------------------------------


def test_the_gateway_is_iam_authorized_encrypted_and_without_billable_search(dev: Synth) -> None:
    gateway = one(dev, "AWS::BedrockAgentCore::Gateway")
    assert (gateway["AuthorizerType"], gateway["ProtocolType"]) == ("AWS_IAM", "MCP")
    assert "DocumentsKey" in json.dumps(gateway["KmsKeyArn"])
    assert "ProtocolConfiguration" not in gateway


def test_the_gateway_target_offers_exactly_the_handlers_tools(dev: Synth) -> None:
    target = one(dev, "AWS::BedrockAgentCore::GatewayTarget")
    config = target["TargetConfiguration"]["Mcp"]["Lambda"]
    assert "OperationsTools" in json.dumps(config["LambdaArn"])
    declared = config["ToolSchema"]["InlinePayload"]
    assert [t["Name"] for t in declared] == [t["name"] for t in tool_schema()]
    for tool, expected in zip(declared, tool_schema(), strict=True):
        assert tool["Description"] == expected["description"]
        assert set(tool["InputSchema"].get("Properties", {})) == set(expected["inputSchema"]["properties"])
    assert target["CredentialProviderConfigurations"] == [{"CredentialProviderType": "GATEWAY_IAM_ROLE"}]


def test_the_gateway_role_may_invoke_the_tools_function_and_use_the_key_for_this_gateway_only(
    dev: Synth,
) -> None:
    statements = policy(dev, "GatewayPolicy")
    assert statements["InvokeTheToolsFunction"]["Action"] == "lambda:InvokeFunction"
    for sid in ("UseTheKeyForThisGateway", "GrantTheKeyForThisGateway"):
        context = statements[sid]["Condition"]["StringLike"]
        assert "gateway/genaiplatform-dev-operations-*" in json.dumps(context)


def test_the_tools_function_acts_on_this_deployment_only(dev: Synth) -> None:
    statements = list(policy(dev, "OperationsTools").values())

    def allowing(action: str) -> list[dict]:
        return [
            s
            for s in statements
            if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        ]

    # The three endpoints; the real-time endpoint and its inference component (InvokeEndpoint
    # authorizes both when the call names a component).
    described = [r for s in allowing("sagemaker:DescribeEndpoint") for r in _as_list(s["Resource"])]
    assert len(described) == 3
    invoked = [r for s in allowing("sagemaker:InvokeEndpoint") for r in _as_list(s["Resource"])]
    assert len(invoked) == 2
    assert len(allowing("states:StartExecution")) == 1
    for action in ("bedrock:Retrieve", "bedrock:ListIngestionJobs", "bedrock:ApplyGuardrail", "kms:Decrypt"):
        assert allowing(action), action
    for statement in statements:
        assert statement["Resource"] != "*" or statement["Sid"] == "VpcNetworkInterfaces"


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def test_the_harness_reaches_its_apis_through_interface_endpoints(dev: Synth) -> None:
    services = set(dev.platform.network.interface_endpoints.services)
    assert {
        "bedrock-runtime",
        "ecr.api",
        "ecr.dkr",
        "logs",
        "sts",
        "bedrock-agentcore",
        "bedrock-agentcore.gateway",
        "bedrock-agent-runtime",
    } <= services


def test_the_assistant_can_be_turned_off() -> None:
    app = cdk.App(context=cdk_context(assistant="false"))
    platform = build_platform(app, load_config(app.node.get_all_context()))
    assert platform.assistant is None
    assert not any(stack.stack_name.endswith("-Assistant") for stack in platform.stacks)
