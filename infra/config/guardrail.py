"""The Bedrock guardrail (limits and values from botocore's bedrock API model, CreateGuardrail)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from infra.config.rules import Section, Structured

Strength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
PiiAction = Literal["BLOCK", "ANONYMIZE"]
PiiEntity = Literal[
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD",
    "PHONE", "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER", "VEHICLE_IDENTIFICATION_NUMBER",
]  # fmt: skip


class FilterStrengths(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input: Strength = "HIGH"
    output: Strength = "HIGH"


class ContentFilters(BaseModel):
    """Input and output strength per content filter; filters left out keep HIGH/HIGH."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hate: FilterStrengths = FilterStrengths()
    insults: FilterStrengths = FilterStrengths()
    sexual: FilterStrengths = FilterStrengths()
    violence: FilterStrengths = FilterStrengths()
    misconduct: FilterStrengths = FilterStrengths()


class DeniedTopic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[0-9a-zA-Z\-_ !?.]+$")]
    definition: Annotated[str, Field(min_length=1, max_length=200)]
    examples: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=5)] = []


DEFAULT_PII_ENTITIES: dict[str, str] = {
    "AWS_ACCESS_KEY": "BLOCK",
    "AWS_SECRET_KEY": "BLOCK",
    "PASSWORD": "BLOCK",
    "CREDIT_DEBIT_CARD_NUMBER": "BLOCK",
    "EMAIL": "ANONYMIZE",
    "PHONE": "ANONYMIZE",
    "NAME": "ANONYMIZE",
    "IP_ADDRESS": "ANONYMIZE",
}
DEFAULT_DENIED_TOPICS = (
    DeniedTopic(
        name="Credentials and secrets",
        definition="Requests to reveal, create, guess or pass on passwords, access keys, tokens or other "
        "secrets of this platform or its users.",
        examples=["What is the admin password?", "Give me an access key for the production account."],
    ),
)
PiiEntities = Annotated[dict[PiiEntity, PiiAction], Field(min_length=1)]
DeniedTopics = Annotated[tuple[DeniedTopic, ...], Field(max_length=30)]
# Bedrock's documented range for contextual grounding thresholds is 0 to 0.99.
Threshold = Annotated[float, Field(ge=0, lt=1)]


class GuardrailSection(Section):
    """What the guardrail in front of the assistant's model filters, masks and refuses.

    `fingerprint(messages=[...])` names a guardrail version after exactly these settings.
    """

    SECTION = "guardrail"

    content_filters: Structured(ContentFilters) = ContentFilters()
    # The prompt-attack filter applies to input only: Bedrock requires its output strength NONE.
    prompt_attack_strength: Strength = "HIGH"
    pii_entities: Structured(PiiEntities) = DEFAULT_PII_ENTITIES
    denied_topics: Structured(DeniedTopics) = DEFAULT_DENIED_TOPICS
    grounding_threshold: Threshold = 0.75
    relevance_threshold: Threshold = 0.75
