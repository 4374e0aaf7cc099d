"""Amazon OpenSearch Serverless as a Bedrock knowledge base's vector store: hybrid (keyword and
vector) search, for about $175 a month while idle.

OpenSearch Serverless bills OpenSearch Compute Units by the hour whether or not anyone queries:
at least 2 (indexing and search) without standby replicas, twice that with them. Choose it only
where hybrid search is worth that; S3 Vectors is the default.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

# Collection names are 3-32 characters; the policy names add "-data", and must stay within 32 too.
MAX_COLLECTION_NAME_LENGTH = 32 - len("-data")
# The field names Bedrock's own OpenSearch Serverless setup uses; the knowledge base maps to them.
INDEX_NAME = "bedrock-knowledge-base-default-index"
VECTOR_FIELD = "bedrock-knowledge-base-default-vector"
TEXT_FIELD = "AMAZON_BEDROCK_TEXT_CHUNK"
METADATA_FIELD = "AMAZON_BEDROCK_METADATA"


class OpenSearchServerlessVectorStore(Construct):
    """A vector-search collection, its three policies, and the index the knowledge base writes: a
    `VectorStore` for `KnowledgeBase`.

    - Encryption policy: the documents key, as for every other copy of the documents' content.
    - Network policy: the collection endpoint accepts requests from outside a VPC, because
      CloudFormation creates the index (AWS::OpenSearchServerless::Index) through that endpoint.
      Every request still needs SigV4 credentials of a principal in the data access policy.
    - Data access policy: the knowledge base role (reads and writes documents of the index; named
      by `grant_knowledge_base`) and the CDK's CloudFormation execution role (creates the index),
      nobody else.

    `standby_replicas` keeps a replica in another Availability Zone, for availability, at twice
    the idle cost. Attributes: `collection` and `index` (the L1 resources), `collection_arn`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        collection_name: str,
        dimensions: int,
        key: kms.IKey,
        standby_replicas: bool,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        if (
            not 3 <= len(collection_name) <= MAX_COLLECTION_NAME_LENGTH
            or collection_name != collection_name.lower()
        ):
            raise ValueError(
                f"collection_name {collection_name!r}: 3 to {MAX_COLLECTION_NAME_LENGTH} lowercase characters"
            )
        stack = cdk.Stack.of(self)
        name = collection_name
        self._readers_writers: list[iam.IRole] = []
        collection_rule = {"ResourceType": "collection", "Resource": [f"collection/{name}"]}

        encryption = aoss.CfnSecurityPolicy(
            self,
            "EncryptionPolicy",
            name=f"{name}-enc",  # policy names: at most 32 characters
            type="encryption",
            policy=cdk.Fn.sub(
                json.dumps({"Rules": [collection_rule], "AWSOwnedKey": False, "KmsARN": "${KeyArn}"}),
                {"KeyArn": key.key_arn},
            ),
        )
        network = aoss.CfnSecurityPolicy(
            self,
            "NetworkPolicy",
            name=f"{name}-net",
            type="network",
            policy=json.dumps([{"Rules": [collection_rule], "AllowFromPublic": True}]),
        )
        self.collection = aoss.CfnCollection(
            self,
            "Collection",
            name=name,
            type="VECTORSEARCH",
            description="Vectors of the knowledge base's documents",
            standby_replicas="ENABLED" if standby_replicas else "DISABLED",
        )
        self.collection.add_resource_dependency(encryption)
        self.collection.add_resource_dependency(network)
        self.collection.apply_removal_policy(removal_policy)

        # The CDK's CloudFormation execution role, which creates the index.
        self._deployer = (
            f"arn:{stack.partition}:iam::{stack.account}:role/"
            f"cdk-{cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER}-cfn-exec-role-{stack.account}-{stack.region}"
        )
        self._access = aoss.CfnAccessPolicy(
            self, "DataAccessPolicy", name=f"{name}-data", type="data", policy=self._data_access_policy()
        )
        self.index = aoss.CfnIndex(
            self,
            "Index",
            collection_endpoint=self.collection.attr_collection_endpoint,
            index_name=INDEX_NAME,
            settings=aoss.CfnIndex.IndexSettingsProperty(index=aoss.CfnIndex.IndexProperty(knn=True)),
            mappings=aoss.CfnIndex.MappingsProperty(
                properties={
                    VECTOR_FIELD: aoss.CfnIndex.PropertyMappingProperty(
                        type="knn_vector",
                        dimension=dimensions,
                        method=aoss.CfnIndex.MethodProperty(name="hnsw", engine="faiss", space_type="l2"),
                    ),
                    TEXT_FIELD: aoss.CfnIndex.PropertyMappingProperty(type="text", index=True),
                    # Bedrock's own bookkeeping, returned with results but never searched.
                    METADATA_FIELD: aoss.CfnIndex.PropertyMappingProperty(type="text", index=False),
                }
            ),
        )
        self.index.add_resource_dependency(self._access)

    def _data_access_policy(self) -> str:
        """The collection's and its indexes' data permissions, for the roles granted so far and the
        deployer (who creates the index)."""
        name = self.collection.name
        principals = {f"ReaderWriter{n or ''}": r.role_arn for n, r in enumerate(self._readers_writers)}
        principals["Deployer"] = self._deployer
        rules = [
            {
                "ResourceType": "collection",
                "Resource": [f"collection/{name}"],
                "Permission": ["aoss:DescribeCollectionItems", "aoss:CreateCollectionItems"],
            },
            {
                "ResourceType": "index",
                "Resource": [f"index/{name}/*"],
                "Permission": [
                    "aoss:CreateIndex",
                    "aoss:DescribeIndex",
                    "aoss:UpdateIndex",
                    "aoss:ReadDocument",
                    "aoss:WriteDocument",
                ],
            },
        ]
        principal_variables = [f"${{{variable}}}" for variable in principals]
        return cdk.Fn.sub(json.dumps([{"Rules": rules, "Principal": principal_variables}]), principals)

    @property
    def collection_arn(self) -> str:
        return self.collection.attr_arn

    def storage_configuration(self) -> bedrock.CfnKnowledgeBase.StorageConfigurationProperty:
        return bedrock.CfnKnowledgeBase.StorageConfigurationProperty(
            type="OPENSEARCH_SERVERLESS",
            opensearch_serverless_configuration=bedrock.CfnKnowledgeBase.OpenSearchServerlessConfigurationProperty(
                collection_arn=self.collection_arn,
                vector_index_name=INDEX_NAME,
                field_mapping=bedrock.CfnKnowledgeBase.OpenSearchServerlessFieldMappingProperty(
                    vector_field=VECTOR_FIELD, text_field=TEXT_FIELD, metadata_field=METADATA_FIELD
                ),
            ),
        )

    def storage_dependencies(self) -> Sequence[cdk.CfnResource]:
        # The knowledge base names the index only by name: CloudFormation must be told to wait.
        return [self.index]

    def grant_knowledge_base(self, role: iam.IRole, policy: iam.ManagedPolicy) -> None:
        """IAM's half of access to the collection goes to `policy`; the data access policy, the
        other half, names `role`. No KMS statement: OpenSearch Serverless uses the key through
        grants of its own, not with the caller's permissions."""
        self._readers_writers.append(role)
        self._access.policy = self._data_access_policy()
        policy.add_statements(
            iam.PolicyStatement(
                sid="VectorCollectionAccess",
                actions=["aoss:APIAccessAll"],
                resources=[self.collection_arn],
            )
        )
