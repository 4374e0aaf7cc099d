"""The glue that keeps a knowledge base in sync with its documents bucket, by itself.

    S3 object created/deleted under the prefix
      -> EventBridge rule (the bucket sends all its events to EventBridge)
      -> SQS queue (KMS, dead-letter queue)
      -> Lambda in the VPC (lambdas/kb_ingestion): starts ingestion jobs, partial batch responses

EventBridge rather than an S3 notification: the bucket lives in the data stack, and a
notification to a queue in this stack would make each stack depend on the other.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import AppConfig
from infra.constructs.encryption import allow_service
from infra.constructs.vpc_function import PythonFunctionInVpc
from infra.policy import acknowledge, acknowledge_cross_stack_reference

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
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        documents_bucket: s3.IBucket,
        documents_key: kms.IKey,
        logs_key: kms.IKey,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        knowledge_base_id: str,
        knowledge_base_arn: str,
        data_source_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)

        # EventBridge encrypts what it sends to a KMS-encrypted queue with that key.
        allow_service(
            documents_key,
            sid="AllowEventBridgeRulesOfThisAccountToQueueDocumentEvents",
            service="events.amazonaws.com",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            source_arn=f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/*",
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=documents_key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            # Marks it as a dead-letter queue (Control Tower CT.SQS.PR.1). "byQueue" would have to
            # name the source queue, whose redrive policy names this one: a reference cycle.
            redrive_allow_policy=sqs.RedriveAllowPolicy(redrive_permission=sqs.RedrivePermission.ALLOW_ALL),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=documents_key,
            enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )
        for queue in (self.queue, self.dead_letter_queue):
            acknowledge_cross_stack_reference(
                queue,
                "sqs_queue_encrypted_check",
                property_name="KmsMasterKeyId (the documents key)",
                source=cdk.Stack.of(documents_key),
            )
        # The rule targets the queues through references that carry no key: given the queue itself,
        # the CDK would also grant EventBridge kms:Encrypt, GenerateDataKey* and ReEncrypt* on the
        # documents key. The key statement above is the only KMS grant EventBridge gets, and the
        # queue policies below admit this rule alone.
        self.rule = events.Rule(
            self,
            "DocumentChanges",
            description="Objects created or deleted under the knowledge base's documents prefix",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created", "Object Deleted"],
                detail={
                    "bucket": {"name": [documents_bucket.bucket_name]},
                    "object": {"key": [{"prefix": config.documents_prefix}]},
                },
            ),
            targets=[
                targets.SqsQueue(
                    sqs.Queue.from_queue_arn(self, "QueueTarget", self.queue.queue_arn),
                    dead_letter_queue=sqs.Queue.from_queue_arn(
                        self, "DeadLetterTarget", self.dead_letter_queue.queue_arn
                    ),
                )
            ],
        )
        cdk.Annotations.of(self.rule).acknowledge_warning(
            "@aws-cdk/aws-events:ruleUnresolvedEnvironment",
            "The target references are this stack's own queues, by an ARN token that hides their "
            "(same) account and region from the CDK; the rule and queues deploy together.",
        )
        for queue in (self.queue, self.dead_letter_queue):
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="DocumentChangesRuleOnly",
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sqs:SendMessage"],
                    resources=[queue.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": self.rule.rule_arn}},
                )
            )

        self.function = PythonFunctionInVpc(
            self,
            "Function",
            config=config,
            package="kb_ingestion",
            description="Starts knowledge-base ingestion for queued document changes",
            timeout=FUNCTION_TIMEOUT,
            reserved_concurrency=MAX_CONCURRENCY,
            vpc=vpc,
            subnets=subnets,
            logs_key=logs_key,
            environment={
                "KNOWLEDGE_BASE_ID": knowledge_base_id,
                "DATA_SOURCE_ID": data_source_id,
                "DOCUMENTS_BUCKET": documents_bucket.bucket_name,
                "DOCUMENTS_PREFIX": config.documents_prefix,
                "POWERTOOLS_SERVICE_NAME": "kb-ingestion",
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
            statements=[
                iam.PolicyStatement(
                    sid="KnowledgeBaseIngestionJobs",
                    actions=["bedrock:StartIngestionJob", "bedrock:ListIngestionJobs"],
                    resources=[knowledge_base_arn],
                ),
                iam.PolicyStatement(
                    sid="ConsumeDocumentEvents",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[self.queue.queue_arn],
                ),
                iam.PolicyStatement(
                    sid="DecryptDocumentEvents",
                    actions=["kms:Decrypt"],
                    resources=[documents_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"sqs.{stack.region}.amazonaws.com"}},
                ),
            ],
        )
        self.function.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCHING_WINDOW,
                max_concurrency=MAX_CONCURRENCY,
                report_batch_item_failures=True,
            )
        )
        acknowledge(
            self.function.function,
            "This function is invoked synchronously by an SQS event source mapping; a Lambda "
            "dead-letter queue applies only to asynchronous invocations. Messages it cannot process "
            "go to the queue's own dead-letter queue after MAX_RECEIVE_COUNT receives.",
            # The HIPAA and NIST packs have this rule; PCI DSS does not.
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
        )
