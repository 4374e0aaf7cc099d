"""OperationsAssistantStack: the guardrail as the settings describe it, and its version."""

from __future__ import annotations

import json

from infra.config import load_config
from infra.constructs.guardrail import configuration_fingerprint
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
    assert pii == dev.config.guardrail_pii_entities
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
    assert (
        version["Properties"]["Description"]
        == f"Guardrail configuration {configuration_fingerprint(dev.config)}"
    )
    assistant = dev.platform.assistant
    guardrail_id = assistant.get_logical_id(assistant.guardrail.guardrail)
    assert version["Properties"]["GuardrailIdentifier"] == {"Fn::GetAtt": [guardrail_id, "GuardrailId"]}


def test_the_fingerprint_changes_with_the_guardrail_configuration_and_only_with_it() -> None:
    base = configuration_fingerprint(load_config(cdk_context()))
    assert configuration_fingerprint(load_config(cdk_context())) == base
    assert configuration_fingerprint(load_config(cdk_context(az_count=3))) == base  # not a guardrail setting
    assert configuration_fingerprint(load_config(cdk_context(guardrail_grounding_threshold="0.8"))) != base
    changed_filter = '{"insults": {"input": "MEDIUM", "output": "HIGH"}}'
    assert (
        configuration_fingerprint(load_config(cdk_context(guardrail_content_filters=changed_filter))) != base
    )


# --- the agent -----------------------------------------------------------------------------------------


def agent(synth: Synth) -> dict:
    [resource] = synth.resources(synth.platform.assistant, "AWS::Bedrock::Agent").values()
    return resource["Properties"]


def policy(synth: Synth, name_part: str) -> dict[str, dict]:
    [resource] = [
        r["Properties"]
        for i, r in synth.resources(synth.platform.assistant, "AWS::IAM::ManagedPolicy").items()
        if i.startswith(name_part)
    ]
    return {s["Sid"]: s for s in resource["PolicyDocument"]["Statement"]}


