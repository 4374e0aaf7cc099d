"""Bedrock model invocation logging: every model call's request, response and metadata, kept.

CloudFormation has no resource for it, so an `AwsCustomResource` calls
PutModelInvocationLoggingConfiguration on create and update, and
DeleteModelInvocationLoggingConfiguration on delete. It is one setting per account and region:
deploying this replaces whatever logging configuration the account had, and deleting the stack
removes it. Accounts that manage invocation logging centrally set `invocation_logging=false`.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.config import AppConfig
from infra.constructs.log_group import EncryptedLogGroup
from infra.policy import accept_cdk_singleton_function, acknowledge

LARGE_PAYLOAD_PREFIX = "bedrock-invocations"
# The construct id the CDK gives the one Lambda function behind all AwsCustomResources of a stack.
AWS_CUSTOM_RESOURCE_SINGLETON = "AWS679f53fac002430cb0da5b7982bd2287"


class ModelInvocationLogging(Construct):
    """Invocation logs go to a KMS-encrypted log group; payloads too large for CloudWatch Logs
    (over 100 KB, and images) go to `large_payload_bucket` under `bedrock-invocations/`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        logs_key: kms.IKey,
        large_payload_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        bedrock_in_this_account = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:*"},
        }
        self.log_group = EncryptedLogGroup(self, "Logs", config=config, key=logs_key).log_group

        # The role Bedrock assumes to write into the log group (Amazon Bedrock User Guide,
        # "Monitor model invocation using CloudWatch Logs and Amazon S3").
        delivery_role = iam.Role(
            self,
            "DeliveryRole",
            description="Bedrock writes model invocation logs",
            assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com", conditions=bedrock_in_this_account),
        )
        iam.ManagedPolicy(
            self,
            "DeliveryPolicy",
            description="Write model invocation logs into their log group only",
            roles=[delivery_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ],
        )
        # Large payloads: Bedrock writes them itself, as its service principal.
        large_payload_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BedrockModelInvocationLogsOfThisAccount",
                principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[
                    large_payload_bucket.arn_for_objects(
                        f"{LARGE_PAYLOAD_PREFIX}/AWSLogs/{stack.account}/BedrockModelInvocationLogs/*"
                    )
                ],
                conditions=bedrock_in_this_account,
            )
        )

        logging_config = {
            "loggingConfig": {
                "cloudWatchConfig": {
                    "logGroupName": self.log_group.log_group_name,
                    "roleArn": delivery_role.role_arn,
                    "largeDataDeliveryS3Config": {
                        "bucketName": large_payload_bucket.bucket_name,
                        "keyPrefix": LARGE_PAYLOAD_PREFIX,
                    },
                },
                "textDataDeliveryEnabled": True,
                "imageDataDeliveryEnabled": True,
                # Embedding calls carry whole document chunks during ingestion: logging them would
                # copy the knowledge base's documents into the logs.
                "embeddingDataDeliveryEnabled": False,
            }
        }
        put = cr.AwsSdkCall(
            service="bedrock",
            action="PutModelInvocationLoggingConfiguration",
            parameters=logging_config,
            physical_resource_id=cr.PhysicalResourceId.of(
                f"{stack.account}-{stack.region}-model-invocation-logging"
            ),
        )

        # The custom resource's own role: the two logging calls (which take no resource-level
        # permissions) and passing the delivery role to Bedrock, nothing else.
        handler_role = iam.Role(
            self,
            "ConfigurationRole",
            description="Sets Bedrock model invocation logging for this account and region",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        handler_policy = iam.ManagedPolicy(
            self,
            "ConfigurationPolicy",
            description="Set and delete the Bedrock model invocation logging configuration",
            roles=[handler_role],
            statements=[
                iam.PolicyStatement(
                    sid="ModelInvocationLoggingConfiguration",
                    actions=[
                        "bedrock:PutModelInvocationLoggingConfiguration",
                        "bedrock:DeleteModelInvocationLoggingConfiguration",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PassTheDeliveryRoleToBedrock",
                    actions=["iam:PassRole"],
                    resources=[delivery_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
                ),
            ],
        )
        acknowledge(
            handler_policy,
            "Put/DeleteModelInvocationLoggingConfiguration act on the account-and-region-wide setting "
            "and take no resource ARN, so IAM accepts only '*' for them.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Configuration",
            resource_type="Custom::BedrockModelInvocationLogging",
            on_create=put,
            on_update=put,
            on_delete=cr.AwsSdkCall(service="bedrock", action="DeleteModelInvocationLoggingConfiguration"),
            role=handler_role,
            install_latest_aws_sdk=False,
            log_group=EncryptedLogGroup(self, "ConfigurationLogs", config=config, key=logs_key).log_group,
        )
        self.resource.node.add_dependency(handler_policy)
        accept_cdk_singleton_function(
            stack.node.find_child(AWS_CUSTOM_RESOURCE_SINGLETON),
            policy=handler_policy,
            network_reason="The CDK's AwsCustomResource handler answers CloudFormation through a presigned "
            "URL of an AWS-owned S3 bucket, which the VPC's S3 endpoint policy (this account's buckets "
            "only) would block; it calls only the Bedrock control plane, once per deploy.",
        )
