"""KnowledgeBaseStack: the vector store, the knowledge base, its role, and the ingestion glue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import load_config
from infra.constructs.document_ingestion import BATCH_SIZE, MAX_CONCURRENCY, MAX_RECEIVE_COUNT
from infra.constructs.knowledge_base import (
    FixedSizeChunking,
    HierarchicalChunking,
    KnowledgeBase,
    NoChunking,
    SemanticChunking,
)
from infra.constructs.s3_vector_store import BEDROCK_NON_FILTERABLE_KEYS
from infra.constructs.sample_corpus import CORPUS
from infra.constructs.vpc_function import LAMBDAS, POWERTOOLS_LAYER, POWERTOOLS_LAYER_VERSION
from infra.stacks.knowledge_base_stack import chunking
from tests.conftest import Synth, cdk_context, synthesize


@pytest.fixture(scope="session")
def smaller_vectors(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """A second knowledge-base variant: other dimensions and chunking; invocation logging and the
    sample corpus off."""
    return synthesize(
        tmp_path_factory.mktemp("kb-512"),
        embedding_dimensions="512",
        chunking_strategy="hierarchical",
        invocation_logging="false",
        sample_corpus="false",
    )


def one(synth: Synth, resource_type: str) -> dict:
    [resource] = synth.resources(synth.platform.knowledge_base, resource_type).values()
    return resource["Properties"]


def glue_function(synth: Synth) -> dict:
    functions = synth.resources(synth.platform.knowledge_base, "AWS::Lambda::Function").values()
    [function] = [
        f["Properties"]
        for f in functions
        if f["Properties"]["Handler"] == "kb_ingestion.handler.lambda_handler"
    ]
    return function


def test_index_dimension_is_the_models_and_bedrock_text_is_not_filterable(dev: Synth) -> None:
    index = one(dev, "AWS::S3Vectors::Index")
    assert (index["Dimension"], index["DataType"], index["DistanceMetric"]) == (1024, "float32", "cosine")
    assert set(BEDROCK_NON_FILTERABLE_KEYS) <= set(
        index["MetadataConfiguration"]["NonFilterableMetadataKeys"]
    )
    assert "AMAZON_BEDROCK_TEXT" in index["MetadataConfiguration"]["NonFilterableMetadataKeys"]
    embedding = one(dev, "AWS::Bedrock::KnowledgeBase")["KnowledgeBaseConfiguration"][
        "VectorKnowledgeBaseConfiguration"
    ]
    dimensions = embedding["EmbeddingModelConfiguration"]["BedrockEmbeddingModelConfiguration"]["Dimensions"]
    assert dimensions == index["Dimension"]
    assert (
        embedding["EmbeddingModelArn"]
        == "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
    )


def test_a_chosen_dimension_reaches_both_the_index_and_the_knowledge_base(smaller_vectors: Synth) -> None:
    index = one(smaller_vectors, "AWS::S3Vectors::Index")
    configuration = one(smaller_vectors, "AWS::Bedrock::KnowledgeBase")["KnowledgeBaseConfiguration"]
    model = configuration["VectorKnowledgeBaseConfiguration"]["EmbeddingModelConfiguration"]
    assert index["Dimension"] == model["BedrockEmbeddingModelConfiguration"]["Dimensions"] == 512
    chunking_configuration = one(smaller_vectors, "AWS::Bedrock::DataSource")["VectorIngestionConfiguration"][
        "ChunkingConfiguration"
    ]
    assert chunking_configuration == {
        "ChunkingStrategy": "HIERARCHICAL",
        "HierarchicalChunkingConfiguration": {
            "LevelConfigurations": [{"MaxTokens": 1500}, {"MaxTokens": 300}],
            "OverlapTokens": 60,
        },
    }


def test_vectors_are_encrypted_with_the_documents_key(dev: Synth) -> None:
    for resource_type in ("AWS::S3Vectors::VectorBucket", "AWS::S3Vectors::Index"):
        encryption = one(dev, resource_type)["EncryptionConfiguration"]
        assert encryption["SseType"] == "aws:kms"
        assert "DocumentsKey" in json.dumps(encryption["KmsKeyArn"])


def test_the_data_source_reads_the_prefix_and_deletes_its_vectors_with_it(dev: Synth) -> None:
    source = one(dev, "AWS::Bedrock::DataSource")
    assert source["DataDeletionPolicy"] == "DELETE"
    assert source["DataSourceConfiguration"]["S3Configuration"]["InclusionPrefixes"] == ["documents/"]
    assert "DocumentsKey" in json.dumps(source["ServerSideEncryptionConfiguration"])
    assert source["VectorIngestionConfiguration"]["ChunkingConfiguration"] == {
        "ChunkingStrategy": "FIXED_SIZE",
        "FixedSizeChunkingConfiguration": {"MaxTokens": 300, "OverlapPercentage": 20},
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, FixedSizeChunking(max_tokens=300, overlap_percentage=20)),
        ({"chunking_strategy": "none"}, NoChunking()),
        (
            {"chunking_strategy": "hierarchical", "hierarchical_overlap_tokens": "50"},
            HierarchicalChunking(parent_max_tokens=1500, child_max_tokens=300, overlap_tokens=50),
        ),
        (
            {"chunking_strategy": "semantic", "semantic_buffer_size": "1"},
            SemanticChunking(max_tokens=300, buffer_size=1, breakpoint_percentile_threshold=95),
        ),
    ],
)
def test_each_chunking_strategy_reaches_the_knowledge_base_with_its_own_settings(
    overrides: dict, expected: object
) -> None:
    """The stack turns the configuration into the construct's typed chunking (its rendering is
    tested with the construct: tests/infra/constructs/test_knowledge_base.py)."""
    assert chunking(load_config(cdk_context(**overrides)).knowledge_base.chunking) == expected


def test_the_stack_names_the_documents_bucket_instead_of_referencing_the_data_stack(dev: Synth) -> None:
    """The knowledge base stack imports the documents bucket by its name (infra/naming.py): the data
    source, the event rule and the corpus name it as the policies always did, and no output of the
    data stack for that bucket is needed (the data stack's template no longer has one)."""
    kb_template = json.dumps(dev.templates[dev.platform.knowledge_base.stack_name])
    data_outputs = dev.templates[dev.platform.data.stack_name].get("Outputs", {})
    assert not [name for name in data_outputs if "DocumentsBucket" in name]
    assert "DocumentsBucket" not in kb_template
    source = one(dev, "AWS::Bedrock::DataSource")["DataSourceConfiguration"]["S3Configuration"]
    assert source["BucketArn"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":s3:::genaiplatform-dev-documents-",
                {"Ref": "AWS::AccountId"},
                "-us-east-1",
            ],
        ]
    }


