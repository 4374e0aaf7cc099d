"""The VectorStore protocol: a KnowledgeBase over either store gets that store's storage
configuration, its statements (KMS included where the store needs it), and its dependencies."""

from __future__ import annotations

import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from infra.constructs.knowledge_base import FixedSizeChunking, KnowledgeBase
from infra.constructs.opensearch_vector_store import OpenSearchServerlessVectorStore
from infra.constructs.s3_vector_store import S3VectorStore
from infra.constructs.vector_store import VectorStore
from tests.infra.constructs.conftest import statements_of, template_of


def s3_vectors(stack: cdk.Stack, key: kms.IKey) -> VectorStore:
    return S3VectorStore(stack, "Store", dimensions=256, key=key, removal_policy=cdk.RemovalPolicy.DESTROY)


def opensearch(stack: cdk.Stack, key: kms.IKey) -> VectorStore:
    return OpenSearchServerlessVectorStore(
        stack,
        "Store",
        collection_name="under-test",
        dimensions=256,
        key=key,
        standby_replicas=False,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


# Per store: its storage type, the statements it adds to the knowledge base's policy, and whether
# the knowledge base must wait for its index explicitly (it names the index only by name).
STORES = {
    "s3_vectors": (s3_vectors, "S3_VECTORS", ["VectorIndexReadWrite", "EncryptVectors"], False),
    "opensearch": (opensearch, "OPENSEARCH_SERVERLESS", ["VectorCollectionAccess"], True),
}


def knowledge_base_over(
    stack: cdk.Stack, store: VectorStore, bucket: s3.IBucket, key: kms.IKey
) -> KnowledgeBase:
    return KnowledgeBase(
        stack,
        "Docs",
        knowledge_base_name="docs",
        description="Documents under test",
        embedding_model_id="amazon.titan-embed-text-v2:0",
        dimensions=256,
        vector_store=store,
        documents_bucket=bucket,
        documents_prefix="docs/",
        documents_key=key,
        chunking=FixedSizeChunking(max_tokens=300, overlap_percentage=20),
    )


@pytest.mark.parametrize("kind", STORES)
def test_each_store_is_a_vector_store(stack: cdk.Stack, key: kms.Key, kind: str) -> None:
    make = STORES[kind][0]
    assert isinstance(make(stack, key), VectorStore)


@pytest.mark.parametrize("kind", STORES)
def test_the_knowledge_base_takes_the_stores_storage_statements_and_dependencies(
    stack: cdk.Stack, key: kms.Key, bucket: s3.Bucket, kind: str
) -> None:
    make, storage_type, store_sids, waits_for_index = STORES[kind]
    store: Callable = make(stack, key)
    knowledge_base_over(stack, store, bucket, key)
    template = template_of(stack)
    [(_, kb)] = template.find_resources("AWS::Bedrock::KnowledgeBase").items()
    assert kb["Properties"]["StorageConfiguration"]["Type"] == storage_type
    sids = [s["Sid"] for s in statements_of(template)]
    assert sids[-len(store_sids) :] == store_sids
    assert ("EncryptVectors" in sids) == (kind == "s3_vectors")
    index = stack.get_logical_id(store.index)
    assert (index in kb["DependsOn"]) == waits_for_index


def test_the_s3_store_lets_the_role_use_the_key_only_through_s3_vectors(
    stack: cdk.Stack, key: kms.Key, bucket: s3.Bucket
) -> None:
    knowledge_base_over(stack, s3_vectors(stack, key), bucket, key)
    [statement] = [s for s in statements_of(template_of(stack)) if s["Sid"] == "EncryptVectors"]
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3vectors.us-east-1.amazonaws.com"}}
    assert "FnGetAttKey" in json.dumps(statement["Resource"])


def test_the_opensearch_store_names_the_knowledge_base_role_in_its_data_access_policy(
    stack: cdk.Stack, key: kms.Key, bucket: s3.Bucket
) -> None:
    knowledge_base = knowledge_base_over(stack, opensearch(stack, key), bucket, key)
    [access] = template_of(stack).find_resources("AWS::OpenSearchServerless::AccessPolicy").values()
    _, variables = access["Properties"]["Policy"]["Fn::Sub"]
    assert variables["ReaderWriter"] == stack.resolve(knowledge_base.role.role_arn)
