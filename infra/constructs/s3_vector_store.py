"""Amazon S3 Vectors as a Bedrock knowledge base's vector store: nothing to pay while idle
(storage and queries only), no cluster, no minimum."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3vectors as s3vectors
from constructs import Construct, IConstruct

from infra.constructs.encryption import add_where_owned, service_statement

# Bedrock writes each chunk's text and its own metadata into these keys. Filterable metadata is
# limited to 2 KB per vector, and a chunk's text alone can exceed it, so ingestion fails unless
# both are declared non-filterable when the index is created (the setting cannot be changed).
BEDROCK_NON_FILTERABLE_KEYS = ("AMAZON_BEDROCK_TEXT", "AMAZON_BEDROCK_METADATA")


class S3VectorStore(Construct):
    """A vector bucket and one index, both encrypted with `key`: a `VectorStore` for `KnowledgeBase`.

    The index's dimension is the embedding model's; its distance metric is cosine, the one Bedrock
    knowledge bases use for S3 Vectors.

    S3 Vectors indexes in the background as its own service principal, so `key`'s policy must hold
    `S3VectorStore.indexing_key_statement(key)`. The construct adds it when `key` is a key its own
    stack creates; a key of another stack, or an imported one, is its owner's to open (the platform's
    data stack holds it).

    Attributes: `bucket` and `index` (the L1 resources), `index_arn`, `key`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dimensions: int,
        key: kms.IKey,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        # Typed property classes, not dicts: jsii drops a dict's snake_case keys without a word.
        self.bucket = s3vectors.CfnVectorBucket(
            self,
            "VectorBucket",
            encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
                sse_type="aws:kms", kms_key_arn=key.key_arn
            ),
        )
        self.index = s3vectors.CfnIndex(
            self,
            "Index",
            vector_bucket_arn=self.bucket.attr_vector_bucket_arn,
            data_type="float32",
            dimension=dimensions,
            distance_metric="cosine",
            encryption_configuration=s3vectors.CfnIndex.EncryptionConfigurationProperty(
                sse_type="aws:kms", kms_key_arn=key.key_arn
            ),
            metadata_configuration=s3vectors.CfnIndex.MetadataConfigurationProperty(
                non_filterable_metadata_keys=list(BEDROCK_NON_FILTERABLE_KEYS)
            ),
        )
        for resource in (self.bucket, self.index):
            resource.apply_removal_policy(removal_policy)

        add_where_owned(self, key, [self.indexing_key_statement(key)])

    @staticmethod
    def indexing_key_statement(scope: IConstruct) -> iam.PolicyStatement:
        """What the key of every vector store of this account and region must allow: S3 Vectors
        maintains and optimizes indexes in the background as its own service principal; without
        this statement it fails with "Insufficient access to perform asynchronous indexing" (Amazon
        S3 User Guide, S3 Vectors data encryption). `scope` is the key, or any construct of its
        stack: the statement names that stack's account and region."""
        stack = cdk.Stack.of(scope)
        return service_statement(
            sid="AllowS3VectorsIndexingOfThisAccount",
            service="indexing.s3vectors.amazonaws.com",
            actions=["kms:Decrypt"],
            account=stack.account,
            source_arn=f"arn:{stack.partition}:s3vectors:{stack.region}:{stack.account}:bucket/*",
        )

    @property
    def index_arn(self) -> str:
        return self.index.attr_index_arn

    def storage_configuration(self) -> bedrock.CfnKnowledgeBase.StorageConfigurationProperty:
        return bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
            type="S3_VECTORS",
            s3_vectors_configuration=bedrock.CfnKnowledgeBase.S3VectorsConfigurationProperty(
                vector_bucket_arn=self.bucket.attr_vector_bucket_arn, index_arn=self.index_arn
            ),
        )

    def storage_dependencies(self) -> Sequence[cdk.CfnResource]:
        # The knowledge base names the index by ARN: CloudFormation waits for it already.
        return []

    def grant_knowledge_base(self, role: iam.IRole, policy: iam.ManagedPolicy) -> None:
        """Read and write vectors of this index, no more, and on nothing else. S3 Vectors encrypts
        and decrypts with the caller's key permissions, so the key is granted too, through S3
        Vectors only. (`role` needs nothing beyond `policy` here.)"""
        region = cdk.Stack.of(self).region
        policy.add_statements(
            iam.PolicyStatement(
                sid="VectorIndexReadWrite",
                actions=[
                    "s3vectors:GetIndex",
                    "s3vectors:PutVectors",
                    "s3vectors:GetVectors",
                    "s3vectors:DeleteVectors",
                    "s3vectors:QueryVectors",
                ],
                resources=[self.index_arn],
            ),
            iam.PolicyStatement(
                sid="EncryptVectors",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3vectors.{region}.amazonaws.com"}},
            ),
        )
