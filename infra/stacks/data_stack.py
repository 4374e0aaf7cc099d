"""DataStack: the keys and buckets that every other stack keeps its data in."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import DeploymentSection
from infra.constructs.audit_trail import AuditTrail
from infra.constructs.encryption import allow_cloudwatch_logs, create_key
from infra.constructs.model_invocation_logging import ModelInvocationLogging
from infra.constructs.object_event_queue import ObjectEventQueue
from infra.constructs.s3_vector_store import S3VectorStore
from infra.constructs.secure_bucket import SecureBucket
from infra.constructs.security_alarms import SecurityAlarms
from infra.policy import accept_cdk_provider, acknowledge, in_compliance_packs
from infra.stacks.base import PlatformStack

# The key-policy statement IDs of EventBridge's delivery to the platform's two object-event queues.
DOCUMENT_EVENTS_SID = "AllowEventBridgeToEncryptDocumentEventsForTheQueue"
INBOX_EVENTS_SID = "AllowEventBridgeToEncryptInboxEventsForTheQueue"


@dataclass(frozen=True)
class ServiceAccess:
    """Which of the AWS services working for the later stacks use this stack's keys and buckets,
    where the configuration decides it (the others always do: `DataStack._allow_platform_services`).

    s3_vectors_indexing      the knowledge base keeps its vectors in S3 Vectors
    bedrock_invocation_logs  Bedrock model invocation logging is on (large payloads: access-log bucket)
    """

    s3_vectors_indexing: bool
    bedrock_invocation_logs: bool


class DataStack(PlatformStack):
    """Customer-managed keys, one per data domain, and the buckets encrypted with them.

    Attributes other stacks use (typed objects, not ARNs):
      documents_key, models_key, logs_key            kms.Key
      documents_bucket        knowledge-base source documents (documents_key)
      model_artifacts_bucket  model.tar.gz files that SageMaker loads (models_key)
      inference_bucket        async and batch inference input and output (models_key)
      access_logs_bucket      S3 server access logs of the buckets above (SSE-S3)

    The AWS services that work for the later stacks' constructs (S3 Vectors, EventBridge, Bedrock,
    CloudTrail, CloudWatch alarms) are let in to these keys and buckets here, from `service_access`
    and the deterministic names, not by those stacks: this stack's template is the same whether or
    not they exist, and it deploys first.
    """

    def __init__(
        self, scope: Construct, *, deployment: DeploymentSection, service_access: ServiceAccess
    ) -> None:
        super().__init__(
            scope,
            "Data",
            deployment=deployment,
            description="Customer-managed KMS keys and encrypted, private, logged S3 buckets",
        )
        removal = deployment.data_removal_policy

        # One key per data domain, so that access to one domain never implies access to another
        # and each can be audited, or disabled, on its own.
        self.documents_key = self._key("DocumentsKey", "documents", "Knowledge-base documents and vectors")
        self.models_key = self._key("ModelsKey", "models", "Model artifacts and inference input and output")
        self.logs_key = self._key("LogsKey", "logs", "CloudWatch log groups of the platform")
        allow_cloudwatch_logs(self.logs_key)

        # The server access logs of every other bucket, kept as long as the log groups are.
        access_logs = SecureBucket(
            self,
            "AccessLogs",
            bucket_name=self.names.bucket("access-logs"),
            purpose="server access log archive",
            encryption_key=None,
            server_access_logs_bucket=None,
            removal_policy=removal,
            expire_objects_after=cdk.Duration.days(deployment.log_retention_days),
        )
        self.access_logs_bucket = access_logs.bucket
        self._acknowledge_access_log_bucket(access_logs)

        self.documents_bucket = SecureBucket(
            self,
            "Documents",
            bucket_name=self.names.bucket("documents"),
            purpose="knowledge-base document set",
            encryption_key=self.documents_key,
            server_access_logs_bucket=self.access_logs_bucket,
            removal_policy=removal,
        ).bucket
        self.model_artifacts_bucket = SecureBucket(
            self,
            "ModelArtifacts",
            bucket_name=self.names.bucket("model-artifacts"),
            purpose="model artifact store",
            encryption_key=self.models_key,
            server_access_logs_bucket=self.access_logs_bucket,
            removal_policy=removal,
        ).bucket
        self.inference_bucket = SecureBucket(
            self,
            "Inference",
            bucket_name=self.names.bucket("inference"),
            purpose="inference input and output",
            encryption_key=self.models_key,
            server_access_logs_bucket=self.access_logs_bucket,
            removal_policy=removal,
        ).bucket

        self._allow_platform_services(service_access)

        if deployment.data_removal_policy == cdk.RemovalPolicy.DESTROY:
            accept_cdk_provider(
                self,
                "Custom::S3AutoDeleteObjectsCustomResourceProvider",
                "It empties this stack's buckets when a non-production stack is destroyed, calling "
                "only the S3 API; it never runs outside stack deletion and holds no data.",
            )

    def _allow_platform_services(self, access: ServiceAccess) -> None:
        """Who, besides this account's IAM principals, may use which key or bucket, and why.

        Every grantee is an AWS service principal, confined by `aws:SourceAccount` and `aws:SourceArn`
        to this account's resources by pattern or by deterministic name (the trail's), as each service
        documents: KMS and S3 refuse a policy naming a principal that does not exist yet, and no later
        stack exists when this one first deploys. Each statement is defined once, by the construct
        that needs it (where someone lifting that construct reads what its key or bucket must allow).
        """
        documents, models, logs, access_logs = (
            self.documents_key,
            self.models_key,
            self.logs_key,
            self.access_logs_bucket,
        )
        # KnowledgeBase stack. S3 Vectors indexes the vectors in the background (S3VectorStore).
        # EventBridge encrypts document events for the ingestion queue (DocumentIngestion).
        # Bedrock writes invocation payloads too large for CloudWatch Logs (ModelInvocationLogging).
        if access.s3_vectors_indexing:
            _allow(documents, S3VectorStore.indexing_key_statement(documents))
        _allow(documents, ObjectEventQueue.eventbridge_key_statement(DOCUMENT_EVENTS_SID))
        if access.bedrock_invocation_logs:
            _allow(access_logs, ModelInvocationLogging.bucket_statement(access_logs))

        # OfflineInference stack. EventBridge encrypts async-inbox events for the queue (AsyncInvokeGlue).
        _allow(models, ObjectEventQueue.eventbridge_key_statement(INBOX_EVENTS_SID))

        # Observability stack. The audit trail encrypts its log files with the logs key and writes
        # them to the access-log bucket (AuditTrail). Alarms publish to the encrypted topic
        # (SecurityAlarms).
        trail_name = self.names.audit_trail
        _allow(logs, *AuditTrail.key_statements(logs, trail_name))
        _allow(logs, SecurityAlarms.alarm_topic_key_statement(logs))
        _allow(access_logs, *AuditTrail.bucket_statements(access_logs, trail_name))

    def _key(self, construct_id: str, domain: str, description: str) -> kms.Key:
        return create_key(
            self,
            construct_id,
            alias=self.names.key_alias(domain),
            description=description,
            removal_policy=self.deployment.data_removal_policy,
        )

    def _acknowledge_access_log_bucket(self, access_logs: SecureBucket) -> None:
        acknowledge(
            access_logs.bucket,
            "This is the server-access-log target of every other bucket. S3 cannot deliver server "
            "access logs to a bucket whose default encryption is SSE-KMS, so it uses SSE-S3.",
            *in_compliance_packs("S3DefaultEncryptionKMS"),
            "cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check",
        )
        acknowledge(
            access_logs.bucket,
            "This is the server-access-log target itself: logging its own access into itself would "
            "log every log delivery, without end.",
            "cdk-validator-cfnguard::s3_bucket_logging_enabled_check",
        )


def _allow(resource: kms.Key | s3.Bucket, *statements: iam.PolicyStatement) -> None:
    for statement in statements:
        resource.add_to_resource_policy(statement)
