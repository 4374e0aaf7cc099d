"""A real-time SageMaker endpoint that scales to zero instances when nobody calls it."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.constructs.log_group import LogSettings
from infra.constructs.sagemaker_endpoint import SageMakerEndpoint
from infra.constructs.sagemaker_scaling import scalable_from_zero, scale_out_from_zero
from infra.constructs.serving_model import ServingModel
from infra.policy import acknowledge, nag_arn
from infra.sagemaker_hosting import VARIANT, family_of

COPY_COUNT = "sagemaker:inference-component:DesiredCopyCount"
# Inference component sizing for the digits model (21 KB of weights): one core, 1 GiB, and one
# accelerator device on accelerated instances, so one copy fits on the smallest size of every
# family in infra/sagemaker_hosting.py.
COPY_CPU_CORES = 1
COPY_MEMORY_MB = 1024
CAPTURE_PREFIX = "data-capture/realtime"


@dataclass(frozen=True)
class DataCapture:
    """Capture `sampling_percentage` (1-100) of requests and responses under `prefix` of `bucket`."""

    bucket: s3.IBucket
    sampling_percentage: int
    prefix: str = CAPTURE_PREFIX

    def __post_init__(self) -> None:
        if not 1 <= self.sampling_percentage <= 100:
            raise ValueError(f"sampling_percentage {self.sampling_percentage}: allowed 1 to 100")


class ScaleToZeroRealtimeEndpoint(SageMakerEndpoint):
    """The model behind a real-time endpoint, hosted as an inference component, so that it can
    scale to zero (SageMaker scales an endpoint to zero instances only when it hosts inference
    components, with managed instance scaling at a minimum of 0):

    - instances: managed instance scaling from 0 to `max_instances` of the model's instance
      type; SageMaker adds an instance when a copy needs room and removes it when no copy is
      left on it;
    - copies: Application Auto Scaling on the component's copy count, 0 to `max_instances` (one
      copy per instance): target tracking on concurrent requests per copy (`target_concurrency`)
      scales out and in, down to 0 after idle;
    - from zero: with no copy, target tracking has no metric to act on, so a request fails with
      `NoCapacityInvocationFailures`; AWS's recipe is an alarm on that metric driving a step
      scaling policy that adds one copy. The first call after idle fails fast, and the endpoint
      serves again once an instance is up and the model loaded: several minutes on inf2 (AWS:
      "the provisioning process takes several minutes"). Callers retry; a latency-critical
      workload sets no scale-in to zero, or uses the serverless endpoint (seconds of cold start).

    The deploy starts with one instance and one copy, so a model that cannot load fails the deploy
    instead of the first request; autoscaling then takes it to zero when idle.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        serving: ServingModel,
        max_instances: int,
        target_concurrency: int,
        encryption_key: kms.IKey,
        log_settings: LogSettings,
        data_capture: DataCapture | None = None,
    ) -> None:
        """`serving` is the model in the VPC (network-isolated) on its instance type; the endpoint
        runs in the same subnets with the same security groups. `encryption_key` encrypts the
        instances' volume (where the type has no local NVMe storage) and captured data."""
        super().__init__(scope, construct_id, endpoint_name=endpoint_name)
        if serving.instance_type is None or not serving.in_vpc:
            raise ValueError(f"{self.node.path}: the model needs an instance type and a VPC")
        instance_type = serving.instance_type
        family = family_of(instance_type)
        self.component_name = f"{endpoint_name}-digits"

        # SageMaker writes the endpoint's and the component's container logs to groups it names
        # after them; created here first, they are encrypted and retained.
        for log_id, log_group_name in (
            ("EndpointLogs", f"/aws/sagemaker/Endpoints/{endpoint_name}"),
            ("InferenceComponentLogs", f"/aws/sagemaker/InferenceComponents/{self.component_name}"),
        ):
            serving.write_logs(self, log_id, log_settings=log_settings, log_group_name=log_group_name)
        volume_key = serving.use_key(
            encryption_key,
            endpoint_config=self,
            still_encrypted="Captured data is still encrypted with the endpoint's key.",
        )

        self._endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            # With inference components the endpoint, not the model, holds role, network and key.
            execution_role_arn=serving.role.role_arn,
            enable_network_isolation=True,
            vpc_config=sagemaker.CfnEndpointConfig.VpcConfigProperty(
                security_group_ids=serving.security_group_ids, subnets=serving.subnet_ids
            ),
            kms_key_id=volume_key,
            data_capture_config=self._data_capture(data_capture, serving, encryption_key),
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    instance_type=instance_type,
                    initial_instance_count=1,
                    managed_instance_scaling=sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                        status="ENABLED",
                        min_instance_count=0,
                        max_instance_count=max_instances,
                    ),
                    routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(
                        routing_strategy="LEAST_OUTSTANDING_REQUESTS"
                    ),
                )
            ],
        )
        self._endpoint_config.node.add_dependency(serving.policy)
        endpoint = self._create_endpoint(self._endpoint_config)
        # The instances download the model artifact while the endpoint is created: the security
        # groups' egress rules (separate resources) must exist first.
        endpoint.node.add_dependency(*serving.security_groups)

        devices = family.devices_of(instance_type)
        self._component = sagemaker.CfnInferenceComponent(
            self,
            "InferenceComponent",
            inference_component_name=self.component_name,
            endpoint_name=endpoint.attr_endpoint_name,
            variant_name=VARIANT,
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                model_name=serving.model_name,
                compute_resource_requirements=sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
                    number_of_cpu_cores_required=COPY_CPU_CORES,
                    min_memory_required_in_mb=COPY_MEMORY_MB,
                    number_of_accelerator_devices_required=1 if devices else None,
                ),
            ),
            runtime_config=sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(
                copy_count=1
            ),
        )
        self._scale_copies(max_instances, target_concurrency)

    @property
    def component_arn(self) -> str:
        """The inference component's ARN."""
        return self._component.attr_inference_component_arn

    def _data_capture(
        self, capture: DataCapture | None, serving: ServingModel, key: kms.IKey
    ) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None:
        if capture is None:
            return None
        # Encrypted with the endpoint's key; SageMaker writes them with the model's role.
        captures = capture.bucket.arn_for_objects(f"{capture.prefix}/*")
        serving.allow(
            iam.PolicyStatement(sid="WriteDataCapture", actions=["s3:PutObject"], resources=[captures])
        )
        acknowledge(
            serving.policy,
            f"SageMaker writes one object per captured batch under {capture.prefix}/ of the inference "
            "bucket, with names of its own making: the wildcard is that prefix and nothing else.",
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(captures)}]",
        )
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=capture.sampling_percentage,
            destination_s3_uri=f"s3://{capture.bucket.bucket_name}/{capture.prefix}",
            kms_key_id=key.key_arn,
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
            ],
        )

    def _scale_copies(self, max_instances: int, target_concurrency: int) -> None:
        self.copies = scalable_from_zero(
            self,
            "Copies",
            resource_id=f"inference-component/{self.component_name}",
            scalable_dimension=COPY_COUNT,
            max_capacity=max_instances,
            after=self._component,
        )
        self.copies.scale_to_track_metric(
            "ConcurrentRequestsPerCopy",
            target_value=target_concurrency,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION,
            scale_in_cooldown=cdk.Duration.minutes(5),
            scale_out_cooldown=cdk.Duration.minutes(1),
        )
        # Out of zero: one more copy whenever a request found none to serve it.
        self.scale_out_from_zero, self.no_capacity_alarm = scale_out_from_zero(
            self,
            target=self.copies,
            aggregation=appscaling.MetricAggregationType.MAXIMUM,
            cooldown=cdk.Duration.minutes(1),
            alarm_id="NoCapacityAlarm",
            alarm_description=f"Requests to {self.component_name} found no model copy: add one",
            metric=cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name="NoCapacityInvocationFailures",
                dimensions_map=self.component_dimensions,
                statistic="Maximum",
                period=cdk.Duration.minutes(1),
            ),
            evaluation_periods=1,
            datapoints_to_alarm=None,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    # --- grants ---------------------------------------------------------------------------------

    def grant_invoke(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` call InvokeEndpoint on the model's inference component.
        SageMaker authorizes such a call on the endpoint and, as it names one, on the inference
        component (Service Authorization Reference for SageMaker): the statement names both."""
        policy.add_statements(
            iam.PolicyStatement(
                sid=f"Invoke{self._sid}Endpoint",
                actions=["sagemaker:InvokeEndpoint"],
                resources=[self.endpoint_arn, self.component_arn],
            )
        )

    # --- metrics and Observable -----------------------------------------------------------------

    @property
    def component_dimensions(self) -> dict[str, str]:
        return {"InferenceComponentName": self.component_name}

    def metric_invocation_5xx_errors(self) -> cloudwatch.Metric:
        """Server errors of the model, per inference component: an endpoint that hosts components
        reports its invocation metrics per component."""
        return self.metric("Invocation5XXErrors", dimensions_map=self.component_dimensions)

    def _invocation_5xx_description(self) -> str:
        return f"The model on SageMaker endpoint {self.endpoint_name} answered with server errors"

    def _mode_widget(self) -> cloudwatch.IWidget:
        component = self.component_dimensions
        return self._graph(
            "model copies and requests without one",
            left=[self._dashboard_metric("CopyCount", component, "Maximum")],
            right=[self._dashboard_metric("NoCapacityInvocationFailures", component)],
        )
