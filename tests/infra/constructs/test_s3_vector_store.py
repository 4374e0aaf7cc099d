"""S3VectorStore: a vector bucket and an index for Bedrock, encrypted with the given key, and the
statement that key's owner adds for S3 Vectors' background indexing."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from infra.constructs.s3_vector_store import BEDROCK_NON_FILTERABLE_KEYS, S3VectorStore
from tests.infra.constructs.conftest import statement_with_sid, template_of


@pytest.fixture
def store(stack: cdk.Stack, key: kms.Key) -> S3VectorStore:
    return S3VectorStore(stack, "Store", dimensions=1024, key=key, removal_policy=cdk.RemovalPolicy.RETAIN)


def test_the_index_fits_bedrock_embeddings_and_keeps_bedrock_text_unfilterable(
    stack: cdk.Stack, store: S3VectorStore
) -> None:
    template_of(stack).has_resource_properties(
        "AWS::S3Vectors::Index",
        {
            "Dimension": 1024,
            "DataType": "float32",
            "DistanceMetric": "cosine",
            "MetadataConfiguration": {"NonFilterableMetadataKeys": list(BEDROCK_NON_FILTERABLE_KEYS)},
        },
    )


def test_bucket_and_index_are_encrypted_with_the_key_and_kept_per_the_removal_policy(
    stack: cdk.Stack, store: S3VectorStore
) -> None:
    template = template_of(stack)
    for resource_type in ("AWS::S3Vectors::VectorBucket", "AWS::S3Vectors::Index"):
        [resource] = template.find_resources(resource_type).values()
        encryption = resource["Properties"]["EncryptionConfiguration"]
        assert encryption["SseType"] == "aws:kms"
        assert "FnGetAttKey" in json.dumps(encryption["KmsKeyArn"])
        assert resource["DeletionPolicy"] == "Retain"


def test_the_keys_owner_lets_s3_vectors_of_this_account_index_in_the_background(stack: cdk.Stack) -> None:
    statement = stack.resolve(S3VectorStore.indexing_key_statement(stack).to_statement_json())
    assert statement == {
        "Sid": "AllowS3VectorsIndexingOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "indexing.s3vectors.amazonaws.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "111122223333"},
            "ArnLike": {
                "aws:SourceArn": {
                    "Fn::Join": [
                        "",
                        ["arn:", {"Ref": "AWS::Partition"}, ":s3vectors:us-east-1:111122223333:bucket/*"],
                    ]
                }
            },
        },
    }


def test_a_key_of_another_stack_is_left_to_its_owner(shared: cdk.Stack, store: S3VectorStore) -> None:
    [key] = Template.from_stack(shared).find_resources("AWS::KMS::Key").values()
    sids = [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert "AllowS3VectorsIndexingOfThisAccount" not in sids


def test_a_key_of_its_own_stack_gets_the_indexing_statement(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "OwnKey", enable_key_rotation=True)
    S3VectorStore(stack, "Store", dimensions=1024, key=key, removal_policy=cdk.RemovalPolicy.DESTROY)
    template_of(stack).has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowS3VectorsIndexingOfThisAccount",
                                "Principal": {"Service": "indexing.s3vectors.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_the_knowledge_base_grant_reads_and_writes_this_index_and_uses_the_key_through_s3_vectors(
    stack: cdk.Stack, store: S3VectorStore
) -> None:
    role = iam.Role(stack, "KbRole", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    store.grant_knowledge_base(role, iam.ManagedPolicy(stack, "KbPolicy", roles=[role]))
    template = template_of(stack)
    index = statement_with_sid(template, "VectorIndexReadWrite")
    assert sorted(index["Action"]) == [
        "s3vectors:DeleteVectors",
        "s3vectors:GetIndex",
        "s3vectors:GetVectors",
        "s3vectors:PutVectors",
        "s3vectors:QueryVectors",
    ]
    assert index["Resource"] == stack.resolve(store.index_arn)
    encrypt = statement_with_sid(template, "EncryptVectors")
    assert sorted(encrypt["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert encrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3vectors.us-east-1.amazonaws.com"}}


def test_the_knowledge_base_references_the_index_by_arn_and_needs_no_explicit_wait(
    stack: cdk.Stack, store: S3VectorStore
) -> None:
    configuration = stack.resolve(store.storage_configuration())
    assert configuration["type"] == "S3_VECTORS"
    assert configuration["s3VectorsConfiguration"]["indexArn"] == stack.resolve(store.index_arn)
    assert list(store.storage_dependencies()) == []
