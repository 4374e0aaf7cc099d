"""The steps, one module per kind; `Smoke` runs them all."""

from infra.smoke.steps.assistant import KNOWLEDGE_QUESTION, TOOL_QUESTION, AssistantStep
from infra.smoke.steps.endpoints import EndpointSteps
from infra.smoke.steps.knowledge_base import RETRIEVE_ATTEMPTS, KnowledgeBaseStep
from infra.smoke.steps.offline import OfflineSteps, batch_job_name, inference_id


class Smoke(KnowledgeBaseStep, AssistantStep, EndpointSteps, OfflineSteps):
    """One run: the steps, in order, against one deployment, and what to delete afterwards."""


__all__ = [
    "KNOWLEDGE_QUESTION",
    "RETRIEVE_ATTEMPTS",
    "TOOL_QUESTION",
    "AssistantStep",
    "EndpointSteps",
    "KnowledgeBaseStep",
    "OfflineSteps",
    "Smoke",
    "batch_job_name",
    "inference_id",
]
