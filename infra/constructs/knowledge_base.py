"""A Bedrock knowledge base over one prefix of an S3 bucket: its service role and policy, the
knowledge base, and its S3 data source, over any `VectorStore` (vector_store.py).

Callers use its attributes and grants, never its L1 resources:

    knowledge_base.grant_retrieve(policy)        # bedrock:Retrieve
    knowledge_base.grant_start_ingestion(policy) # start and list ingestion jobs of the data source
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.vector_store import VectorStore
from infra.policy import acknowledge, nag_arn

_Configuration = bedrock.CfnDataSource.ChunkingConfigurationProperty


@dataclass(frozen=True)
class FixedSizeChunking:
    """Chunks of about `max_tokens`, each overlapping the previous by `overlap_percentage`."""

    max_tokens: int
    overlap_percentage: int

    def configuration(self) -> _Configuration:
        return _Configuration(
            chunking_strategy="FIXED_SIZE",
            fixed_size_chunking_configuration=bedrock.CfnDataSource.FixedSizeChunkingConfigurationProperty(
                max_tokens=self.max_tokens, overlap_percentage=self.overlap_percentage
            ),
        )


@dataclass(frozen=True)
class HierarchicalChunking:
    """Small child chunks are matched; their larger parent chunk is what retrieval returns."""

    parent_max_tokens: int
    child_max_tokens: int
    overlap_tokens: int

    def configuration(self) -> _Configuration:
        level = bedrock.CfnDataSource.HierarchicalChunkingLevelConfigurationProperty
        return _Configuration(
            chunking_strategy="HIERARCHICAL",
            hierarchical_chunking_configuration=bedrock.CfnDataSource.HierarchicalChunkingConfigurationProperty(
                # Exactly two levels, parent first (bedrock-agent API).
                level_configurations=[
                    level(max_tokens=self.parent_max_tokens),
                    level(max_tokens=self.child_max_tokens),
                ],
                overlap_tokens=self.overlap_tokens,
            ),
        )


@dataclass(frozen=True)
class SemanticChunking:
    """Chunks split where the meaning changes (embedding distance between groups of sentences)."""

    max_tokens: int
    buffer_size: int
    breakpoint_percentile_threshold: int

    def configuration(self) -> _Configuration:
        return _Configuration(
            chunking_strategy="SEMANTIC",
            semantic_chunking_configuration=bedrock.CfnDataSource.SemanticChunkingConfigurationProperty(
                max_tokens=self.max_tokens,
                buffer_size=self.buffer_size,
                breakpoint_percentile_threshold=self.breakpoint_percentile_threshold,
            ),
        )


@dataclass(frozen=True)
class NoChunking:
    """Each document is one chunk (documents already split, or short)."""

    def configuration(self) -> _Configuration:
        return _Configuration(chunking_strategy="NONE")


# How the data source splits documents before embedding them: one of the strategies above.
Chunking = FixedSizeChunking | HierarchicalChunking | SemanticChunking | NoChunking


class KnowledgeBase(Construct):
    """A vector knowledge base of the objects under `documents_prefix` in `documents_bucket`,
    embedded with the Bedrock foundation model `embedding_model_id` into `dimensions`-long vectors
    kept in `vector_store`, chunked by `chunking`.

    - The service role is trusted only by Bedrock acting for a knowledge base of this account; its
      managed policy allows the embedding model, listing and reading the prefix, the documents key
      (through S3, and for ingestion's transient data), and what `vector_store` grants.
    - The data source encrypts ingestion's transient data with `documents_key`, and deletes its
      vectors when it is deleted, so the index never answers from documents that no longer exist.

    Attributes: `knowledge_base_id`, `knowledge_base_arn`, `data_source_id`, `role`, `policy`,
    `embedding_model_arn`, `documents_bucket`, `documents_prefix`, `documents_key`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        knowledge_base_name: str,
        description: str,
        embedding_model_id: str,
        dimensions: int,
        vector_store: VectorStore,
        documents_bucket: s3.IBucket,
        documents_prefix: str,
        documents_key: kms.IKey,
        chunking: Chunking,
        data_source_name: str = "documents",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.documents_bucket = documents_bucket
        self.documents_prefix = documents_prefix
        self.documents_key = documents_key
        self.embedding_model_arn = (
            f"arn:{stack.partition}:bedrock:{stack.region}::foundation-model/{embedding_model_id}"
        )

        self.role = iam.Role(
            self,
            "KnowledgeBaseRole",
            description="Bedrock knowledge base: read documents, embed, write vectors",
            assumed_by=iam.ServicePrincipal(
                "bedrock.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(service="bedrock", resource="knowledge-base/*")
                    },
                },
            ),
        )
        self.policy = self._service_policy()
        vector_store.grant_knowledge_base(self.role, self.policy)

        self._knowledge_base = bedrock.CfnKnowledgeBase(
            self,
            "KnowledgeBase",
            name=knowledge_base_name,
            description=description,
            role_arn=self.role.role_arn,
            knowledge_base_configuration=bedrock.CfnKnowledgeBase.KnowledgeBaseConfigurationProperty(
                type="VECTOR",
                vector_knowledge_base_configuration=bedrock.CfnKnowledgeBase.VectorKnowledgeBaseConfigurationProperty(
                    embedding_model_arn=self.embedding_model_arn,
                    embedding_model_configuration=bedrock.CfnKnowledgeBase.EmbeddingModelConfigurationProperty(
                        bedrock_embedding_model_configuration=bedrock.CfnKnowledgeBase.BedrockEmbeddingModelConfigurationProperty(
                            dimensions=dimensions, embedding_data_type="FLOAT32"
                        )
                    ),
                ),
            ),
            storage_configuration=vector_store.storage_configuration(),
        )
        # Bedrock validates the role, and the index, when it creates the knowledge base.
        self._knowledge_base.node.add_dependency(self.policy)
        for resource in vector_store.storage_dependencies():
            self._knowledge_base.add_resource_dependency(resource)

        self._data_source = bedrock.CfnDataSource(
            self,
            "DocumentsDataSource",
            name=data_source_name,
            knowledge_base_id=self.knowledge_base_id,
            data_deletion_policy="DELETE",
            # Ingestion keeps chunks in transient storage while it works; encrypt them too.
            server_side_encryption_configuration=bedrock.CfnDataSource.ServerSideEncryptionConfigurationProperty(
                kms_key_arn=documents_key.key_arn
            ),
            data_source_configuration=bedrock.CfnDataSource.DataSourceConfigurationProperty(
                type="S3",
                s3_configuration=bedrock.CfnDataSource.S3DataSourceConfigurationProperty(
                    bucket_arn=documents_bucket.bucket_arn, inclusion_prefixes=[documents_prefix]
                ),
            ),
            vector_ingestion_configuration=bedrock.CfnDataSource.VectorIngestionConfigurationProperty(
                chunking_configuration=chunking.configuration()
            ),
        )

    @property
    def knowledge_base_id(self) -> str:
        return self._knowledge_base.attr_knowledge_base_id

    @property
    def knowledge_base_arn(self) -> str:
        return self._knowledge_base.attr_knowledge_base_arn

    @property
    def data_source_id(self) -> str:
        return self._data_source.attr_data_source_id

    def grant_retrieve(self, policy: iam.ManagedPolicy) -> None:
        """Query the knowledge base (bedrock-agent-runtime Retrieve). Bedrock embeds the query and
        reads the vector store as the knowledge base's own role, so the caller needs no more."""
        policy.add_statements(
            iam.PolicyStatement(
                sid="RetrieveFromTheKnowledgeBase",
                actions=["bedrock:Retrieve"],
                resources=[self.knowledge_base_arn],
            )
        )

    def grant_list_ingestion_jobs(self, policy: iam.ManagedPolicy) -> None:
        """See the knowledge base's ingestion jobs and how they ended (ListIngestionJobs)."""
        policy.add_statements(
            iam.PolicyStatement(
                sid="ListKnowledgeBaseIngestionJobs",
                actions=["bedrock:ListIngestionJobs"],
                resources=[self.knowledge_base_arn],
            )
        )

    def grant_start_ingestion(self, policy: iam.ManagedPolicy) -> None:
        """Start ingestion jobs, and list them to see whether a running job already covers a
        change. Both authorize the knowledge base ARN (Service Authorization Reference for Bedrock);
        Bedrock reads the documents and writes the vectors as the knowledge base's role."""
        policy.add_statements(
            iam.PolicyStatement(
                sid="KnowledgeBaseIngestionJobs",
                actions=["bedrock:StartIngestionJob", "bedrock:ListIngestionJobs"],
                resources=[self.knowledge_base_arn],
            )
        )

    def _service_policy(self) -> iam.ManagedPolicy:
        """Allowed only what ingestion and retrieval use; the vector store adds its own."""
        key = self.documents_key.key_arn
        region = cdk.Stack.of(self).region
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
        policy = iam.ManagedPolicy(
            self,
            "KnowledgeBasePolicy",
            description="What the knowledge base's ingestion and retrieval use, and nothing else",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="EmbedWithTheConfiguredModel",
                    actions=["bedrock:InvokeModel"],
                    resources=[self.embedding_model_arn],
                ),
                iam.PolicyStatement(
                    sid="ListTheDocumentsPrefix",
                    actions=["s3:ListBucket"],
                    resources=[self.documents_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{self.documents_prefix}*"]}},
                ),
                iam.PolicyStatement(
                    sid="ReadTheDocuments",
                    actions=["s3:GetObject"],
                    resources=[self.documents_bucket.arn_for_objects(f"{self.documents_prefix}*")],
                ),
                iam.PolicyStatement(
                    sid="DecryptTheDocuments", actions=["kms:Decrypt"], resources=[key], conditions=via_s3
                ),
                # The Bedrock User Guide's statement for transient ingestion data ("Encryption of
                # transient data storage during data ingestion"): the key, no condition. Bedrock
                # documents neither a kms:ViaService nor an encryption context for this use, and a
                # condition it does not meet would fail every ingestion job.
                iam.PolicyStatement(
                    sid="EncryptTransientIngestionData",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[key],
                ),
            ],
        )
        # cdk-nag names the finding after the ARN as written: known here for a bucket named by its
        # name; a bucket of another stack's output has no such name yet, and its app acknowledges it.
        documents = nag_arn(self.documents_bucket.arn_for_objects(self.documents_prefix))
        if not cdk.Token.is_unresolved(documents):
            acknowledge(
                policy,
                "The knowledge base reads every object under the documents prefix, whose names are "
                "not known at deploy time; the wildcard is limited to that prefix of that bucket.",
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{documents}*]",
            )
        return policy
