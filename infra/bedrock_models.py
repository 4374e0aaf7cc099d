"""Checked-in facts about Amazon Bedrock that the configuration is validated against.

Synth never calls AWS, so what a model offers and where it runs is written down here. When AWS
adds a region or a model, extend these tables; a region missing here is rejected at synth with a
message that names the table, rather than failing twenty minutes into a deploy.

Sources: the Amazon Bedrock User Guide pages "Supported models and Regions for Amazon Bedrock
Knowledge Bases" and "Model support by AWS Region"; the model cards for dimensions and input
limits. Regions are listed conservatively: only where both the model and Knowledge Bases are
documented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmbeddingModel:
    model_id: str
    dimensions: tuple[int, ...]
    """Vector sizes the model can produce; the index dimension must be one of them."""
    default_dimensions: int
    max_input_tokens: int
    """Longest chunk the model embeds; chunking settings must stay within it."""
    regions: frozenset[str]


_TITAN_V2_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
    }
)
_COHERE_V3_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "ap-northeast-1",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
    }
)

EMBEDDING_MODELS: dict[str, EmbeddingModel] = {
    model.model_id: model
    for model in (
        EmbeddingModel("amazon.titan-embed-text-v2:0", (256, 512, 1024), 1024, 8192, _TITAN_V2_REGIONS),
        EmbeddingModel(
            "amazon.titan-embed-text-v1",
            (1536,),
            1536,
            8192,
            frozenset({"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1", "ap-southeast-1"}),
        ),
        EmbeddingModel("cohere.embed-english-v3", (1024,), 1024, 512, _COHERE_V3_REGIONS),
        EmbeddingModel("cohere.embed-multilingual-v3", (1024,), 1024, 512, _COHERE_V3_REGIONS),
    )
}

# Amazon S3 Vectors: the five preview regions (July 2025) and those added at general
# availability (December 2025).
S3_VECTORS_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-central-1",
        "ap-southeast-2",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
    }
)

VECTOR_STORES = ("s3_vectors", "opensearch_serverless")
CHUNKING_STRATEGIES = ("fixed_size", "hierarchical", "semantic", "none")


# --- foundation models for the operations agent ---------------------------------------------------
#
# Many current models run on demand only through a cross-region inference profile: the agent names
# the profile (`us.<model id>`), and Bedrock routes each request to one of the profile's
# destination regions, where the caller must be allowed to invoke the model itself. Source and
# destination regions from the Bedrock User Guide, "Supported Regions and models for inference
# profiles" (US profiles: called from us-east-1, us-east-2 or us-west-2; routed within those).


@dataclass(frozen=True)
class Geography:
    """A cross-region inference profile's geography: its id prefix ("us", "eu", "apac") and its
    regions, taken as both the regions it may be called from and those it routes to."""

    prefix: str
    regions: frozenset[str]


@dataclass(frozen=True)
class AgentModel:
    model_id: str
    # Where the agent reaches the model through an inference profile ("<prefix>.<model id>").
    geographies: tuple[Geography, ...] = ()
    # Where it is invoked on demand by its own id instead.
    on_demand_regions: frozenset[str] = frozenset()

    @property
    def regions(self) -> frozenset[str]:
        return self.on_demand_regions.union(*(g.regions for g in self.geographies))

    def geography(self, region: str) -> Geography | None:
        """The profile geography the agent uses from `region`; None where it calls the model itself."""
        if region in self.on_demand_regions:
            return None
        return next(g for g in self.geographies if region in g.regions)

    def agent_model(self, region: str) -> str:
        """What the agent's FoundationModel names in `region`: the profile id, or the model id."""
        geography = self.geography(region)
        return f"{geography.prefix}.{self.model_id}" if geography else self.model_id


US = Geography("us", frozenset({"us-east-1", "us-east-2", "us-west-2"}))
EU = Geography("eu", frozenset({"eu-central-1", "eu-west-1", "eu-west-3"}))
APAC = Geography(
    "apac", frozenset({"ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2"})
)

AGENT_MODELS: dict[str, AgentModel] = {
    model.model_id: model
    for model in (
        AgentModel("anthropic.claude-3-5-haiku-20241022-v1:0", geographies=(US,)),
        AgentModel("anthropic.claude-sonnet-4-20250514-v1:0", geographies=(US,)),
        AgentModel("amazon.nova-lite-v1:0", geographies=(US, EU, APAC)),
        AgentModel("amazon.nova-pro-v1:0", geographies=(US, EU, APAC)),
        AgentModel(
            "anthropic.claude-3-haiku-20240307-v1:0", geographies=(EU, APAC), on_demand_regions=US.regions
        ),
    )
}
