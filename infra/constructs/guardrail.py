"""A Bedrock guardrail from typed policies, and a version that follows them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

BLOCKED_INPUT = (
    "This request can't be processed: it touches a topic or content the platform assistant is not "
    "allowed to handle. Please rephrase it without secrets, personal data or harmful content."
)
BLOCKED_OUTPUT = (
    "The answer was withheld because it contained content the platform assistant is not allowed to "
    "return. Please ask in another way, or contact the platform team."
)


@dataclass(frozen=True)
class ContentFilter:
    """One content filter (`HATE`, `INSULTS`, `SEXUAL`, `VIOLENCE`, `MISCONDUCT`) and its strengths
    (`NONE`, `LOW`, `MEDIUM`, `HIGH`) on what goes in and what comes out."""

    type: str
    input_strength: str
    output_strength: str


@dataclass(frozen=True)
class DeniedTopic:
    name: str
    definition: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuardrailPolicies:
    """What the guardrail filters.

    - `content_filters`: one per filter type; the prompt-attack filter is separate, as
      `prompt_attack_strength`, on input only (Bedrock requires its output strength to be NONE).
    - `pii_entities`: entity type (`EMAIL`, `AWS_SECRET_KEY`, ...) to `BLOCK` or `ANONYMIZE`.
    - `denied_topics`: topics refused outright.
    - `grounding_threshold`, `relevance_threshold`: contextual grounding checks, 0 to 0.99.
    - `blocked_input_messaging`, `blocked_outputs_messaging`: what a caller reads instead.
    """

    content_filters: Sequence[ContentFilter]
    prompt_attack_strength: str
    pii_entities: Mapping[str, str]
    grounding_threshold: float
    relevance_threshold: float
    denied_topics: Sequence[DeniedTopic] = ()
    blocked_input_messaging: str = BLOCKED_INPUT
    blocked_outputs_messaging: str = BLOCKED_OUTPUT

    def fingerprint(self) -> str:
        """A short, stable digest of everything here: equal policies, equal fingerprints."""
        settings = dataclasses.asdict(self)
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PinnedGuardrail:
    """One version of a guardrail, as its users name it: what a model call carries
    (`guardrail_arn` or `guardrail_id`, and `version`), and the `key` it is encrypted with."""

    guardrail_id: str
    guardrail_arn: str
    version: str
    key: kms.IKey

    def grant_apply(self, policy: iam.ManagedPolicy) -> None:
        """ApplyGuardrail on the guardrail, and kms:Decrypt on its key: its users decrypt it (Bedrock
        User Guide, "Create a customer managed key for your guardrail": no condition shown)."""
        policy.add_statements(
            iam.PolicyStatement(
                sid="ApplyTheGuardrail", actions=["bedrock:ApplyGuardrail"], resources=[self.guardrail_arn]
            ),
            iam.PolicyStatement(
                sid="ReadTheGuardrail", actions=["kms:Decrypt"], resources=[self.key.key_arn]
            ),
        )


class Guardrail(Construct):
    """The guardrail `guardrail_name`, filtering as `policies` say, encrypted with `key`; also the
    managed profanity word list.

    Attributes: guardrail_id, guardrail_arn, guardrail_version, key, fingerprint, and `pinned`,
    the version as its users name it. `grant_apply(policy)` lets a role apply the guardrail.

    The version's description carries `fingerprint`, by default `policies.fingerprint()` (an app
    that names its settings otherwise may pass the digest of its own settings, as this platform
    passes its guardrail section's). CloudFormation replaces a version
    whose description changes (the property is create-only), so every change of the policies cuts
    a new version, and whatever pins `guardrail_version` moves to it in the same deploy; unchanged
    policies keep their version.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        guardrail_name: str,
        key: kms.IKey,
        policies: GuardrailPolicies,
        description: str = "What the platform's operations assistant may take in and give out",
        fingerprint: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        guardrail = bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name=guardrail_name,
            description=description,
            blocked_input_messaging=policies.blocked_input_messaging,
            blocked_outputs_messaging=policies.blocked_outputs_messaging,
            kms_key_arn=key.key_arn,
            content_policy_config=_content_policy(policies),
            word_policy_config=bedrock.CfnGuardrail.WordPolicyConfigProperty(
                managed_word_lists_config=[bedrock.CfnGuardrail.ManagedWordsConfigProperty(type="PROFANITY")]
            ),
            sensitive_information_policy_config=bedrock.CfnGuardrail.SensitiveInformationPolicyConfigProperty(
                pii_entities_config=[
                    bedrock.CfnGuardrail.PiiEntityConfigProperty(type=entity, action=action)
                    for entity, action in sorted(policies.pii_entities.items())
                ]
            ),
            topic_policy_config=_topic_policy(policies.denied_topics),
            contextual_grounding_policy_config=bedrock.CfnGuardrail.ContextualGroundingPolicyConfigProperty(
                filters_config=[
                    bedrock.CfnGuardrail.ContextualGroundingFilterConfigProperty(
                        type="GROUNDING", threshold=policies.grounding_threshold
                    ),
                    bedrock.CfnGuardrail.ContextualGroundingFilterConfigProperty(
                        type="RELEVANCE", threshold=policies.relevance_threshold
                    ),
                ]
            ),
        )
        self.fingerprint = fingerprint or policies.fingerprint()
        version = bedrock.CfnGuardrailVersion(
            self,
            "Version",
            guardrail_identifier=guardrail.attr_guardrail_id,
            description=f"Guardrail configuration {self.fingerprint}",
        )
        self.guardrail_id = guardrail.attr_guardrail_id
        self.guardrail_arn = guardrail.attr_guardrail_arn
        self.guardrail_version = version.attr_version
        self.pinned = PinnedGuardrail(
            guardrail_id=self.guardrail_id,
            guardrail_arn=self.guardrail_arn,
            version=self.guardrail_version,
            key=key,
        )

    def grant_apply(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` apply this guardrail (any version) and read its key."""
        self.pinned.grant_apply(policy)


def _content_policy(policies: GuardrailPolicies) -> bedrock.CfnGuardrail.ContentPolicyConfigProperty:
    filters = [
        bedrock.CfnGuardrail.ContentFilterConfigProperty(
            type=f.type, input_strength=f.input_strength, output_strength=f.output_strength
        )
        for f in policies.content_filters
    ]
    filters.append(
        bedrock.CfnGuardrail.ContentFilterConfigProperty(
            type="PROMPT_ATTACK", input_strength=policies.prompt_attack_strength, output_strength="NONE"
        )
    )
    return bedrock.CfnGuardrail.ContentPolicyConfigProperty(filters_config=filters)


def _topic_policy(topics: Sequence[DeniedTopic]) -> bedrock.CfnGuardrail.TopicPolicyConfigProperty | None:
    if not topics:
        return None
    return bedrock.CfnGuardrail.TopicPolicyConfigProperty(
        topics_config=[
            bedrock.CfnGuardrail.TopicConfigProperty(
                name=topic.name, definition=topic.definition, examples=list(topic.examples), type="DENY"
            )
            for topic in topics
        ]
    )