def test_the_knowledge_base_keeps_its_logical_ids(dev: Synth) -> None:
    """The KnowledgeBase construct has the ID that logical IDs leave out: the knowledge base, its
    data source, role and policy keep the logical IDs they had as the stack's own children, so a
    deploy updates them in place instead of replacing the knowledge base."""
    kb = dev.platform.knowledge_base
    assert isinstance(kb.knowledge_base, KnowledgeBase)
    resources = dev.templates[kb.stack_name]["Resources"]
    assert resources["KnowledgeBase"]["Type"] == "AWS::Bedrock::KnowledgeBase"
    assert resources["DocumentsDataSource"]["Type"] == "AWS::Bedrock::DataSource"
    assert resources["KnowledgeBaseRoleA2B317B9"]["Type"] == "AWS::IAM::Role"
    assert resources["KnowledgeBasePolicyC27E5132"]["Type"] == "AWS::IAM::ManagedPolicy"
    queues = {
        "IngestionQueue8DED9A6F",
        "IngestionDeadLetterQueueEB97306D",
        "IngestionDocumentChanges2185D091",
    }
    assert queues <= set(resources)
    # The corpus upload: a new logical ID would upload the corpus anew and then, deleting the old
    # resource, remove the same prefix (aws-cdk s3-deployment README, "Retain on Delete").
    corpus = resources["SampleCorpusDeploymentCustomResource256MiB4FA30FAE"]
    assert corpus["Type"] == "Custom::CDKBucketDeployment"


