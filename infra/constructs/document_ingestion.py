"""The glue that keeps a knowledge base in sync with its documents bucket, by itself.

S3 object created/deleted under the prefix
  -> EventBridge rule -> SQS queue (KMS, dead-letter queue)   (see object_event_queue.py)
  -> Lambda in the VPC (lambdas/kb_ingestion): starts ingestion jobs, partial batch responses
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra.constructs.knowledge_base import KnowledgeBase
from infra.constructs.log_group import LogSettings
from infra.constructs.object_event_queue import queue_object_events
from infra.constructs.vpc_function import PythonFunctionInVpc

FUNCTION_TIMEOUT = cdk.Duration.seconds(60)
# A message that waits for an ingestion job comes back after this long. AWS asks for at least six
# times the function timeout on a queue that feeds Lambda; 15 minutes also spaces the checks.
VISIBILITY_TIMEOUT = cdk.Duration.minutes(15)
# Receives before a message goes to the dead-letter queue: an unreadable one gets there after a
# few tries; a change whose covering job has not completed within ~75 minutes gets there too,
# for a person to look at (redriving it is safe: the glue is idempotent).
MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 100
# Collect a burst of uploads into few invocations, and so into few ingestion jobs.
BATCHING_WINDOW = cdk.Duration.seconds(60)
# Bedrock runs one ingestion job per data source at a time; two pollers are the minimum the
# SQS event source allows and plenty.
MAX_CONCURRENCY = 2
METRICS_NAMESPACE = "GenAiPlatform/KnowledgeBaseIngestion"


class DocumentIngestion(Construct):
    """Keeps `knowledge_base` in sync with its documents: every object created or deleted under its
    documents prefix is queued, and a function in `vpc_subnets` of `vpc` starts an ingestion job
    unless a running one already covers the change (lambdas/kb_ingestion).

    The function reaches the Bedrock agent API through the interface endpoints behind
    `interface_endpoints`; SQS reaches it by the event source mapping, outside the VPC. With
    `reserve_concurrency` it reserves `MAX_CONCURRENCY`; without, the event source mapping bounds it.

    Attributes: `events` (the ObjectEventQueue), `queue`, `dead_letter_queue`, `rule`, `function`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        knowledge_base: KnowledgeBase,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        interface_endpoints: ec2.IPeer,
        log_settings: LogSettings,
        reserve_concurrency: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        documents_bucket = knowledge_base.documents_bucket
        documents_prefix = knowledge_base.documents_prefix
        self.events = queue_object_events(
            self,
            rule_id="DocumentChanges",
            description="Objects created or deleted under the knowledge base's documents prefix",
            bucket_name=documents_bucket.bucket_name,
            prefix=documents_prefix,
            detail_types=["Object Created", "Object Deleted"],
            key=knowledge_base.documents_key,
            key_name="documents key",
            key_statement_sid="AllowEventBridgeToEncryptDocumentEventsForTheQueue",
            visibility_timeout=VISIBILITY_TIMEOUT,
            max_receive_count=MAX_RECEIVE_COUNT,
        )
        self.queue = self.events.queue
        self.dead_letter_queue = self.events.dead_letter_queue
        self.rule = self.events.rule

        self.function = PythonFunctionInVpc(
            self,
            "Function",
            reserve_concurrency=reserve_concurrency,
            interface_endpoints=interface_endpoints,
            package="kb_ingestion",
            description="Starts knowledge-base ingestion for queued document changes",
            timeout=FUNCTION_TIMEOUT,
            max_concurrency=MAX_CONCURRENCY,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            log_settings=log_settings,
            environment={
                "KNOWLEDGE_BASE_ID": knowledge_base.knowledge_base_id,
                "DATA_SOURCE_ID": knowledge_base.data_source_id,
                "DOCUMENTS_BUCKET": documents_bucket.bucket_name,
                "DOCUMENTS_PREFIX": documents_prefix,
                "POWERTOOLS_SERVICE_NAME": "kb-ingestion",
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
            statements=self.events.consumer_statements(),
        )
        knowledge_base.grant_start_ingestion(self.function.policy)
        self.events.feed(
            self.function.function,
            batch_size=BATCH_SIZE,
            batching_window=BATCHING_WINDOW,
            max_concurrency=MAX_CONCURRENCY,
        )
