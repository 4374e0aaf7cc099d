"""The knowledge base: vector store, embedding model, documents, and how documents are chunked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra.bedrock_models import (
    EMBEDDING_LIFECYCLE,
    EMBEDDING_MODELS,
    S3_VECTORS_REGIONS,
    VECTOR_STORES,
    EmbeddingModel,
)
from infra.config.problems import Problem
from infra.config.rules import TODAY, Boolean, Context, OneOf, Section, WholeNumber

# --- chunking: one model per strategy, each with only its own settings ------------------------------
# Bedrock's own defaults for each strategy; limits from the bedrock-agent API model.


class _Strategy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # What its settings are called in messages, and which of them sizes the chunks that are embedded.
    KIND: ClassVar[str]
    EMBEDDED: ClassVar[str | None] = None

    def problems(self) -> Iterator[tuple[str, str]]:
        """(setting, message) for settings that contradict each other."""
        return iter(())


class FixedSizeChunking(_Strategy):
    """Chunks of `max_tokens`, each overlapping the one before by `overlap_percentage`."""

    KIND = "fixed_size chunking"
    EMBEDDED = "max_tokens"
    strategy: Literal["fixed_size"] = "fixed_size"
    max_tokens: WholeNumber(1, 8192) = 300
    overlap_percentage: WholeNumber(1, 99) = 20


class HierarchicalChunking(_Strategy):
    """Parent chunks split into child chunks: Bedrock embeds the children and returns their parents."""

    KIND = "hierarchical chunking"
    EMBEDDED = "child_max_tokens"
    strategy: Literal["hierarchical"] = "hierarchical"
    parent_max_tokens: WholeNumber(1, 8192) = 1500
    child_max_tokens: WholeNumber(1, 8192) = 300
    overlap_tokens: WholeNumber(1, 8192) = 60

    def problems(self) -> Iterator[tuple[str, str]]:
        parent, child = self.parent_max_tokens, self.child_max_tokens
        if child >= parent:
            yield (
                "child_max_tokens",
                f"child chunks must be smaller than parent chunks (hierarchical_parent_max_tokens = "
                f"{parent}); allowed: 1 to {parent - 1}",
            )
        if self.overlap_tokens >= child:
            yield (
                "overlap_tokens",
                f"the overlap must be smaller than a child chunk ({child} tokens); allowed: 1 to {child - 1}",
            )


class SemanticChunking(_Strategy):
    """Chunks split where the meaning of neighbouring sentences drifts apart."""

    KIND = "semantic chunking"
    EMBEDDED = "max_tokens"
    strategy: Literal["semantic"] = "semantic"
    max_tokens: WholeNumber(1, 8192) = 300
    buffer_size: WholeNumber(0, 1) = 0
    breakpoint_percentile_threshold: WholeNumber(50, 99) = 95


class NoChunking(_Strategy):
    """Each document is one chunk."""

    KIND = "no chunking"
    strategy: Literal["none"] = "none"


Chunking = Annotated[
    FixedSizeChunking | HierarchicalChunking | SemanticChunking | NoChunking, Field(discriminator="strategy")
]
STRATEGIES: dict[str, type[_Strategy]] = {
    "fixed_size": FixedSizeChunking,
    "hierarchical": HierarchicalChunking,
    "semantic": SemanticChunking,
    "none": NoChunking,
}


class KnowledgeBaseSection(Section):
    """The Bedrock knowledge base over the documents bucket."""

    SECTION = "knowledge_base"

    vector_store: OneOf(*VECTOR_STORES) = "s3_vectors"
    embedding_model_id: OneOf(*EMBEDDING_MODELS) = "amazon.titan-embed-text-v2:0"
    embedding_dimensions: WholeNumber(1) | None = None
    documents_prefix: str = "documents/"
    chunking: Chunking = FixedSizeChunking()
    sample_corpus: Boolean = True
    invocation_logging: Boolean = True

    @field_validator("documents_prefix", mode="before")
    @classmethod
    def _documents_prefix(cls, value: Any) -> str:
        # S3's "safe characters" for keys, so the prefix needs no encoding anywhere it appears.
        if not isinstance(value, str) or not re.fullmatch(
            r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/", value
        ):
            raise ValueError(
                "must be an S3 key prefix of letters, digits and !_.*'()- in /-separated parts, "
                "ending in / and not starting with one (e.g. documents/)"
            )
        return value

    def checks(self, context: Context) -> Iterator[Problem]:
        model, region = self.embedding_model, context.region
        ended = EMBEDDING_LIFECYCLE[model.model_id].problem(model.model_id, TODAY)
        if ended:
            yield self.problem("embedding_model_id", ended)
        if region and region not in model.regions:
            yield self.problem(
                "embedding_model_id",
                f"not offered for knowledge bases in {region} (infra/bedrock_models.py); regions: "
                f"{', '.join(sorted(model.regions))}",
            )
        if region and self.vector_store == "s3_vectors" and region not in S3_VECTORS_REGIONS:
            yield self.problem(
                "vector_store",
                f"Amazon S3 Vectors is not available in {region}; regions: "
                f"{', '.join(sorted(S3_VECTORS_REGIONS))}; or use opensearch_serverless",
            )
        if self.embedding_dimensions is not None and self.embedding_dimensions not in model.dimensions:
            yield self.problem(
                "embedding_dimensions",
                f"{model.model_id} produces vectors of {', '.join(map(str, model.dimensions))} dimensions; "
                f"allowed: one of those, or leave it out for {model.default_dimensions}",
            )
        chunking = self.chunking
        if chunking.EMBEDDED and (tokens := getattr(chunking, chunking.EMBEDDED)) > model.max_input_tokens:
            yield self.problem(
                ("chunking", chunking.strategy, chunking.EMBEDDED),
                f"{model.model_id} embeds at most {model.max_input_tokens} tokens per chunk; allowed: 1 to "
                f"{model.max_input_tokens}",
                tokens,
            )
        for setting, message in chunking.problems():
            yield self.problem(("chunking", chunking.strategy, setting), message, getattr(chunking, setting))

    def warnings(self) -> list[str]:
        warning = EMBEDDING_LIFECYCLE[self.embedding_model_id].warning(self.embedding_model_id)
        return [warning] if warning else []

    @property
    def embedding_model(self) -> EmbeddingModel:
        return EMBEDDING_MODELS[self.embedding_model_id]

    @property
    def vector_dimensions(self) -> int:
        """The index dimension: the model's, or the chosen one of the model's; never typed twice."""
        return self.embedding_dimensions or self.embedding_model.default_dimensions
