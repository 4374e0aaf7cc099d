"""OperationsAssistantStack: the platform's own operations assistant, and what guards it."""

from __future__ import annotations

from constructs import Construct

from infra.config import AppConfig
from infra.constructs.guardrail import Guardrail
from infra.stacks.base import PROJECT, PlatformStack
from infra.stacks.data_stack import DataStack


class OperationsAssistantStack(PlatformStack):
    """A Bedrock guardrail for the operations assistant: what it may take in and give out.

    The guardrail is encrypted with the documents key, the key of the platform's Bedrock data.
    The assistant itself (a Bedrock agent that answers from the knowledge base and acts on the
    platform through a Lambda action group) pins `guardrail.version`.

    Attributes other stacks use: guardrail.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, data: DataStack) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            description="Bedrock guardrail of the platform's operations assistant",
        )
        self.guardrail = Guardrail(
            self,
            "Guardrail",
            config=config,
            name=f"{PROJECT}-{config.profile}-operations-assistant",
            key=data.documents_key,
        )
