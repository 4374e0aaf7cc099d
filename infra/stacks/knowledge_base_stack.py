"""KnowledgeBaseStack: retrieval-augmented generation over the documents bucket."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import config as settings
from infra.config import DeploymentSection, KnowledgeBaseSection
from infra.constructs.document_ingestion import DocumentIngestion
from infra.constructs.knowledge_base import (
    Chunking,
    FixedSizeChunking,
    HierarchicalChunking,
    KnowledgeBase,
    NoChunking,
    SemanticChunking,
)
from infra.constructs.model_invocation_logging import ModelInvocationLogging
from infra.constructs.opensearch_vector_store import OpenSearchServerlessVectorStore
from infra.constructs.s3_vector_store import S3VectorStore
from infra.constructs.sample_corpus import SampleCorpus
from infra.constructs.vector_store import VectorStore
from infra.stacks.base import PlatformStack
from infra.stacks.data_stack import DataStack
from infra.stacks.network_stack import NetworkStack


class KnowledgeBaseStack(PlatformStack):
    """A Bedrock knowledge base that costs almost nothing while idle and keeps itself in sync.

    Documents uploaded under `documents_prefix` of the documents bucket are chunked (strategy
    by config), embedded with `embedding_model_id`, and stored as vectors in Amazon S3 Vectors:
    storage and queries are all it costs. `vector_store=opensearch_serverless` puts them in an
    OpenSearch Serverless collection instead, for hybrid search, at about $175 a month with
    nobody using it. Uploads and deletions reach the index without anyone starting a sync: see
    DocumentIngestion.

    Attributes other stacks use: knowledge_base (a KnowledgeBase: knowledge_base_id,
    knowledge_base_arn, data_source_id, grant_retrieve, grant_list_ingestion_jobs).
    """

    def __init__(
        self,
        scope: Construct,
        *,
        deployment: DeploymentSection,
        knowledge_base: KnowledgeBaseSection,
        data: DataStack,
        network: NetworkStack,
    ) -> None:
        super().__init__(
            scope,
            "KnowledgeBase",
            deployment=deployment,
            description="Bedrock knowledge base over the documents bucket, S3 Vectors, ingestion glue",
        )
        # The documents bucket by its name (infra/naming.py), not by a reference to the data stack's
        # outputs: its policies name it as every stack does, and cdk-nag can read their ARNs.
        documents = s3.Bucket.from_bucket_attributes(
            self,
            "DocumentsBucket",
            bucket_name=self.names.bucket("documents"),
            bucket_arn=self.names.bucket_arn("documents"),
        )
        # The vector store, encrypted with the documents key: vectors are the documents' content.
        self.vector_store = self._vector_store(knowledge_base, data)

        # "Default" is the construct ID that logical IDs leave out: the role, its policy, the knowledge
        # base and its data source keep the logical IDs they had as children of this stack, so a
        # deploy updates them in place (a new logical ID would replace the knowledge base).
        self.knowledge_base = KnowledgeBase(
            self,
            "Default",
            knowledge_base_name=self.names.resource("documents"),
            description="Platform documentation and runbooks, from the documents bucket",
            embedding_model_id=knowledge_base.embedding_model_id,
            dimensions=knowledge_base.vector_dimensions,
            vector_store=self.vector_store,
            documents_bucket=documents,
            documents_prefix=knowledge_base.documents_prefix,
            documents_key=data.documents_key,
            chunking=chunking(knowledge_base.chunking),
        )

        # The ingestion glue runs in the VPC and calls the Bedrock agent API (StartIngestionJob,
        # ListIngestionJobs) through PrivateLink. SQS reaches it by the event source mapping,
        # outside the VPC, so no SQS endpoint is needed.
        network.interface_endpoints.require(ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT)
        self.ingestion = DocumentIngestion(
            self,
            "Ingestion",
            knowledge_base=self.knowledge_base,
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            interface_endpoints=network.interface_endpoints.peer,
            log_settings=self.log_settings(data.logs_key),
            reserve_concurrency=deployment.reserve_lambda_concurrency,
        )

        # Something to ask about right after the first deploy; its upload goes through the glue
        # like any other, so it must exist first.
        if knowledge_base.sample_corpus:
            self.sample_corpus = SampleCorpus(
                self,
                "SampleCorpus",
                documents_bucket=documents,
                documents_key=data.documents_key,
                documents_prefix=knowledge_base.documents_prefix,
                log_settings=self.log_settings(data.logs_key),
                retain_on_delete=deployment.is_production,
                reserve_concurrency=deployment.reserve_lambda_concurrency,
            )
            self.sample_corpus.deployment.node.add_dependency(self.ingestion)

        # What a user calls after a deploy (make smoke reads these).
        cdk.CfnOutput(self, "KnowledgeBaseId", value=self.knowledge_base.knowledge_base_id)
        cdk.CfnOutput(self, "DataSourceId", value=self.knowledge_base.data_source_id)
        cdk.CfnOutput(
            self,
            "DocumentsUri",
            value=f"s3://{documents.bucket_name}/{knowledge_base.documents_prefix}",
            description="Put documents here; the knowledge base ingests them by itself",
        )

        # Who asked which model what, and what it answered: an account-and-region-wide setting (see
        # ModelInvocationLogging), on unless the account manages it elsewhere.
        if knowledge_base.invocation_logging:
            self.invocation_logging = ModelInvocationLogging(
                self,
                "ModelInvocationLogging",
                log_settings=self.log_settings(data.logs_key),
                large_payload_bucket=data.access_logs_bucket,
                reserve_concurrency=deployment.reserve_lambda_concurrency,
            )

    def _vector_store(self, knowledge_base: KnowledgeBaseSection, data: DataStack) -> VectorStore:
        if knowledge_base.vector_store == "s3_vectors":
            return S3VectorStore(
                self,
                "VectorStore",
                dimensions=knowledge_base.vector_dimensions,
                key=data.documents_key,
                removal_policy=self.deployment.data_removal_policy,
            )
        return OpenSearchServerlessVectorStore(
            self,
            "VectorStore",
            collection_name=self.names.resource(lowercase=True),
            dimensions=knowledge_base.vector_dimensions,
            key=data.documents_key,
            # A replica in another AZ doubles the idle cost; prod keeps one for availability.
            standby_replicas=self.deployment.is_production,
            removal_policy=self.deployment.data_removal_policy,
        )


def chunking(section: settings.Chunking) -> Chunking:
    """The construct's chunking for the configured strategy (the same fields, without the config)."""
    if isinstance(section, settings.FixedSizeChunking):
        return FixedSizeChunking(max_tokens=section.max_tokens, overlap_percentage=section.overlap_percentage)
    if isinstance(section, settings.HierarchicalChunking):
        return HierarchicalChunking(
            parent_max_tokens=section.parent_max_tokens,
            child_max_tokens=section.child_max_tokens,
            overlap_tokens=section.overlap_tokens,
        )
    if isinstance(section, settings.SemanticChunking):
        return SemanticChunking(
            max_tokens=section.max_tokens,
            buffer_size=section.buffer_size,
            breakpoint_percentile_threshold=section.breakpoint_percentile_threshold,
        )
    return NoChunking()
