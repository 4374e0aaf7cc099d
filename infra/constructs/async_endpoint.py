"""An asynchronous SageMaker endpoint: requests and responses in S3, scaled from zero on backlog."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.log_group import LogSettings
from infra.constructs.observability import FIVE_MINUTES, AlarmRule
from infra.constructs.sagemaker_endpoint import SageMakerEndpoint
from infra.constructs.sagemaker_scaling import scalable_from_zero, scale_out_from_zero
from infra.constructs.serving_model import ServingModel
from infra.policy import acknowledge, nag_arn
from infra.sagemaker_hosting import VARIANT

INBOX_PREFIX = "async/inbox/"
OUTPUT_PREFIX = "async/output/"
FAILURE_PREFIX = "async/failures/"
# An async request may wait for an instance to start (minutes); longer than this needs a person.
BACKLOG_WITHOUT_CAPACITY_MINUTES = 15


class AsyncInferenceEndpoint(SageMakerEndpoint):
    """The model on its instance type, answering requests queued by InvokeEndpointAsync.

    - A request names an object under `async/inbox/` of `bucket`; the result lands under
      `async/output/`, an error under `async/failures/`, both encrypted with `encryption_key`,
      and a notification goes to the success or the error topic (both encrypted with it too).
    - Instances scale from 0 to `max_instances`. Target tracking keeps the backlog per instance
      at `backlog_per_instance` and scales in to zero when the queue is empty. At zero instances
      there is no per-instance backlog to track, so AWS documents a second policy: a step
      scaling policy on an alarm on `HasBacklogWithoutCapacity`, which adds an instance as soon
      as a request waits with none running. Without it, the first request after idle would wait
      until the backlog passed the target. The first request after idle waits for an instance to
      start and load the model: several minutes.
    - In the model's VPC subnets, network-isolated; the role reads the inbox and the model
      artifact and writes the output and failure prefixes and the two topics, nothing else.

    `bucket` is expected to be encrypted by default with `encryption_key` (as the inference bucket
    is): `grant_invoke` lets a caller upload requests with it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        serving: ServingModel,
        bucket: s3.IBucket,
        encryption_key: kms.IKey,
        log_settings: LogSettings,
        max_instances: int,
        max_concurrent_invocations: int,
        backlog_per_instance: int,
    ) -> None:
        super().__init__(scope, construct_id, endpoint_name=endpoint_name)
        if serving.instance_type is None:
            raise ValueError(f"{self.node.path}: the model needs an instance type")
        self.bucket = bucket
        self.encryption_key = encryption_key
        self.inbox_prefix = INBOX_PREFIX

        self.success_topic = sns.Topic(
            self,
            "SuccessTopic",
            display_name="Async inference results",
            master_key=encryption_key,
            enforce_ssl=True,
        )
        self.error_topic = sns.Topic(
            self,
            "ErrorTopic",
            display_name="Async inference errors",
            master_key=encryption_key,
            enforce_ssl=True,
        )

        serving.write_logs(
            self,
            "EndpointLogs",
            log_settings=log_settings,
            log_group_name=f"/aws/sagemaker/Endpoints/{endpoint_name}",
        )
        inbox = bucket.arn_for_objects(f"{INBOX_PREFIX}*")
        outputs = [bucket.arn_for_objects(f"{prefix}*") for prefix in (OUTPUT_PREFIX, FAILURE_PREFIX)]
        serving.allow(
            iam.PolicyStatement(sid="ReadRequests", actions=["s3:GetObject"], resources=[inbox]),
            iam.PolicyStatement(sid="WriteResponses", actions=["s3:PutObject"], resources=outputs),
            iam.PolicyStatement(
                sid="Notify",
                actions=["sns:Publish"],
                resources=[self.success_topic.topic_arn, self.error_topic.topic_arn],
            ),
        )
        acknowledge(
            serving.policy,
            "Requests are the objects callers put under async/inbox/ and SageMaker names each response "
            "and failure object itself: the wildcards are those three prefixes of the inference bucket.",
            *(f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(arn)}]" for arn in (inbox, *outputs)),
        )
        volume_key = serving.use_key(
            encryption_key,
            endpoint_config=self,
            still_encrypted="Responses are still encrypted with the endpoint's key.",
        )

        self._endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            kms_key_id=volume_key,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    model_name=serving.model_name,
                    instance_type=serving.instance_type,
                    initial_instance_count=1,
                )
            ],
            async_inference_config=sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
                client_config=sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                    max_concurrent_invocations_per_instance=max_concurrent_invocations
                ),
                output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                    s3_output_path=f"s3://{bucket.bucket_name}/{OUTPUT_PREFIX}",
                    s3_failure_path=f"s3://{bucket.bucket_name}/{FAILURE_PREFIX}",
                    kms_key_id=encryption_key.key_arn,
                    notification_config=sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                        success_topic=self.success_topic.topic_arn,
                        error_topic=self.error_topic.topic_arn,
                        include_inference_response_in=["SUCCESS_NOTIFICATION_TOPIC"],
                    ),
                ),
            ),
        )
        self._endpoint_config.node.add_dependency(serving.policy)
        self._scale_instances(
            self._create_endpoint(self._endpoint_config), max_instances, backlog_per_instance
        )

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        """A per-endpoint metric each minute, as the scaling policies read it."""
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map=self.endpoint_dimensions,
            statistic=statistic,
            period=cdk.Duration.minutes(1),
        )

    def _scale_instances(
        self, endpoint: sagemaker.CfnEndpoint, max_instances: int, backlog_per_instance: int
    ) -> None:
        self.instances = scalable_from_zero(
            self,
            "Instances",
            resource_id=f"endpoint/{self.endpoint_name}/variant/{VARIANT}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            max_capacity=max_instances,
            after=endpoint,
        )
        self.instances.scale_to_track_metric(
            "BacklogPerInstance",
            target_value=backlog_per_instance,
            custom_metric=self._metric("ApproximateBacklogSizePerInstance", "Average"),
            scale_in_cooldown=cdk.Duration.minutes(10),
            scale_out_cooldown=cdk.Duration.minutes(5),
        )
        self.scale_out_from_zero, self.backlog_without_capacity = scale_out_from_zero(
            self,
            target=self.instances,
            aggregation=appscaling.MetricAggregationType.AVERAGE,
            cooldown=cdk.Duration.minutes(5),
            alarm_id="BacklogWithoutCapacity",
            alarm_description=f"Requests wait at {self.endpoint_name} with no instance running: start one",
            metric=self._metric("HasBacklogWithoutCapacity", "Average"),
            evaluation_periods=2,
            datapoints_to_alarm=2,
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
        )

    # --- grants ---------------------------------------------------------------------------------

    def grant_invoke(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` queue requests: put the request object under the inbox
        (encrypted with the bucket's key) and call InvokeEndpointAsync with it."""
        inbox = self.bucket.arn_for_objects(f"{INBOX_PREFIX}*")
        region = cdk.Stack.of(self).region
        policy.add_statements(
            iam.PolicyStatement(
                sid=f"Invoke{self._sid}Endpoint",
                actions=["sagemaker:InvokeEndpointAsync"],
                resources=[self.endpoint_arn],
            ),
            iam.PolicyStatement(sid=f"Write{self._sid}Requests", actions=["s3:PutObject"], resources=[inbox]),
            # GenerateDataKey for an SSE-KMS upload, Decrypt for a multipart one (Amazon S3 User
            # Guide, "Using server-side encryption with AWS KMS keys"); only through S3.
            iam.PolicyStatement(
                sid=f"Encrypt{self._sid}Requests",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[self.encryption_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
        )
        acknowledge(
            policy,
            f"A caller of {self.endpoint_name} names its own request objects under {INBOX_PREFIX}: the "
            "wildcard is that prefix of the bucket and nothing else.",
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(inbox)}]",
        )

    # --- metrics and Observable -----------------------------------------------------------------

    @property
    def endpoint_dimensions(self) -> dict[str, str]:
        """The backlog metrics' dimension: they are per endpoint, not per variant."""
        return {"EndpointName": self.endpoint_name}

    def metric_has_backlog_without_capacity(self, period: cdk.Duration = FIVE_MINUTES) -> cloudwatch.Metric:
        """1 while requests wait with no instance running; its Minimum over `period` is 1 when
        they waited all that time."""
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name="HasBacklogWithoutCapacity",
            dimensions_map=self.endpoint_dimensions,
            statistic="Minimum",
            period=period,
        )

    def metric_failed_requests(self) -> cloudwatch.Metric:
        """Error notifications published: one per failed request."""
        return self.error_topic.metric_number_of_messages_published(statistic="Sum", period=FIVE_MINUTES)

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return [
            *super().alarm_rules(),
            AlarmRule(
                "BacklogWithoutCapacityTooLong",
                self.metric_has_backlog_without_capacity(
                    period=cdk.Duration.minutes(BACKLOG_WITHOUT_CAPACITY_MINUTES)
                ),
                f"Requests to {self.endpoint_name} have waited {BACKLOG_WITHOUT_CAPACITY_MINUTES} "
                "minutes with no instance: scale-out from zero is not happening",
            ),
            AlarmRule(
                "FailedRequests",
                self.metric_failed_requests(),
                f"{self.endpoint_name} reported failed requests (details under {FAILURE_PREFIX})",
            ),
        ]

    def _mode_widget(self) -> cloudwatch.IWidget:
        backlog = self.endpoint_dimensions
        return self._graph(
            "backlog",
            left=[self._dashboard_metric("ApproximateBacklogSize", backlog, "Maximum")],
            right=[self._dashboard_metric("HasBacklogWithoutCapacity", backlog, "Maximum")],
        )