def test_the_agent_runs_the_configured_model_through_its_inference_profile(dev: Synth) -> None:
    assert agent(dev)["FoundationModel"] == "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    invoke = policy(dev, "OperationsAgentPolicy")["InvokeConfiguredModel"]
    assert invoke["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    resources = [json.dumps(r) for r in invoke["Resource"]]
    assert resources[:3] == [
        f'"arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"'
        for region in ("us-east-1", "us-east-2", "us-west-2")
    ]
    assert "inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0" in resources[3]
    assert len(resources) == 4  # that model and profile, nothing else


def test_an_on_demand_model_is_invoked_by_its_own_id_in_this_region_only(cpu: Synth) -> None:
    synth = cpu  # its agent model, Claude 3 Haiku, runs on demand in us-east-1
    assert agent(synth)["FoundationModel"] == "anthropic.claude-3-haiku-20240307-v1:0"
    found = policy(synth, "OperationsAgentPolicy")
    assert found["InvokeConfiguredModel"]["Resource"] == (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    )
    assert "ReadInferenceProfile" not in found


def test_the_agent_answers_from_the_knowledge_base_behind_the_pinned_guardrail(dev: Synth) -> None:
    properties = agent(dev)
    [knowledge_base] = properties["KnowledgeBases"]
    assert "KnowledgeBase" in json.dumps(knowledge_base["KnowledgeBaseId"])
    assert knowledge_base["Description"].startswith("Use for questions about how this ML platform")
    assert knowledge_base["KnowledgeBaseState"] == "ENABLED"
    guardrail_configuration = properties["GuardrailConfiguration"]
    assert guardrail_configuration["GuardrailIdentifier"] == {
        "Fn::GetAtt": ["GuardrailA5094A7B", "GuardrailId"]
    }
    assert guardrail_configuration["GuardrailVersion"] == {
        "Fn::GetAtt": ["GuardrailVersionFD7632EA", "Version"]
    }
    assert properties["AutoPrepare"] is True
    assert properties["IdleSessionTTLInSeconds"] == dev.config.agent_idle_session_ttl_seconds
    assert "DocumentsKey" in json.dumps(properties["CustomerEncryptionKeyArn"])


def test_the_instruction_comes_from_its_file(dev: Synth) -> None:
    from infra.stacks.assistant_stack import INSTRUCTION

    assert agent(dev)["Instruction"] == INSTRUCTION.read_text(encoding="utf-8").strip()
    assert len(agent(dev)["Instruction"]) >= 40  # Bedrock's minimum instruction length


def test_one_alias_that_follows_the_agent_configuration(dev: Synth) -> None:
    aliases = list(dev.resources(dev.platform.assistant, "AWS::Bedrock::AgentAlias").values())
    assert len(aliases) == 1
    alias = aliases[0]["Properties"]
    assert alias["AgentAliasName"] == "live"
    assert alias["Description"].endswith(dev.platform.assistant.agent.fingerprint)
    assert "RoutingConfiguration" not in alias


def test_the_alias_fingerprint_moves_with_the_guardrail_and_the_agent_settings() -> None:
    from infra.constructs.operations_agent import fingerprint
    from infra.stacks.assistant_stack import INSTRUCTION

    base = load_config(cdk_context())
    instruction = INSTRUCTION.read_text(encoding="utf-8")
    reference = fingerprint(base, instruction, "guardrail-a")
    assert fingerprint(base, instruction, "guardrail-a") == reference
    assert fingerprint(base, instruction, "guardrail-b") != reference
    assert fingerprint(
        load_config(cdk_context(agent_idle_session_ttl_seconds=900)), instruction, "guardrail-a"
    ) != (reference)
    assert fingerprint(
        load_config(cdk_context(agent_model_id="amazon.nova-lite-v1:0")), instruction, "guardrail-a"
    ) != (reference)


def test_the_action_group_calls_the_actions_function_with_the_function_schema(dev: Synth) -> None:
    [group] = agent(dev)["ActionGroups"]
    assert group["ActionGroupName"] == "platform-operations"
    assert "OperationsAgentActionsFunction" in json.dumps(group["ActionGroupExecutor"]["Lambda"])
    names = [f["Name"] for f in group["FunctionSchema"]["Functions"]]
    assert names == [
        "list_endpoints",
        "describe_endpoint",
        "send_test_prediction",
        "start_batch_transform",
        "ingestion_jobs",
    ]


def test_only_this_agent_may_invoke_the_actions_function(dev: Synth) -> None:
    [permission] = dev.resources(dev.platform.assistant, "AWS::Lambda::Permission").values()
    properties = permission["Properties"]
    assert properties["Principal"] == "bedrock.amazonaws.com"
    assert properties["SourceArn"] == {"Fn::GetAtt": ["OperationsAgent722CFC20", "AgentArn"]}
    assert properties["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_the_actions_function_acts_on_this_deployment_only(dev: Synth) -> None:
    [function] = [
        r["Properties"]
        for i, r in dev.resources(dev.platform.assistant, "AWS::Lambda::Function").items()
        if i.startswith("OperationsAgentActions")
    ]
    environment = function["Environment"]["Variables"]
    assert environment["ENDPOINT_NAMES"] == (
        "GenAiPlatform-dev-realtime,GenAiPlatform-dev-serverless,GenAiPlatform-dev-async"
    )
    assert environment["REALTIME_ENDPOINT_NAME"] == "GenAiPlatform-dev-realtime"
    assert environment["BATCH_INPUT_PREFIX"] == "batch/input/"
    found = policy(dev, "OperationsAgentActionsPolicy")
    assert len(found["DescribeEndpoints"]["Resource"]) == 3
    assert found["TestPrediction"]["Action"] == "sagemaker:InvokeEndpoint"
    assert found["StartBatchRun"]["Action"] == "states:StartExecution"
    assert found["IngestionJobs"]["Action"] == "bedrock:ListIngestionJobs"
    for statement in found.values():
        for resource in (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        ):
            assert resource != "*" or statement["Sid"] == "VpcNetworkInterfaces"


def test_the_function_schema_matches_the_handlers_tools() -> None:
    import inspect

    from agent_actions import handler

    from infra.constructs.operations_agent import FUNCTIONS

    assert [f.name for f in FUNCTIONS] == list(handler.TOOLS)
    for function in FUNCTIONS:
        signature = inspect.signature(getattr(handler, function.name).__wrapped__)
        assert list(signature.parameters) == list(function.parameters), function.name
