"""A Bedrock guardrail configured from settings, and a version that follows its configuration."""

from __future__ import annotations

import hashlib
import json

from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import AppConfig

BLOCKED_INPUT = (
    "This request can't be processed: it touches a topic or content the platform assistant is not "
    "allowed to handle. Please rephrase it without secrets, personal data or harmful content."
)
BLOCKED_OUTPUT = (
    "The answer was withheld because it contained content the platform assistant is not allowed to "
    "return. Please ask in another way, or contact the platform team."
)


class Guardrail(Construct):
    """Content filters (hate, insults, sexual, violence, misconduct) with strengths from settings;
    the prompt-attack filter on input (Bedrock requires its output strength to be NONE); the
    managed profanity list; PII entities blocked or anonymized per setting; denied topics;
    contextual grounding and relevance checks; encrypted with `key`.

    `version` is a GuardrailVersion whose description carries a fingerprint of the configuration.
    CloudFormation replaces a version whose description changes (the property is create-only), so
    every configuration change cuts a new version, and whatever pins `version` moves to it in the
    same deploy; an unchanged configuration keeps its version.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, name: str, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        filters = config.guardrail_content_filters
        content_filters = [
            bedrock.CfnGuardrail.ContentFilterConfigProperty(
                type=kind.upper(), input_strength=strengths.input, output_strength=strengths.output
            )
            for kind, strengths in filters
        ]
        content_filters.append(
            bedrock.CfnGuardrail.ContentFilterConfigProperty(
                type="PROMPT_ATTACK",
                input_strength=config.guardrail_prompt_attack_strength,
                output_strength="NONE",
            )
        )
        self.guardrail = bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name=name,
            description="What the platform's operations assistant may take in and give out",
            blocked_input_messaging=BLOCKED_INPUT,
            blocked_outputs_messaging=BLOCKED_OUTPUT,
            kms_key_arn=key.key_arn,
            content_policy_config=bedrock.CfnGuardrail.ContentPolicyConfigProperty(
                filters_config=content_filters
            ),
            word_policy_config=bedrock.CfnGuardrail.WordPolicyConfigProperty(
                managed_word_lists_config=[bedrock.CfnGuardrail.ManagedWordsConfigProperty(type="PROFANITY")]
            ),
            sensitive_information_policy_config=bedrock.CfnGuardrail.SensitiveInformationPolicyConfigProperty(
                pii_entities_config=[
                    bedrock.CfnGuardrail.PiiEntityConfigProperty(type=entity, action=action)
                    for entity, action in sorted(config.guardrail_pii_entities.items())
                ]
            ),
            topic_policy_config=bedrock.CfnGuardrail.TopicPolicyConfigProperty(
                topics_config=[
                    bedrock.CfnGuardrail.TopicConfigProperty(
                        name=topic.name,
                        definition=topic.definition,
                        examples=list(topic.examples),
                        type="DENY",
                    )
                    for topic in config.guardrail_denied_topics
                ]
            )
            if config.guardrail_denied_topics
            else None,
            contextual_grounding_policy_config=bedrock.CfnGuardrail.ContextualGroundingPolicyConfigProperty(
                filters_config=[
                    bedrock.CfnGuardrail.ContextualGroundingFilterConfigProperty(
                        type="GROUNDING", threshold=config.guardrail_grounding_threshold
                    ),
                    bedrock.CfnGuardrail.ContextualGroundingFilterConfigProperty(
                        type="RELEVANCE", threshold=config.guardrail_relevance_threshold
                    ),
                ]
            ),
        )
        self.fingerprint = configuration_fingerprint(config)
        self.version = bedrock.CfnGuardrailVersion(
            self,
            "Version",
            guardrail_identifier=self.guardrail.attr_guardrail_id,
            description=f"Guardrail configuration {self.fingerprint}",
        )


def configuration_fingerprint(config: AppConfig) -> str:
    """A short, stable digest of everything that shapes the guardrail's behaviour."""
    settings = config.model_dump(
        include={
            "guardrail_content_filters",
            "guardrail_prompt_attack_strength",
            "guardrail_pii_entities",
            "guardrail_denied_topics",
            "guardrail_grounding_threshold",
            "guardrail_relevance_threshold",
        }
    )
    settings["messages"] = [BLOCKED_INPUT, BLOCKED_OUTPUT]
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
