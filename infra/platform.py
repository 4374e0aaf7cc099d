"""Puts the platform's stacks into an app: the one place where stacks are wired to each other."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from infra.config import AppConfig
from infra.naming import PROJECT
from infra.policy import add_policy_gates
from infra.stacks.assistant_stack import OperationsAssistantStack
from infra.stacks.data_stack import DataStack, ServiceAccess
from infra.stacks.knowledge_base_stack import KnowledgeBaseStack
from infra.stacks.model_serving_stack import ModelServingStack
from infra.stacks.network_stack import NetworkStack
from infra.stacks.observability_stack import ObservabilityStack
from infra.stacks.offline_inference_stack import OfflineInferenceStack


@dataclass(frozen=True)
class Platform:
    """The stacks of one deployment, for tests and for stacks added later to wire into."""

    data: DataStack
    network: NetworkStack
    knowledge_base: KnowledgeBaseStack
    model_serving: ModelServingStack
    offline_inference: OfflineInferenceStack
    assistant: OperationsAssistantStack | None
    observability: ObservabilityStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        stacks = [self.data, self.network, self.knowledge_base, self.model_serving, self.offline_inference]
        return [*stacks, *([self.assistant] if self.assistant else []), self.observability]


def build_platform(app: cdk.App, config: AppConfig) -> Platform:
    """Add every stack for `config` to `app`, with tags and policy gates. Each stack receives the
    deployment section, its own section, and the stacks it builds on (typed objects, not ARNs)."""
    deployment = config.deployment
    # The data stack lets in the AWS services the later stacks use, as the configuration says they do.
    data = DataStack(
        app,
        deployment=deployment,
        service_access=ServiceAccess(
            s3_vectors_indexing=config.knowledge_base.vector_store == "s3_vectors",
            bedrock_invocation_logs=config.knowledge_base.invocation_logging,
        ),
    )
    network = NetworkStack(
        app,
        deployment=deployment,
        network=config.network,
        # The assistant's harness runs only in some AZ IDs: the workload subnets go there.
        workload_az_ids=config.workload_az_ids,
        logs_key=data.logs_key,
    )
    knowledge_base = KnowledgeBaseStack(
        app, deployment=deployment, knowledge_base=config.knowledge_base, data=data, network=network
    )
    model_serving = ModelServingStack(
        app, deployment=deployment, serving=config.serving, data=data, network=network
    )
    offline_inference = OfflineInferenceStack(
        app,
        deployment=deployment,
        offline_inference=config.offline_inference,
        data=data,
        network=network,
        serving=model_serving,
    )

    # The assistant is optional (`assistant=false`): AgentCore is not offered in every region.
    assistant = None
    if config.assistant.enabled:
        assistant = OperationsAssistantStack(
            app,
            deployment=deployment,
            assistant=config.assistant,
            guardrail=config.guardrail,
            data=data,
            network=network,
            knowledge_base=knowledge_base,
            serving=model_serving,
            offline=offline_inference,
        )

    observability = ObservabilityStack(
        app,
        deployment=deployment,
        audit=config.audit,
        data=data,
        workloads=[s for s in (knowledge_base, model_serving, offline_inference, assistant) if s],
    )

    # Tags are applied by an Aspect to every taggable resource of the app.
    cdk.Tags.of(app).add("project", PROJECT)
    cdk.Tags.of(app).add("profile", deployment.profile)
    add_policy_gates(app)
    return Platform(
        data=data,
        network=network,
        knowledge_base=knowledge_base,
        model_serving=model_serving,
        offline_inference=offline_inference,
        assistant=assistant,
        observability=observability,
    )
