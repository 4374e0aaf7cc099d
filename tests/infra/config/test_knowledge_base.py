"""The knowledge-base section, and chunking as one model per strategy."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from infra.config import ConfigError, KnowledgeBaseSection, load_config
from tests.conftest import cdk_context
from tests.infra.config.support import assert_one_problem_mentioning, problems


def test_knowledge_base_defaults() -> None:
    section = load_config(cdk_context()).knowledge_base
    assert (section.vector_store, section.embedding_model_id, section.vector_dimensions) == (
        "s3_vectors",
        "amazon.titan-embed-text-v2:0",
        1024,
    )
    chunking = section.chunking
    assert (chunking.strategy, chunking.max_tokens, chunking.overlap_percentage) == ("fixed_size", 300, 20)
    assert section.sample_corpus
    assert section.invocation_logging


def test_the_index_dimension_follows_the_model_or_the_chosen_size() -> None:
    def dimensions(**overrides: Any) -> int:
        return load_config(cdk_context(**overrides)).knowledge_base.vector_dimensions

    assert dimensions(embedding_model_id="cohere.embed-english-v3") == 1024
    assert dimensions(embedding_model_id="amazon.titan-embed-text-v1") == 1536
    assert dimensions(embedding_dimensions="512") == 512


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"vector_store": "pinecone"},
            ["vector_store = 'pinecone'", "one of: s3_vectors, opensearch_serverless"],
        ),
        (
            {"embedding_model_id": "amazon.titan-embed-text-v3"},
            ["embedding_model_id = 'amazon.titan-embed-text-v3'", "one of: amazon.titan-embed-text-v2:0"],
        ),
        (
            {"embedding_dimensions": 768},
            ["embedding_dimensions = 768", "256, 512, 1024", "leave it out for 1024"],
        ),
        (
            {"embedding_model_id": "cohere.embed-english-v3", "embedding_dimensions": "512"},
            ["embedding_dimensions = 512", "cohere.embed-english-v3 produces vectors of 1024"],
        ),
        ({"embedding_dimensions": "-5"}, ["embedding_dimensions = '-5'", "a whole number >= 1"]),
        ({"documents_prefix": "/documents/"}, ["documents_prefix = '/documents/'", "ending in /"]),
        ({"documents_prefix": "documents"}, ["documents_prefix = 'documents'", "ending in /"]),
        ({"documents_prefix": "my docs/"}, ["documents_prefix = 'my docs/'", "letters, digits"]),
        (
            {"chunking_strategy": "recursive"},
            ["chunking_strategy = 'recursive' (from -c)", "fixed_size, hierarchical, semantic"],
        ),
        ({"chunk_max_tokens": "9000"}, ["chunk_max_tokens = '9000'", "a whole number from 1 to 8192"]),
        (
            {"embedding_model_id": "cohere.embed-english-v3", "chunk_max_tokens": 1000},
            ["chunk_max_tokens = 1000", "embeds at most 512 tokens", "allowed: 1 to 512"],
        ),
        ({"chunk_overlap_percentage": 0}, ["chunk_overlap_percentage = 0", "a whole number from 1 to 99"]),
        (
            {"chunking_strategy": "hierarchical", "hierarchical_child_max_tokens": 2000},
            ["hierarchical_child_max_tokens = 2000", "smaller than parent chunks", "allowed: 1 to 1499"],
        ),
        (
            {"chunking_strategy": "hierarchical", "hierarchical_overlap_tokens": 300},
            ["hierarchical_overlap_tokens = 300", "smaller than a child chunk", "allowed: 1 to 299"],
        ),
        (
            {"chunking_strategy": "semantic", "semantic_breakpoint_percentile_threshold": 40},
            ["semantic_breakpoint_percentile_threshold = 40", "a whole number from 50 to 99"],
        ),
        # A setting of a strategy not chosen is still held to its own rule.
        ({"semantic_buffer_size": 2}, ["semantic_buffer_size = 2 (from -c)", "a whole number from 0 to 1"]),
        ({"sample_corpus": "no"}, ["sample_corpus = 'no'", "true or false"]),
        ({"invocation_logging": "off"}, ["invocation_logging = 'off'", "true or false"]),
    ],
)
def test_each_knowledge_base_rule_names_the_setting_the_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    assert_one_problem_mentioning(overrides, expected)


def test_the_semantic_defaults_fit_within_coheres_input_limit() -> None:
    section = load_config(
        cdk_context(chunking_strategy="semantic", embedding_model_id="cohere.embed-multilingual-v3")
    ).knowledge_base
    assert section.chunking.max_tokens <= section.embedding_model.max_input_tokens == 512


def test_only_the_chosen_strategy_is_checked_against_the_model() -> None:
    # A semantic max that is too large for Cohere is fine while fixed-size chunking is chosen ...
    config = load_config(
        cdk_context(
            embedding_model_id="cohere.embed-english-v3", chunk_max_tokens=500, semantic_max_tokens=900
        )
    )
    assert config.knowledge_base.chunking.max_tokens == 500  # the fixed-size one
    # ... and reported once semantic chunking is.
    [found] = problems(
        embedding_model_id="cohere.embed-english-v3", chunking_strategy="semantic", semantic_max_tokens=900
    )
    assert found.startswith(
        "semantic_max_tokens = 900 (from -c): cohere.embed-english-v3 embeds at most 512 tokens"
    )


def test_each_strategy_holds_only_its_own_settings() -> None:
    chunking = load_config(
        cdk_context(chunking_strategy="hierarchical", hierarchical_parent_max_tokens="1000")
    ).knowledge_base.chunking
    assert chunking.model_dump() == {
        "strategy": "hierarchical",
        "parent_max_tokens": 1000,
        "child_max_tokens": 300,
        "overlap_tokens": 60,
    }
    assert load_config(cdk_context(chunking_strategy="none")).knowledge_base.chunking.model_dump() == {
        "strategy": "none"
    }


def test_the_chunking_union_rejects_a_setting_of_another_strategy() -> None:
    with pytest.raises(ValidationError) as raised:
        KnowledgeBaseSection.model_validate({"chunking": {"strategy": "fixed_size", "buffer_size": 1}})
    [error] = raised.value.errors()
    assert (error["type"], error["loc"]) == ("extra_forbidden", ("chunking", "fixed_size", "buffer_size"))
    # Given as a section object, the message says whose setting it is not, and what is allowed.
    context = cdk_context()
    context["profiles"]["dev"]["knowledge_base"] = {"chunking": {"strategy": "fixed_size", "buffer_size": 1}}
    with pytest.raises(ConfigError) as config_error:
        load_config(context)
    assert config_error.value.lines == [
        "knowledge_base.chunking.buffer_size = 1 (from profile 'dev' in cdk.json): not a setting of "
        "fixed_size chunking; allowed: max_tokens, overlap_percentage"
    ]


def test_a_region_dependent_check_takes_the_region_from_the_validation_context() -> None:
    KnowledgeBaseSection.model_validate({})  # no region: nothing to check it against
    KnowledgeBaseSection.model_validate({}, context={"region": "us-east-1"})
    with pytest.raises(
        ValidationError, match="vector_store: Amazon S3 Vectors is not available in sa-east-1"
    ):
        KnowledgeBaseSection.model_validate({}, context={"region": "sa-east-1"})
    found: list = []
    KnowledgeBaseSection.model_validate({}, context={"region": "sa-east-1", "problems": found})
    [problem] = found
    assert (problem.loc, problem.value) == (("knowledge_base", "vector_store"), "s3_vectors")
