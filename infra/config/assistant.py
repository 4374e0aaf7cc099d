"""The operations assistant: an Amazon Bedrock AgentCore harness with its gateway and memory."""

from __future__ import annotations

from collections.abc import Iterator

from infra.bedrock_models import (
    AGENTCORE_HARNESS_REGIONS,
    AGENTCORE_VPC_AZ_IDS,
    ASSISTANT_MODELS,
    DEFAULT_ASSISTANT_MODEL,
    AssistantModel,
)
from infra.config.deployment import PRODUCTION_PROFILE
from infra.config.problems import Problem
from infra.config.rules import TODAY, Boolean, Context, OneOf, Section, WholeNumber


class AssistantSection(Section):
    """The model comes from infra/bedrock_models.py ASSISTANT_MODELS, through the inference profile
    of the region's geography (`global.` only with `global_inference`)."""

    SECTION = "assistant"

    enabled: Boolean = True
    model_id: OneOf(*ASSISTANT_MODELS) = DEFAULT_ASSISTANT_MODEL
    global_inference: Boolean = False
    # The agent loop's bounds per invocation: model calls, output tokens across them, wall time.
    max_iterations: WholeNumber(1, 50) = 10
    max_tokens: WholeNumber(256, 64000) = 8192
    timeout_seconds: WholeNumber(30, 900) = 300
    # Short-term memory (the session's events) kept this many days: 7 to 365, what the
    # AWS::BedrockAgentCore::Memory schema and the Memory API reference both accept.
    session_expiry_days: WholeNumber(7, 365) = 7
    # Long-term strategies (summaries, semantic facts) bill per stored record: off unless asked for.
    long_term_memory: Boolean = False
    # VPC puts the harness in the workload subnets (interface endpoints billed per AZ and hour);
    # PUBLIC runs it in AgentCore's network, allowed outside prod only.
    network_mode: OneOf("VPC", "PUBLIC") = "VPC"
    # The gateway's semantic tool search bills per indexed tool and query; a few tools need none.
    gateway_semantic_search: Boolean = False

    @property
    def model(self) -> AssistantModel:
        return ASSISTANT_MODELS[self.model_id]

    def checks(self, context: Context) -> Iterator[Problem]:
        if not self.enabled:
            return
        model, region = self.model, context.region
        if region and region not in AGENTCORE_HARNESS_REGIONS:
            yield self.problem(
                "enabled",
                f"the Amazon Bedrock AgentCore harness is not offered in {region} (infra/bedrock_models.py); "
                f"regions: {', '.join(sorted(AGENTCORE_HARNESS_REGIONS))}; or set assistant=false",
            )
            return
        ended = model.lifecycle.problem(model.model_id, TODAY)
        if ended:
            active = [m for m, spec in ASSISTANT_MODELS.items() if spec.lifecycle.problem(m, TODAY) is None]
            yield self.problem("model_id", f"{ended}; allowed: {', '.join(active)}")
        elif self.global_inference and not model.global_profile:
            yield self.problem(
                "global_inference",
                f"{model.model_id} has no global inference profile; allowed: false, or a model with one",
            )
        elif region and region not in model.regions and not self.global_inference:
            offered = [
                m
                for m, spec in ASSISTANT_MODELS.items()
                if region in spec.regions and spec.lifecycle.problem(m, TODAY) is None
            ]
            yield self.problem(
                "model_id",
                f"no inference profile of it may be called from {region} (infra/bedrock_models.py); "
                f"regions: {', '.join(sorted(model.regions))}; "
                f"models offered there: {', '.join(offered) or 'none'}",
            )
        if region and self.network_mode == "VPC" and region not in AGENTCORE_VPC_AZ_IDS:
            yield self.problem(
                "network_mode",
                f"AgentCore documents the Availability Zones it runs in a VPC for "
                f"{', '.join(sorted(AGENTCORE_VPC_AZ_IDS))} only, not {region} (infra/bedrock_models.py); "
                "allowed: PUBLIC outside prod, or assistant=false",
            )
        if context.production and self.network_mode != "VPC":
            yield self.problem(
                "network_mode", f"the {PRODUCTION_PROFILE} profile keeps the harness in the VPC; allowed: VPC"
            )

    def warnings(self) -> list[str]:
        warning = self.model.lifecycle.warning(self.model_id) if self.enabled else None
        return [warning] if warning else []
