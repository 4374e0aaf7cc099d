"""A CloudTrail trail: who called which AWS API, in every region, kept tamper-evident."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from infra.constructs.encryption import add_where_owned
from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.policy import acknowledge_cross_stack_reference

TRAIL_PREFIX = "cloudtrail"
# CloudTrail's resource types for the Bedrock and AgentCore data events of this platform (AWS
# CloudTrail User Guide, "Logging data events"): retrieving from a knowledge base, applying a
# guardrail; invoking the harness (AgentCore records harness calls under its runtime: "All harness
# CloudTrail events use resources.type = AWS::BedrockAgentCore::Runtime") and its gateway. Memory is
# left out: no CloudTrail page we could read names its resource type, and an invalid type fails the
# trail's deploy.
BEDROCK_DATA_EVENT_TYPES = (
    "AWS::Bedrock::KnowledgeBase",
    "AWS::Bedrock::Guardrail",
    "AWS::BedrockAgentCore::Runtime",
    "AWS::BedrockAgentCore::Gateway",
)


class AuditTrail(Construct):
    """A multi-region trail named `trail_name`: management events, and with `data_events` (on by
    default; billed per event) the object reads and writes of `data_event_buckets` and the Bedrock
    and AgentCore calls of BEDROCK_DATA_EVENT_TYPES. Encrypted with `log_settings.encryption_key`,
    file integrity validation on, delivered to `log_bucket` under `cloudtrail/` and to an encrypted
    log group kept as `log_settings` says.

    Leave the bucket the trail writes to out of `data_event_buckets`: logging those writes would log
    the trail's own delivery. CloudTrail writes to the bucket and encrypts with the key as its service
    principal, so `log_bucket`'s policy must hold `AuditTrail.bucket_statements(log_bucket, trail_name)`
    and the key's `AuditTrail.key_statements(key, trail_name)`; CloudTrail checks both when it creates
    the trail. The trail has a fixed name, so they name it by ARN (aws:SourceArn) before it exists,
    without a reference to this stack. The construct adds them to a bucket or key its own stack
    creates; one of another stack, or an imported one, is its owner's to open (the platform's data
    stack holds them).

    Attributes: `trail_name`, `trail_arn`, `log_group`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trail_name: str,
        log_settings: LogSettings,
        log_bucket: s3.IBucket,
        data_events: bool = True,
        data_event_buckets: Sequence[s3.IBucket] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.trail_name = trail_name
        self.trail_arn = self.arn_for(self, trail_name)
        key = log_settings.encryption_key
        add_where_owned(self, key, self.key_statements(key, trail_name))
        bucket_policy_here = add_where_owned(self, log_bucket, self.bucket_statements(log_bucket, trail_name))

        # Delivery to CloudWatch Logs, for metric filters and alarms on security events.
        self.log_group: logs.ILogGroup = EncryptedLogGroup(self, "Logs", settings=log_settings).log_group
        delivery_role = iam.Role(
            self,
            "LogsDeliveryRole",
            description="CloudTrail writes the audit trail into its log group",
            assumed_by=iam.ServicePrincipal(
                "cloudtrail.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceArn": self.trail_arn, "aws:SourceAccount": stack.account}
                },
            ),
        )
        delivery_policy = iam.ManagedPolicy(
            self,
            "LogsDeliveryPolicy",
            description="Write audit events into the trail's log group only",
            roles=[delivery_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ],
        )

        # The L1 trail: aws-cdk's Trail L2 has no advanced event selectors, which data events of
        # chosen buckets and of Bedrock resource types need.
        trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=self.trail_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=key.key_arn,
            s3_bucket_name=log_bucket.bucket_name,
            s3_key_prefix=TRAIL_PREFIX,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=delivery_role.role_arn,
            advanced_event_selectors=event_selectors(
                data_events=data_events, data_event_bucket_arns=[b.bucket_arn for b in data_event_buckets]
            ),
        )
        # CloudTrail checks bucket, key and role access when it creates the trail.
        trail.node.add_dependency(delivery_policy)
        if bucket_policy_here and log_bucket.policy is not None:
            trail.node.add_dependency(log_bucket.policy)
        if cdk.Stack.of(key) is not stack:
            acknowledge_cross_stack_reference(
                trail,
                "cloud_trail_encryption_enabled_check",
                property_name="KMSKeyId (the shared logs key)",
                source=cdk.Stack.of(key),
            )

    @staticmethod
    def arn_for(scope: IConstruct, trail_name: str) -> str:
        """The ARN of the trail named `trail_name` in the account and region of `scope`'s stack:
        known before the trail exists, so policies can name it."""
        stack = cdk.Stack.of(scope)
        return f"arn:{stack.partition}:cloudtrail:{stack.region}:{stack.account}:trail/{trail_name}"

    @staticmethod
    def bucket_statements(bucket: s3.IBucket, trail_name: str) -> list[iam.PolicyStatement]:
        """What the log bucket's policy must allow: the trail named `trail_name` (of the bucket's
        account and region) checking the bucket's ACL and writing its log files under `cloudtrail/`,
        as the CloudTrail User Guide's bucket policy for trails has it."""
        account = cdk.Stack.of(bucket).account
        this_trail = AuditTrail.arn_for(bucket, trail_name)
        return [
            iam.PolicyStatement(
                sid="CloudTrailAclCheck",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:GetBucketAcl"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceArn": this_trail}},
            ),
            iam.PolicyStatement(
                sid="CloudTrailWrite",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{TRAIL_PREFIX}/AWSLogs/{account}/*")],
                conditions={
                    "StringEquals": {"aws:SourceArn": this_trail, "s3:x-amz-acl": "bucket-owner-full-control"}
                },
            ),
        ]

    @staticmethod
    def key_statements(scope: IConstruct, trail_name: str) -> list[iam.PolicyStatement]:
        """What the key that encrypts the log files must allow: the trail named `trail_name`
        generating data keys and describing the key. CloudTrail names the trail in the encryption
        context, so the key admits this account's trails only, and this trail as the caller (the
        CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"). `scope` is the key,
        or any construct of its stack: the statements name that stack's account and region."""
        stack = cdk.Stack.of(scope)
        this_trail = {"StringEquals": {"aws:SourceArn": AuditTrail.arn_for(scope, trail_name)}}
        return [
            iam.PolicyStatement(
                sid="AllowThisTrailToEncryptLogFiles",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    **this_trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{stack.partition}:cloudtrail:*:{stack.account}:trail/*"
                        )
                    },
                },
            ),
            iam.PolicyStatement(
                sid="AllowThisTrailToDescribeTheKey",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions=this_trail,
            ),
        ]


def event_selectors(
    *, data_events: bool, data_event_bucket_arns: Sequence[str] = ()
) -> list[cloudtrail.CfnTrail.AdvancedEventSelectorProperty]:
    """Advanced event selectors replace basic ones, so management events need their own. With
    `data_events`, one selector for the objects of the buckets (if any) and one per Bedrock type."""

    def selector(name: str, *fields: tuple[str, dict]) -> cloudtrail.CfnTrail.AdvancedEventSelectorProperty:
        return cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
            name=name,
            field_selectors=[
                cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field=field, **match)
                for field, match in fields
            ],
        )

    data = ("eventCategory", {"equal_to": ["Data"]})
    selectors = [selector("All management events", ("eventCategory", {"equal_to": ["Management"]}))]
    if not data_events:
        return selectors
    if data_event_bucket_arns:
        selectors.append(
            selector(
                "Objects of the platform's data buckets",
                data,
                ("resources.type", {"equal_to": ["AWS::S3::Object"]}),
                ("resources.ARN", {"starts_with": [f"{arn}/" for arn in data_event_bucket_arns]}),
            )
        )
    selectors += [
        selector(
            f"{resource_type.removeprefix('AWS::')} data events",
            data,
            ("resources.type", {"equal_to": [resource_type]}),
        )
        for resource_type in BEDROCK_DATA_EVENT_TYPES
    ]
    return selectors
