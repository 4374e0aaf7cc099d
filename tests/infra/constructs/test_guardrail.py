"""Guardrail: the policies it is given, its version and fingerprint, and grant_apply."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match

from infra.constructs.guardrail import (
    BLOCKED_INPUT,
    ContentFilter,
    DeniedTopic,
    Guardrail,
    GuardrailPolicies,
)
from tests.infra.constructs.conftest import ACCOUNT, REGION, statement_with_sid, template_of


def example_policies(**changes: Any) -> GuardrailPolicies:
    """Policies with a little of everything; `changes` replace fields."""
    policies = GuardrailPolicies(
        content_filters=[
            ContentFilter(type="HATE", input_strength="HIGH", output_strength="HIGH"),
            ContentFilter(type="INSULTS", input_strength="MEDIUM", output_strength="LOW"),
        ],
        prompt_attack_strength="HIGH",
        pii_entities={"PASSWORD": "BLOCK", "EMAIL": "ANONYMIZE"},
        denied_topics=[
            DeniedTopic(name="Secrets", definition="Passwords and keys.", examples=("What is the password?",))
        ],
        grounding_threshold=0.75,
        relevance_threshold=0.5,
    )
    return dataclasses.replace(policies, **changes)


def guardrail_in(stack: cdk.Stack, key: kms.IKey, policies: GuardrailPolicies | None = None) -> Guardrail:
    return Guardrail(
        stack, "Guardrail", guardrail_name="under-test", key=key, policies=policies or example_policies()
    )


def key_logical_id(key: kms.Key) -> str:
    """How a template names `key`: the key lives in another stack, so templates import its ARN
    (an export named after the key's logical ID)."""
    return cdk.Stack.of(key).get_logical_id(key.node.default_child)


def guardrail_properties(stack: cdk.Stack) -> dict:
    [resource] = template_of(stack).find_resources("AWS::Bedrock::Guardrail").values()
    return resource["Properties"]


def version_description(stack: cdk.Stack) -> str:
    [resource] = template_of(stack).find_resources("AWS::Bedrock::GuardrailVersion").values()
    return resource["Properties"]["Description"]


def test_content_filters_come_from_the_policies_and_prompt_attacks_are_input_only(
    stack: cdk.Stack, key: kms.Key
) -> None:
    guardrail_in(stack, key)
    filters = guardrail_properties(stack)["ContentPolicyConfig"]["FiltersConfig"]
    assert filters == [
        {"Type": "HATE", "InputStrength": "HIGH", "OutputStrength": "HIGH"},
        {"Type": "INSULTS", "InputStrength": "MEDIUM", "OutputStrength": "LOW"},
        {"Type": "PROMPT_ATTACK", "InputStrength": "HIGH", "OutputStrength": "NONE"},
    ]


def test_pii_topics_grounding_words_and_messages(stack: cdk.Stack, key: kms.Key) -> None:
    guardrail_in(stack, key)
    properties = guardrail_properties(stack)
    assert properties["SensitiveInformationPolicyConfig"]["PiiEntitiesConfig"] == [
        {"Type": "EMAIL", "Action": "ANONYMIZE"},  # sorted: the same settings give the same template
        {"Type": "PASSWORD", "Action": "BLOCK"},
    ]
    assert properties["TopicPolicyConfig"]["TopicsConfig"] == [
        {
            "Name": "Secrets",
            "Definition": "Passwords and keys.",
            "Examples": ["What is the password?"],
            "Type": "DENY",
        }
    ]
    assert properties["ContextualGroundingPolicyConfig"]["FiltersConfig"] == [
        {"Type": "GROUNDING", "Threshold": 0.75},
        {"Type": "RELEVANCE", "Threshold": 0.5},
    ]
    assert properties["WordPolicyConfig"] == {"ManagedWordListsConfig": [{"Type": "PROFANITY"}]}
    assert properties["BlockedInputMessaging"] == BLOCKED_INPUT
    assert properties["Name"] == "under-test"


def test_no_denied_topics_means_no_topic_policy(stack: cdk.Stack, key: kms.Key) -> None:
    guardrail_in(stack, key, example_policies(denied_topics=()))
    assert "TopicPolicyConfig" not in guardrail_properties(stack)


def test_the_guardrail_is_encrypted_with_the_key(stack: cdk.Stack, key: kms.Key) -> None:
    guardrail_in(stack, key)
    assert key_logical_id(key) in json.dumps(guardrail_properties(stack)["KmsKeyArn"])


def test_the_version_describes_the_fingerprint_of_the_policies(stack: cdk.Stack, key: kms.Key) -> None:
    guardrail = guardrail_in(stack, key)
    template = template_of(stack)
    template.has_resource_properties(
        "AWS::Bedrock::GuardrailVersion",
        {
            "Description": f"Guardrail configuration {guardrail.fingerprint}",
            "GuardrailIdentifier": {"Fn::GetAtt": [Match.string_like_regexp("^Guardrail"), "GuardrailId"]},
        },
    )
    assert guardrail.fingerprint == example_policies().fingerprint()


def test_the_fingerprint_changes_with_any_policy_and_only_with_them(app: cdk.App, key: kms.Key) -> None:
    variants = {
        "Base": example_policies(),
        "Same": example_policies(),
        "Grounding": example_policies(grounding_threshold=0.8),
        "Filters": example_policies(content_filters=[ContentFilter("HATE", "LOW", "HIGH")]),
        "Pii": example_policies(pii_entities={"PASSWORD": "BLOCK"}),
        "Topics": example_policies(denied_topics=()),
        "Message": example_policies(blocked_input_messaging="No."),
    }
    stacks = {
        name: cdk.Stack(app, name, env=cdk.Environment(account=ACCOUNT, region=REGION)) for name in variants
    }
    for name, policies in variants.items():
        guardrail_in(stacks[name], key, policies)
    descriptions = {name: version_description(stack) for name, stack in stacks.items()}
    assert descriptions.pop("Same") == descriptions["Base"]
    assert len(set(descriptions.values())) == len(descriptions)  # every change, its own version


def test_the_attributes_name_the_guardrail_and_its_version(stack: cdk.Stack, key: kms.Key) -> None:
    guardrail = guardrail_in(stack, key)
    resolved = stack.resolve(
        [
            guardrail.guardrail_id,
            guardrail.guardrail_arn,
            guardrail.guardrail_version,
            guardrail.pinned.version,
        ]
    )
    assert [r["Fn::GetAtt"][1] for r in resolved] == ["GuardrailId", "GuardrailArn", "Version", "Version"]
    assert guardrail.pinned.key is guardrail.key is key
    assert guardrail.pinned.guardrail_arn == guardrail.guardrail_arn


def test_grant_apply_adds_apply_and_decrypt_to_the_policy(stack: cdk.Stack, key: kms.Key) -> None:
    guardrail = guardrail_in(stack, key)
    policy = iam.ManagedPolicy(stack, "Users")
    guardrail.grant_apply(policy)
    template = template_of(stack)
    apply = statement_with_sid(template, "ApplyTheGuardrail")
    assert apply["Action"] == "bedrock:ApplyGuardrail"
    assert apply["Resource"]["Fn::GetAtt"][1] == "GuardrailArn"
    read = statement_with_sid(template, "ReadTheGuardrail")
    assert read["Action"] == "kms:Decrypt"
    assert key_logical_id(key) in json.dumps(read["Resource"])
