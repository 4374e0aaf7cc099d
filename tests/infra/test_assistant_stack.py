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
