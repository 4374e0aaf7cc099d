"""KnowledgeBase: its role and policy, the knowledge base, its data source, chunking, and grants."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match

from infra.constructs.knowledge_base import (
    Chunking,
    FixedSizeChunking,
    HierarchicalChunking,
    KnowledgeBase,
    NoChunking,
    SemanticChunking,
)
from infra.constructs.s3_vector_store import S3VectorStore
from tests.infra.constructs.conftest import statement_with_sid, statements_of, template_of

MODEL = "amazon.titan-embed-text-v2:0"


def knowledge_base_in(
    stack: cdk.Stack, bucket: s3.IBucket, key: kms.IKey, chunking: Chunking | None = None
) -> KnowledgeBase:
    store = S3VectorStore(stack, "Store", dimensions=512, key=key, removal_policy=cdk.RemovalPolicy.DESTROY)
    return KnowledgeBase(
        stack,
        "Docs",
        knowledge_base_name="docs-under-test",
        description="Documents under test",
        embedding_model_id=MODEL,
        dimensions=512,
        vector_store=store,
        documents_bucket=bucket,
        documents_prefix="docs/",
        documents_key=key,
        chunking=chunking or FixedSizeChunking(max_tokens=300, overlap_percentage=20),
    )


@pytest.fixture
def named_bucket(stack: cdk.Stack) -> s3.IBucket:
    """A bucket by name, as the platform's stacks import the data buckets."""
    return s3.Bucket.from_bucket_name(stack, "Named", "docs-bucket")


@pytest.fixture
def knowledge_base(stack: cdk.Stack, named_bucket: s3.IBucket, key: kms.Key) -> KnowledgeBase:
    return knowledge_base_in(stack, named_bucket, key)


def logical_id(construct: object) -> str:
    return cdk.Stack.of(construct).get_logical_id(construct.node.default_child)


def test_the_role_is_trusted_only_by_bedrock_for_knowledge_bases_of_this_account(
    stack: cdk.Stack, knowledge_base: KnowledgeBase
) -> None:
    template_of(stack).has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "bedrock.amazonaws.com"},
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": "111122223333"},
                            "ArnLike": {
                                "aws:SourceArn": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            ":bedrock:us-east-1:111122223333:knowledge-base/*",
                                        ],
                                    ]
                                }
                            },
                        },
                    }
                ]
            }
        },
    )


