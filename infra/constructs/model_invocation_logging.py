"""Bedrock model invocation logging: every model call's request, response and metadata, kept.

CloudFormation has no resource for it, so a custom resource sets it: our handler
(lambdas/invocation_logging) behind the CDK's Provider framework. It is one setting per account
and region, so the handler sets it only where none is set or it is this deployment's own, refuses
(failing the deploy with a message) where another deployment or the organization set it, and on
delete removes it only if it is still its own. Bedrock checks the delivery role when the setting
is put; the handler retries that check while IAM propagates the new role. A second profile in the
same account, or an account that manages invocation logging centrally, sets
`invocation_logging=false`.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from infra.constructs.encryption import add_where_owned
from infra.constructs.lambda_role import lambda_role
from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.constructs.vpc_function import ARCHITECTURE, LAMBDAS, RUNTIME, asset_excludes, powertools_layer
from infra.policy import accept_cdk_singleton_function, acknowledge

LARGE_PAYLOAD_PREFIX = "bedrock-invocations"


class ModelInvocationLogging(Construct):
    """Invocation logs go to a KMS-encrypted log group (kept per `log_settings`, as are the
    handlers' logs); payloads too large for CloudWatch Logs (over 100 KB, and images) go to
    `large_payload_bucket` under `bedrock-invocations/`. With `reserve_concurrency` the deploy-time
    handlers reserve one concurrent execution each.

    Bedrock writes those payloads as its service principal, so the bucket's policy must hold
    `ModelInvocationLogging.bucket_statement(large_payload_bucket)`. The construct adds it when the
    bucket is one its own stack creates; a bucket of another stack, or an imported one, is its
    owner's to open (the platform's data stack holds it for the access-log bucket).

    Attributes: `log_group` (the invocation logs), `resource` (the custom resource).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_settings: LogSettings,
        large_payload_bucket: s3.IBucket,
        reserve_concurrency: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = EncryptedLogGroup(self, "Logs", settings=log_settings).log_group

        # The role Bedrock assumes to write into the log group (Amazon Bedrock User Guide,
        # "Monitor model invocation using CloudWatch Logs and Amazon S3").
        delivery_role = iam.Role(
            self,
            "DeliveryRole",
            description="Bedrock writes model invocation logs",
            assumed_by=iam.ServicePrincipal(
                "bedrock.amazonaws.com", conditions=_bedrock_of_the_account(self)
            ),
        )
        delivery_policy = iam.ManagedPolicy(
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
        bucket_policy_here = add_where_owned(
            self, large_payload_bucket, [self.bucket_statement(large_payload_bucket)]
        )

        logging_config = {
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
        handler = self._handler(log_settings, delivery_role, reserve_concurrency)
        self.resource = cdk.CustomResource(
            self,
            "Configuration",
            resource_type="Custom::BedrockModelInvocationLogging",
            service_token=self._provider(log_settings, handler, reserve_concurrency).service_token,
            properties={"LoggingConfig": logging_config},
        )
        # Bedrock checks the delivery role's permissions when the setting is put: the role's policy
        # must exist first (and the handler retries while IAM propagates it). A bucket policy of this
        # stack comes first too, so that no large payload is logged before Bedrock may write it.
        self.resource.node.add_dependency(delivery_policy)
        if bucket_policy_here and large_payload_bucket.policy is not None:
            self.resource.node.add_dependency(large_payload_bucket.policy)

    @staticmethod
    def bucket_statement(bucket: s3.IBucket) -> iam.PolicyStatement:
        """What the large-payload bucket's policy must allow: Bedrock of the bucket's account and
        region writing invocation payloads under `bedrock-invocations/` (Amazon Bedrock User Guide,
        "Monitor model invocation using CloudWatch Logs and Amazon S3")."""
        account = cdk.Stack.of(bucket).account
        return iam.PolicyStatement(
            sid="BedrockModelInvocationLogsOfThisAccount",
            principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[
                bucket.arn_for_objects(
                    f"{LARGE_PAYLOAD_PREFIX}/AWSLogs/{account}/BedrockModelInvocationLogs/*"
                )
            ],
            conditions=_bedrock_of_the_account(bucket),
        )

    def _handler(
        self, log_settings: LogSettings, delivery_role: iam.IRole, reserve_concurrency: bool
    ) -> lambda_.Function:
        """lambdas/invocation_logging: reads, sets and deletes the setting, only where it is its own."""
        stack = cdk.Stack.of(self)
        log_group = EncryptedLogGroup(self, "ConfigurationLogs", settings=log_settings).log_group
        role, policy = lambda_role(
            self,
            role_id="ConfigurationRole",
            policy_id="ConfigurationPolicy",
            role_description="Sets Bedrock model invocation logging for this account and region",
            policy_description="Read, set and delete the Bedrock model invocation logging configuration",
            log_group=log_group,
            statements=[
                iam.PolicyStatement(
                    sid="ModelInvocationLoggingConfiguration",
                    actions=[
                        "bedrock:GetModelInvocationLoggingConfiguration",
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
            policy,
            "Get/Put/DeleteModelInvocationLoggingConfiguration act on the account-and-region-wide setting "
            "and take no resource ARN, so IAM accepts only '*' for them.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        )
        handler = lambda_.Function(
            self,
            "ConfigurationFunction",
            description="Sets Bedrock model invocation logging; deletes only what it set",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler="invocation_logging.handler.lambda_handler",
            code=lambda_.Code.from_asset(str(LAMBDAS), exclude=asset_excludes("invocation_logging")),
            layers=[powertools_layer(self)],
            role=role.without_policy_updates(),
            # Bedrock's permission check is retried for up to 4 minutes (setting.py).
            timeout=cdk.Duration.minutes(5),
            memory_size=256,
            log_group=log_group,
            environment={"POWERTOOLS_SERVICE_NAME": "invocation-logging"},
        )
        accept_cdk_singleton_function(
            handler,
            policy=policy,
            reserve_concurrency=reserve_concurrency,
            invoked_by="The Provider framework's function invokes it synchronously and reports its answer, "
            "or its error, to CloudFormation.",
            network_reason="It runs only while CloudFormation creates, updates or deletes the logging "
            "setting, and calls only the Bedrock control plane, which has no interface endpoint in "
            f"this VPC ({stack.stack_name} would need one, billed per hour, for a call per deploy).",
        )
        return handler

    def _provider(
        self, log_settings: LogSettings, handler: lambda_.IFunction, reserve_concurrency: bool
    ) -> cr.Provider:
        """The CDK's Provider framework: it invokes the handler and answers CloudFormation for it."""
        log_group = EncryptedLogGroup(self, "ProviderLogs", settings=log_settings).log_group
        role, policy = lambda_role(
            self,
            role_id="ProviderRole",
            policy_id="ProviderPolicy",
            role_description="The custom resource framework: invokes the logging handler",
            policy_description="Invoke the logging handler; write the framework's own logs",
            log_group=log_group,
            statements=[
                # GetFunction too: after a failed first invoke the framework waits for the handler
                # to be active (waitUntilFunctionActiveV2), which the CDK grants itself unless, as
                # here, the role is ours (aws-cdk issue 28954).
                iam.PolicyStatement(
                    sid="InvokeTheHandler",
                    actions=["lambda:InvokeFunction", "lambda:GetFunction"],
                    resources=[handler.function_arn],
                ),
            ],
        )
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=handler,
            framework_on_event_role=role.without_policy_updates(),
            log_group=log_group,
        )
        framework = provider.node.find_child("framework-onEvent")
        accept_cdk_singleton_function(
            framework,
            policy=policy,
            reserve_concurrency=reserve_concurrency,
            network_reason="The CDK's custom-resource framework answers CloudFormation through a presigned "
            "URL of an AWS-owned S3 bucket, which the VPC's S3 endpoint policy (this account's buckets "
            "only) would block; it only invokes the logging handler, during deploys.",
        )
        return provider


def _bedrock_of_the_account(scope: IConstruct) -> dict[str, dict[str, str]]:
    """Bedrock acting for the account and region of `scope`'s stack: the confused-deputy conditions."""
    stack = cdk.Stack.of(scope)
    return {
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:*"},
    }
