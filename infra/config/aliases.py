"""The setting names users type (flat, in cdk.json profiles and with -c), and where each one lives
in the sections: `guardrail_prompt_attack_strength` is `config.guardrail.prompt_attack_strength`.

A chunking setting's path names its strategy (`("knowledge_base", "chunking", "semantic",
"max_tokens")`): the chunking field holds one strategy's model, told apart by its `strategy` tag.
"""

from __future__ import annotations

from typing import Final

from infra.config.problems import Loc

# The field that tells the members of a tagged union (the chunking strategies) apart.
TAG: Final = "strategy"

_KB = ("knowledge_base",)
_CHUNKING = ("knowledge_base", "chunking")

ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "profile": ("deployment", "profile"),
    "region": ("deployment", "region"),
    "account": ("deployment", "account"),
    "vpc_cidr": ("network", "vpc_cidr"),
    "az_count": ("network", "az_count"),
    "internet_egress": ("network", "internet_egress"),
    "log_retention_days": ("deployment", "log_retention_days"),
    "reserve_lambda_concurrency": ("deployment", "reserve_lambda_concurrency"),
    "vector_store": (*_KB, "vector_store"),
    "embedding_model_id": (*_KB, "embedding_model_id"),
    "embedding_dimensions": (*_KB, "embedding_dimensions"),
    "documents_prefix": (*_KB, "documents_prefix"),
    "chunking_strategy": (*_CHUNKING, TAG),
    "chunk_max_tokens": (*_CHUNKING, "fixed_size", "max_tokens"),
    "chunk_overlap_percentage": (*_CHUNKING, "fixed_size", "overlap_percentage"),
    "hierarchical_parent_max_tokens": (*_CHUNKING, "hierarchical", "parent_max_tokens"),
    "hierarchical_child_max_tokens": (*_CHUNKING, "hierarchical", "child_max_tokens"),
    "hierarchical_overlap_tokens": (*_CHUNKING, "hierarchical", "overlap_tokens"),
    "semantic_max_tokens": (*_CHUNKING, "semantic", "max_tokens"),
    "semantic_buffer_size": (*_CHUNKING, "semantic", "buffer_size"),
    "semantic_breakpoint_percentile_threshold": (*_CHUNKING, "semantic", "breakpoint_percentile_threshold"),
    "sample_corpus": (*_KB, "sample_corpus"),
    "invocation_logging": (*_KB, "invocation_logging"),
    "guardrail_content_filters": ("guardrail", "content_filters"),
    "guardrail_prompt_attack_strength": ("guardrail", "prompt_attack_strength"),
    "guardrail_pii_entities": ("guardrail", "pii_entities"),
    "guardrail_denied_topics": ("guardrail", "denied_topics"),
    "guardrail_grounding_threshold": ("guardrail", "grounding_threshold"),
    "guardrail_relevance_threshold": ("guardrail", "relevance_threshold"),
    "assistant": ("assistant", "enabled"),
    "assistant_model_id": ("assistant", "model_id"),
    "assistant_global_inference": ("assistant", "global_inference"),
    "assistant_max_iterations": ("assistant", "max_iterations"),
    "assistant_max_tokens": ("assistant", "max_tokens"),
    "assistant_timeout_seconds": ("assistant", "timeout_seconds"),
    "assistant_session_expiry_days": ("assistant", "session_expiry_days"),
    "assistant_long_term_memory": ("assistant", "long_term_memory"),
    "assistant_network_mode": ("assistant", "network_mode"),
    "gateway_semantic_search": ("assistant", "gateway_semantic_search"),
    "serving_image_cpu": ("serving", "image_cpu"),
    "serving_image_gpu": ("serving", "image_gpu"),
    "serving_image_neuron": ("serving", "image_neuron"),
    "realtime_instance_type": ("serving", "realtime_instance_type"),
    "realtime_max_instances": ("serving", "realtime_max_instances"),
    "realtime_target_concurrency": ("serving", "realtime_target_concurrency"),
    "data_capture_percentage": ("serving", "data_capture_percentage"),
    "serverless_memory_mb": ("serving", "serverless_memory_mb"),
    "serverless_max_concurrency": ("serving", "serverless_max_concurrency"),
    "serverless_provisioned_concurrency": ("serving", "serverless_provisioned_concurrency"),
    "async_instance_type": ("offline_inference", "async_instance_type"),
    "async_max_instances": ("offline_inference", "async_max_instances"),
    "async_max_concurrent_invocations": ("offline_inference", "async_max_concurrent_invocations"),
    "async_backlog_per_instance": ("offline_inference", "async_backlog_per_instance"),
    "async_invocation_timeout_seconds": ("offline_inference", "async_invocation_timeout_seconds"),
    "batch_instance_type": ("offline_inference", "batch_instance_type"),
    "batch_instance_count": ("offline_inference", "batch_instance_count"),
    "batch_max_payload_mb": ("offline_inference", "batch_max_payload_mb"),
    "batch_timeout_minutes": ("offline_inference", "batch_timeout_minutes"),
    "batch_schedule": ("offline_inference", "batch_schedule"),
    "batch_schedule_input_prefix": ("offline_inference", "batch_schedule_input_prefix"),
    "trail_data_events": ("audit", "trail_data_events"),
    "transaction_search": ("audit", "transaction_search"),
    "alarm_email": ("audit", "alarm_email"),
}

SETTINGS: Final[tuple[str, ...]] = tuple(ALIASES)
"""The setting names a user may give, in cdk.json profiles or with -c."""

_SETTING_AT: Final = {path: name for name, path in ALIASES.items()}


def setting_at(loc: Loc) -> tuple[str, Loc] | None:
    """The setting whose path is the longest start of `loc`, and the rest of `loc` inside it."""
    for length in range(len(loc), 0, -1):
        if (name := _SETTING_AT.get(tuple(loc[:length]))) is not None:  # type: ignore[arg-type]
            return name, loc[length:]
    return None
