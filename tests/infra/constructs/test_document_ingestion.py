"""DocumentIngestion: document events of a knowledge base's prefix, queued, and a function in the
VPC that starts ingestion jobs for them."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from infra.constructs.document_ingestion import (
    BATCH_SIZE,
    MAX_CONCURRENCY,
    MAX_RECEIVE_COUNT,
    METRICS_NAMESPACE,
    DocumentIngestion,
)
from infra.constructs.knowledge_base import FixedSizeChunking, KnowledgeBase
from infra.constructs.log_group import LogSettings
from infra.constructs.object_event_queue import ObjectEventQueue
from infra.constructs.observability import observables_in
from infra.constructs.s3_vector_store import S3VectorStore
from tests.infra.constructs.conftest import statement_with_sid, template_of

ENDPOINTS = ec2.Peer.ipv4("10.0.0.0/16")


@pytest.fixture
def knowledge_base(stack: cdk.Stack, key: kms.Key) -> KnowledgeBase:
    store = S3VectorStore(stack, "Store", dimensions=256, key=key, removal_policy=cdk.RemovalPolicy.DESTROY)
    return KnowledgeBase(
        stack,
        "Docs",
        knowledge_base_name="docs",
        description="Documents under test",
        embedding_model_id="amazon.titan-embed-text-v2:0",
        dimensions=256,
        vector_store=store,
        documents_bucket=s3.Bucket.from_bucket_name(stack, "Named", "docs-bucket"),
        documents_prefix="docs/",
        documents_key=key,
        chunking=FixedSizeChunking(max_tokens=300, overlap_percentage=20),
    )


def ingestion_in(
    stack: cdk.Stack,
    knowledge_base: KnowledgeBase,
    vpc: ec2.Vpc,
    log_settings: LogSettings,
    *,
    reserve_concurrency: bool = False,
) -> DocumentIngestion:
    return DocumentIngestion(
        stack,
        "Ingestion",
        knowledge_base=knowledge_base,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_group_name="Workloads"),
        interface_endpoints=ENDPOINTS,
        log_settings=log_settings,
        reserve_concurrency=reserve_concurrency,
    )


@pytest.fixture
def ingestion(
    stack: cdk.Stack, knowledge_base: KnowledgeBase, vpc: ec2.Vpc, log_settings: LogSettings
) -> DocumentIngestion:
    return ingestion_in(stack, knowledge_base, vpc, log_settings)


def test_created_and_deleted_documents_of_the_prefix_reach_the_queue(
    stack: cdk.Stack, ingestion: DocumentIngestion
) -> None:
    template = template_of(stack)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created", "Object Deleted"],
                "detail": {"bucket": {"name": ["docs-bucket"]}, "object": {"key": [{"prefix": "docs/"}]}},
            }
        },
    )
    queue = template.find_resources("AWS::SQS::Queue")[
        stack.get_logical_id(ingestion.queue.node.default_child)
    ]
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * 60  # six times the function timeout


def test_the_function_is_fed_in_batches_with_partial_batch_responses(
    stack: cdk.Stack, ingestion: DocumentIngestion
) -> None:
    template_of(stack).has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {
                "Fn::GetAtt": [stack.get_logical_id(ingestion.queue.node.default_child), "Arn"]
            },
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": BATCH_SIZE,
            "MaximumBatchingWindowInSeconds": 60,
            "ScalingConfig": {"MaximumConcurrency": MAX_CONCURRENCY},
        },
    )


def test_the_function_knows_its_knowledge_base_data_source_and_documents(
    stack: cdk.Stack, knowledge_base: KnowledgeBase, ingestion: DocumentIngestion
) -> None:
    [function] = template_of(stack).find_resources("AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["KNOWLEDGE_BASE_ID"] == stack.resolve(knowledge_base.knowledge_base_id)
    assert variables["DATA_SOURCE_ID"] == stack.resolve(knowledge_base.data_source_id)
    assert (variables["DOCUMENTS_BUCKET"], variables["DOCUMENTS_PREFIX"]) == ("docs-bucket", "docs/")
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE
    assert function["Properties"]["Handler"] == "kb_ingestion.handler.lambda_handler"


def test_the_function_may_start_and_list_ingestion_jobs_and_consume_its_queue(
    stack: cdk.Stack, knowledge_base: KnowledgeBase, ingestion: DocumentIngestion
) -> None:
    template = template_of(stack)
    jobs = statement_with_sid(template, "KnowledgeBaseIngestionJobs")
    assert sorted(jobs["Action"]) == ["bedrock:ListIngestionJobs", "bedrock:StartIngestionJob"]
    assert jobs["Resource"] == stack.resolve(knowledge_base.knowledge_base_arn)
    assert statement_with_sid(template, "ConsumeObjectEvents")["Resource"] == stack.resolve(
        ingestion.queue.queue_arn
    )
    statement_with_sid(template, "DecryptObjectEvents")
    template.resource_count_is("AWS::IAM::Policy", 0)  # nothing inline


def test_the_function_speaks_https_to_the_interface_endpoints_only(
    stack: cdk.Stack, ingestion: DocumentIngestion
) -> None:
    [group] = template_of(stack).find_resources("AWS::EC2::SecurityGroup").values()
    assert [
        (r["CidrIp"], r["FromPort"], r["ToPort"]) for r in group["Properties"]["SecurityGroupEgress"]
    ] == [("10.0.0.0/16", 443, 443)]


@pytest.mark.parametrize(("reserve", "expected"), [(True, MAX_CONCURRENCY), (False, None)])
def test_reserved_concurrency_is_a_choice(
    stack: cdk.Stack,
    knowledge_base: KnowledgeBase,
    vpc: ec2.Vpc,
    log_settings: LogSettings,
    reserve: bool,
    expected: int | None,
) -> None:
    ingestion_in(stack, knowledge_base, vpc, log_settings, reserve_concurrency=reserve)
    [function] = template_of(stack).find_resources("AWS::Lambda::Function").values()
    assert function["Properties"].get("ReservedConcurrentExecutions") == expected


def test_its_queues_are_found_by_the_platforms_alarms(stack: cdk.Stack, ingestion: DocumentIngestion) -> None:
    queues = [o for o in observables_in([stack]) if isinstance(o, ObjectEventQueue)]
    assert queues == [ingestion.events]
    assert ingestion.dead_letter_queue is ingestion.events.dead_letter_queue