def test_the_policy_allows_the_model_the_prefix_and_the_documents_key_only(
    stack: cdk.Stack, knowledge_base: KnowledgeBase, key: kms.Key
) -> None:
    template = template_of(stack)
    embed = statement_with_sid(template, "EmbedWithTheConfiguredModel")
    assert embed["Action"] == "bedrock:InvokeModel"
    assert f":bedrock:us-east-1::foundation-model/{MODEL}" in json.dumps(embed["Resource"])
    listing = statement_with_sid(template, "ListTheDocumentsPrefix")
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["docs/*"]}}
    assert ":s3:::docs-bucket/docs/*" in json.dumps(
        statement_with_sid(template, "ReadTheDocuments")["Resource"]
    )
    decrypt = statement_with_sid(template, "DecryptTheDocuments")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    transient = statement_with_sid(template, "EncryptTransientIngestionData")
    assert sorted(transient["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "Condition" not in transient
    assert all(s["Resource"] != "*" for s in statements_of(template))
    for sid in ("DecryptTheDocuments", "EncryptTransientIngestionData"):
        assert "FnGetAttKey" in json.dumps(statement_with_sid(template, sid)["Resource"])  # the shared key
    # One managed policy on the role; nothing inline.
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy", {"Roles": [{"Ref": logical_id(knowledge_base.role)}]}
    )
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_the_vector_store_adds_its_own_statements_after_the_knowledge_bases(
    stack: cdk.Stack, knowledge_base: KnowledgeBase
) -> None:
    sids = [s["Sid"] for s in statements_of(template_of(stack))]
    assert sids == [
        "EmbedWithTheConfiguredModel",
        "ListTheDocumentsPrefix",
        "ReadTheDocuments",
        "DecryptTheDocuments",
        "EncryptTransientIngestionData",
        "VectorIndexReadWrite",
        "EncryptVectors",
    ]


def test_the_knowledge_base_embeds_into_the_store_and_waits_for_its_policy(
    stack: cdk.Stack, knowledge_base: KnowledgeBase
) -> None:
    template = template_of(stack)
    [(_, resource)] = template.find_resources("AWS::Bedrock::KnowledgeBase").items()
    properties = resource["Properties"]
    assert properties["Name"] == "docs-under-test"
    assert properties["RoleArn"] == {"Fn::GetAtt": [logical_id(knowledge_base.role), "Arn"]}
    embedding = properties["KnowledgeBaseConfiguration"]["VectorKnowledgeBaseConfiguration"]
    assert embedding["EmbeddingModelConfiguration"]["BedrockEmbeddingModelConfiguration"] == {
        "Dimensions": 512,
        "EmbeddingDataType": "FLOAT32",
    }
    assert properties["StorageConfiguration"]["Type"] == "S3_VECTORS"
    assert resource["DependsOn"] == [logical_id(knowledge_base.policy)]


def test_the_data_source_reads_the_prefix_encrypts_transient_data_and_deletes_its_vectors(
    stack: cdk.Stack, knowledge_base: KnowledgeBase, key: kms.Key
) -> None:
    template_of(stack).has_resource_properties(
        "AWS::Bedrock::DataSource",
        {
            "Name": "documents",
            "KnowledgeBaseId": {
                "Fn::GetAtt": [Match.string_like_regexp("DocsKnowledgeBase"), "KnowledgeBaseId"]
            },
            "DataDeletionPolicy": "DELETE",
            "ServerSideEncryptionConfiguration": {"KmsKeyArn": Match.any_value()},
            "DataSourceConfiguration": {
                "Type": "S3",
                "S3Configuration": {"BucketArn": Match.any_value(), "InclusionPrefixes": ["docs/"]},
            },
        },
    )


@pytest.mark.parametrize(
    ("chunking", "rendered"),
    [
        (
            FixedSizeChunking(max_tokens=300, overlap_percentage=20),
            {
                "ChunkingStrategy": "FIXED_SIZE",
                "FixedSizeChunkingConfiguration": {"MaxTokens": 300, "OverlapPercentage": 20},
            },
        ),
        (
            HierarchicalChunking(parent_max_tokens=1500, child_max_tokens=300, overlap_tokens=60),
            {
                "ChunkingStrategy": "HIERARCHICAL",
                "HierarchicalChunkingConfiguration": {
                    "LevelConfigurations": [{"MaxTokens": 1500}, {"MaxTokens": 300}],
                    "OverlapTokens": 60,
                },
            },
        ),
        (
            SemanticChunking(max_tokens=400, buffer_size=1, breakpoint_percentile_threshold=90),
            {
                "ChunkingStrategy": "SEMANTIC",
                "SemanticChunkingConfiguration": {
                    "MaxTokens": 400,
                    "BufferSize": 1,
                    "BreakpointPercentileThreshold": 90,
                },
            },
        ),
        (NoChunking(), {"ChunkingStrategy": "NONE"}),
    ],
)
def test_each_chunking_strategy_renders_only_its_own_settings(
    stack: cdk.Stack, named_bucket: s3.IBucket, key: kms.Key, chunking: Chunking, rendered: dict
) -> None:
    knowledge_base_in(stack, named_bucket, key, chunking)
    [source] = template_of(stack).find_resources("AWS::Bedrock::DataSource").values()
    assert source["Properties"]["VectorIngestionConfiguration"] == {"ChunkingConfiguration": rendered}


def test_the_attributes_are_the_knowledge_base_and_data_source_of_the_template(
    stack: cdk.Stack, knowledge_base: KnowledgeBase
) -> None:
    resolve = stack.resolve
    kb_id = resolve(knowledge_base.knowledge_base_id)["Fn::GetAtt"]
    assert kb_id[1] == "KnowledgeBaseId"
    assert resolve(knowledge_base.knowledge_base_arn) == {"Fn::GetAtt": [kb_id[0], "KnowledgeBaseArn"]}
    data_source = resolve(knowledge_base.data_source_id)["Fn::GetAtt"]
    assert data_source[1] == "DataSourceId"
    assert template_of(stack).to_json()["Resources"][data_source[0]]["Type"] == "AWS::Bedrock::DataSource"


@pytest.fixture
def caller(stack: cdk.Stack) -> iam.ManagedPolicy:
    """The policy of a role in another construct, where a grant must land (roles here are
    `without_policy_updates()`, so a grant to the role itself would be dropped)."""
    return iam.ManagedPolicy(stack, "Caller", statements=[])


@pytest.mark.parametrize(
    ("grant", "sid", "actions"),
    [
        ("grant_retrieve", "RetrieveFromTheKnowledgeBase", "bedrock:Retrieve"),
        ("grant_list_ingestion_jobs", "ListKnowledgeBaseIngestionJobs", "bedrock:ListIngestionJobs"),
        (
            "grant_start_ingestion",
            "KnowledgeBaseIngestionJobs",
            ["bedrock:ListIngestionJobs", "bedrock:StartIngestionJob"],
        ),
    ],
)
def test_each_grant_adds_its_statement_on_the_knowledge_base_to_the_given_policy(
    stack: cdk.Stack, knowledge_base: KnowledgeBase, caller: iam.ManagedPolicy, grant: str, sid: str, actions
) -> None:
    getattr(knowledge_base, grant)(caller)
    template = template_of(stack)
    [policy] = [
        p
        for logical, p in template.find_resources("AWS::IAM::ManagedPolicy").items()
        if logical.startswith("Caller")
    ]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Sid"] == sid
    assert (
        sorted(statement["Action"]) == actions
        if isinstance(actions, list)
        else statement["Action"] == actions
    )
    assert statement["Resource"] == stack.resolve(knowledge_base.knowledge_base_arn)