def knowledge_base_role(synth: Synth) -> tuple[dict, list[dict]]:
    kb = synth.platform.knowledge_base
    role_id = kb.get_logical_id(kb.knowledge_base.role.node.default_child)
    role = synth.resources(kb, "AWS::IAM::Role")[role_id]["Properties"]
    policy = next(
        p["Properties"]
        for p in synth.resources(kb, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    )
    return role, policy["PolicyDocument"]["Statement"]


def test_the_service_role_trusts_only_bedrock_for_this_accounts_knowledge_bases(dev: Synth) -> None:
    role, _ = knowledge_base_role(dev)
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":knowledge-base/*" in json.dumps(trust["Condition"]["ArnLike"]["aws:SourceArn"])


def test_the_service_role_is_scoped_to_the_model_the_prefix_the_key_and_the_index(dev: Synth) -> None:
    _, statements = knowledge_base_role(dev)
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["EmbedWithTheConfiguredModel"]["Action"] == "bedrock:InvokeModel"
    assert "foundation-model/amazon.titan-embed-text-v2:0" in json.dumps(
        by_sid["EmbedWithTheConfiguredModel"]["Resource"]
    )
    assert json.dumps(by_sid["ReadTheDocuments"]["Resource"]).endswith('-us-east-1/documents/*"]]}')
    assert by_sid["ListTheDocumentsPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["documents/*"]}}
    assert by_sid["DecryptTheDocuments"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    index_id = dev.platform.knowledge_base.get_logical_id(dev.platform.knowledge_base.vector_store.index)
    assert by_sid["VectorIndexReadWrite"]["Resource"] == {"Fn::GetAtt": [index_id, "IndexArn"]}
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(action != "*" and not action.endswith(":*") for action in actions), statement
        assert statement["Resource"] != "*", statement


def test_document_events_reach_an_encrypted_queue_with_a_dead_letter_queue(dev: Synth) -> None:
    kb = dev.platform.knowledge_base
    queues = dev.resources(kb, "AWS::SQS::Queue")
    assert len(queues) == 2
    for queue in queues.values():
        assert "DocumentsKey" in json.dumps(queue["Properties"]["KmsMasterKeyId"])
    main = next(q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"])
    assert main["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT
    assert main["VisibilityTimeout"] >= 6 * 60  # at least six times the function timeout
    rule = one(dev, "AWS::Events::Rule")
    assert rule["EventPattern"]["detail-type"] == ["Object Created", "Object Deleted"]
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "documents/"}]}
    [target] = rule["Targets"]
    assert "DeadLetterConfig" in target


def test_the_glue_function_runs_in_the_vpc_with_bounded_concurrency(dev: Synth, prod: Synth) -> None:
    function = glue_function(dev)
    assert function["Runtime"] == "python3.14"
    assert function["Handler"] == "kb_ingestion.handler.lambda_handler"
    # Reserved in prod; in dev (reserve_lambda_concurrency off) the event source mapping bounds it.
    assert "ReservedConcurrentExecutions" not in function
    assert glue_function(prod)["ReservedConcurrentExecutions"] == MAX_CONCURRENCY
    assert len(function["VpcConfig"]["SubnetIds"]) == dev.config.network.az_count
    assert function["Layers"] == [
        f"arn:aws:lambda:us-east-1:017000801446:layer:{POWERTOOLS_LAYER}:{POWERTOOLS_LAYER_VERSION}"
    ]
    assert set(function["Environment"]["Variables"]) >= {
        "KNOWLEDGE_BASE_ID",
        "DATA_SOURCE_ID",
        "DOCUMENTS_PREFIX",
    }
    mapping = one(dev, "AWS::Lambda::EventSourceMapping")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": MAX_CONCURRENCY}
    assert mapping["BatchSize"] == BATCH_SIZE


def test_the_glue_function_may_only_speak_https_inside_the_vpc(dev: Synth) -> None:
    groups = dev.resources(dev.platform.knowledge_base, "AWS::EC2::SecurityGroup").values()
    [group] = [g["Properties"] for g in groups]
    assert [(r["CidrIp"], r["FromPort"], r["ToPort"]) for r in group["SecurityGroupEgress"]] == [
        ("10.40.0.0/16", 443, 443)
    ]
    assert "SecurityGroupIngress" not in group


def test_the_function_asset_holds_only_its_own_package(dev: Synth) -> None:
    function = glue_function(dev)
    asset_hash = function["Code"]["S3Key"].removesuffix(".zip")
    files = sorted(
        p.relative_to(dev.outdir / f"asset.{asset_hash}").as_posix()
        for p in (dev.outdir / f"asset.{asset_hash}").rglob("*")
        if p.is_file()
    )
    package = sorted(
        p.relative_to(LAMBDAS).as_posix()
        for p in (LAMBDAS / "kb_ingestion").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert files == package
    assert "kb_ingestion/handler.py" in files


def test_invocation_logging_is_set_by_our_handler_behind_the_provider_framework(dev: Synth) -> None:
    kb = dev.platform.knowledge_base
    logging = one(dev, "Custom::BedrockModelInvocationLogging")
    log_group = kb.get_logical_id(kb.invocation_logging.log_group.node.default_child)
    config = logging["LoggingConfig"]
    assert config["cloudWatchConfig"]["logGroupName"] == {"Ref": log_group}
    assert config["cloudWatchConfig"]["roleArn"]["Fn::GetAtt"][0].startswith(
        "ModelInvocationLoggingDeliveryRole"
    )
    assert config["cloudWatchConfig"]["largeDataDeliveryS3Config"]["keyPrefix"] == "bedrock-invocations"
    assert (config["textDataDeliveryEnabled"], config["embeddingDataDeliveryEnabled"]) == (True, False)
    # The framework invokes our handler, which reads the setting before it writes or deletes it.
    functions = dev.resources(kb, "AWS::Lambda::Function").values()
    [handler] = [
        f for f in functions if f["Properties"]["Handler"] == "invocation_logging.handler.lambda_handler"
    ]
    assert handler["Properties"]["Timeout"] == 300
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in dev.resources(kb, "AWS::IAM::ManagedPolicy").values()
    ]
    [calls] = [
        s
        for statements in policies
        for s in statements
        if s.get("Sid") == "ModelInvocationLoggingConfiguration"
    ]
    assert calls["Action"] == [
        "bedrock:DeleteModelInvocationLoggingConfiguration",
        "bedrock:GetModelInvocationLoggingConfiguration",
        "bedrock:PutModelInvocationLoggingConfiguration",
    ]


def test_bedrock_writes_invocation_logs_only_for_this_account(dev: Synth) -> None:
    kb = dev.platform.knowledge_base
    roles = [
        r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        for r in dev.resources(kb, "AWS::IAM::Role").values()
        if r["Properties"].get("Description") == "Bedrock writes model invocation logs"
    ]
    [trust] = roles
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    # ... and the access-log bucket admits Bedrock's large payloads under its prefix only.
    policies = dev.resources(dev.platform.data, "AWS::S3::BucketPolicy").values()
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    [bedrock] = [s for s in statements if s.get("Sid") == "BedrockModelInvocationLogsOfThisAccount"]
    assert bedrock["Action"] == "s3:PutObject"
    assert "bedrock-invocations/AWSLogs/" in json.dumps(bedrock["Resource"])
    assert set(bedrock["Condition"]) == {"StringEquals", "ArnLike"}


def test_invocation_logging_can_be_left_to_the_account(smaller_vectors: Synth) -> None:
    kb = smaller_vectors.platform.knowledge_base
    assert smaller_vectors.resources(kb, "Custom::BedrockModelInvocationLogging") == {}
    functions = smaller_vectors.resources(kb, "AWS::Lambda::Function").values()
    assert [f["Properties"]["Handler"] for f in functions] == ["kb_ingestion.handler.lambda_handler"]


def test_the_sample_corpus_lands_under_the_documents_prefix_after_the_glue_exists(dev: Synth) -> None:
    kb = dev.platform.knowledge_base
    [deployment] = dev.resources(kb, "Custom::CDKBucketDeployment").values()
    properties = deployment["Properties"]
    # Under the data source's prefix: its upload raises the events that trigger the first ingestion.
    assert properties["DestinationBucketKeyPrefix"] == "documents/platform-guide/"
    assert properties["Prune"] is True
    assert properties["RetainOnDelete"] is False  # dev: destroyed with the stack
    glue = kb.ingestion
    for construct in (glue.function.function, glue.rule, glue.queue):
        assert kb.get_logical_id(construct.node.default_child) in deployment["DependsOn"], construct.node.path
    [asset_key] = properties["SourceObjectKeys"]
    asset = dev.outdir / f"asset.{asset_key.removesuffix('.zip')}"
    assert sorted(p.name for p in asset.iterdir()) == sorted(p.name for p in CORPUS.iterdir())


def test_the_sample_corpus_is_optional(smaller_vectors: Synth) -> None:
    assert (
        smaller_vectors.resources(smaller_vectors.platform.knowledge_base, "Custom::CDKBucketDeployment")
        == {}
    )


def test_opensearch_serverless_collection_is_encrypted_with_the_documents_key(opensearch: Synth) -> None:
    kb = opensearch.platform.knowledge_base
    collection = one(opensearch, "AWS::OpenSearchServerless::Collection")
    assert (collection["Type"], collection["StandbyReplicas"]) == ("VECTORSEARCH", "DISABLED")
    policies = {
        p["Properties"]["Type"]: p["Properties"]
        for p in opensearch.resources(kb, "AWS::OpenSearchServerless::SecurityPolicy").values()
    }
    template, variables = policies["encryption"]["Policy"]["Fn::Sub"]
    assert json.loads(template) == {
        "Rules": [{"ResourceType": "collection", "Resource": [f"collection/{collection['Name']}"]}],
        "AWSOwnedKey": False,
        "KmsARN": "${KeyArn}",
    }
    assert "DocumentsKey" in json.dumps(variables["KeyArn"])
    assert all(len(p["Name"]) <= 32 for p in policies.values())
    assert opensearch.resources(kb, "AWS::S3Vectors::Index") == {}


def test_the_opensearch_index_and_the_knowledge_base_agree(opensearch: Synth) -> None:
    kb = opensearch.platform.knowledge_base
    index = one(opensearch, "AWS::OpenSearchServerless::Index")
    storage = one(opensearch, "AWS::Bedrock::KnowledgeBase")["StorageConfiguration"]
    assert storage["Type"] == "OPENSEARCH_SERVERLESS"
    mapping = storage["OpensearchServerlessConfiguration"]["FieldMapping"]
    fields = index["Mappings"]["Properties"]
    assert fields[mapping["VectorField"]]["Type"] == "knn_vector"
    assert fields[mapping["VectorField"]]["Dimension"] == opensearch.config.knowledge_base.vector_dimensions
    assert fields[mapping["TextField"]] == {"Type": "text", "Index": True}
    assert fields[mapping["MetadataField"]] == {"Type": "text", "Index": False}
    assert storage["OpensearchServerlessConfiguration"]["VectorIndexName"] == index["IndexName"]
    [kb_resource] = opensearch.resources(kb, "AWS::Bedrock::KnowledgeBase").values()
    assert kb.get_logical_id(kb.vector_store.index) in kb_resource["DependsOn"]
    _, statements = knowledge_base_role(opensearch)
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["VectorCollectionAccess"]["Action"] == "aoss:APIAccessAll"
    assert "EncryptVectors" not in by_sid


def test_the_readme_states_the_lambda_concurrency_prod_reserves(prod: Synth) -> None:
    reserved = sum(
        function["Properties"].get("ReservedConcurrentExecutions", 0)
        for template in prod.templates.values()
        for function in template["Resources"].values()
        if function["Type"] == "AWS::Lambda::Function"
    )
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"prod reserves {reserved} concurrent executions" in readme
    assert f"must be at least {100 + reserved}" in readme
