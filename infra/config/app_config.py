"""The app's configuration: one typed section per concern, each validated on its own."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from infra.bedrock_models import AGENTCORE_VPC_AZ_IDS
from infra.config.assistant import AssistantSection
from infra.config.deployment import AuditSection, DeploymentSection, NetworkSection
from infra.config.guardrail import GuardrailSection
from infra.config.knowledge_base import KnowledgeBaseSection
from infra.config.rules import Section
from infra.config.serving import OfflineInferenceSection, ServingSection


class AppConfig(BaseModel):
    """Every setting a user can change, by section. Build it with `load_config` (which validates each
    section with the region and profile in its context); each stack reads the deployment section
    and its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deployment: DeploymentSection
    network: NetworkSection
    knowledge_base: KnowledgeBaseSection
    guardrail: GuardrailSection
    serving: ServingSection
    offline_inference: OfflineInferenceSection
    assistant: AssistantSection
    audit: AuditSection

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(getattr(self, name) for name in type(self).model_fields)

    def warnings(self) -> list[str]:
        """What is allowed but deserves a word at synth (a Legacy model, say)."""
        return [warning for section in self.sections for warning in section.warnings()]

    @property
    def workload_az_ids(self) -> tuple[str, ...] | None:
        """The AZ IDs the workload subnets are pinned to (where the assistant's harness runs in the
        VPC), or None for the region's first AZs by name."""
        if self.assistant.enabled and self.assistant.network_mode == "VPC":
            return AGENTCORE_VPC_AZ_IDS[self.deployment.region][: self.network.az_count]
        return None
