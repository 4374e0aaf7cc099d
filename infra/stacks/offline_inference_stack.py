"""OfflineInferenceStack: the model for work that need not answer at once."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import DeploymentSection, OfflineInferenceSection
from infra.constructs.async_endpoint import (
    FAILURE_PREFIX,
    INBOX_PREFIX,
    OUTPUT_PREFIX,
    AsyncInferenceEndpoint,
)
from infra.constructs.async_invoke_glue import AsyncInvokeGlue
from infra.constructs.batch_transform_runs import INPUT_ROOT, BatchSchedule, BatchTransformRuns
from infra.constructs.serving_model import ServingModel
from infra.stacks.base import PlatformStack
from infra.stacks.data_stack import DataStack
from infra.stacks.model_serving_stack import ModelServingStack
from infra.stacks.network_stack import NetworkStack


class OfflineInferenceStack(PlatformStack):
    """The same model and serving code as ModelServingStack, for large or slow work, S3 in and out:

    - asynchronous: put a .json, .csv or .jsonl object under `async/inbox/` of the inference
      bucket and the glue queues it at an asynchronous endpoint on `async_instance_type`
      (Inferentia2 by default), which writes the answer under `async/output/` and notifies the
      success or error topic. Payloads up to 1 GB, up to an hour each. It scales to zero
      instances when its queue is empty, and back out when a request arrives.
    - batch: start the BatchTransformRuns state machine with an input prefix; it runs one
      transform job over every line of every object there. Nothing runs between runs.

    Attributes other stacks use: async_endpoint, async_glue, batch.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        deployment: DeploymentSection,
        offline_inference: OfflineInferenceSection,
        data: DataStack,
        network: NetworkStack,
        serving: ModelServingStack,
    ) -> None:
        super().__init__(
            scope,
            "OfflineInference",
            deployment=deployment,
            description="SageMaker asynchronous endpoint (scale from zero) and batch transform runs",
        )
        # The glue calls the SageMaker runtime API from the VPC. (Lambda's event source mapping,
        # not the function, polls the queue: no SQS endpoint is needed.)
        network.interface_endpoints.require(ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME)
        # Named, not referenced: the roles' statements on its prefixes pin none of the data stack's exports.
        inference = s3.Bucket.from_bucket_attributes(
            self,
            "InferenceBucket",
            bucket_name=self.names.bucket("inference"),
            bucket_arn=self.names.bucket_arn("inference"),
        )
        log_settings = self.log_settings(data.logs_key)

        async_model = ServingModel(
            self,
            "AsyncModel",
            mode="asynchronous",
            image=serving.image_for(offline_inference.async_instance_type),
            instance_type=offline_inference.async_instance_type,
            artifact=serving.artifact,
            # Where the real-time model runs: the workload subnets, the endpoints' security group.
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            security_groups=[serving.security_group],
        )
        self.async_endpoint = AsyncInferenceEndpoint(
            self,
            "Async",
            endpoint_name=self.names.resource("async"),
            serving=async_model,
            bucket=inference,
            encryption_key=data.models_key,
            log_settings=log_settings,
            max_instances=offline_inference.async_max_instances,
            max_concurrent_invocations=offline_inference.async_max_concurrent_invocations,
            backlog_per_instance=offline_inference.async_backlog_per_instance,
        )
        self.async_glue = AsyncInvokeGlue(
            self,
            "AsyncInvoke",
            endpoint=self.async_endpoint,
            invocation_timeout_seconds=offline_inference.async_invocation_timeout_seconds,
            log_settings=log_settings,
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            interface_endpoints=network.interface_endpoints.peer,
            reserve_concurrency=deployment.reserve_lambda_concurrency,
        )

        batch_model = ServingModel(
            self,
            "BatchModel",
            mode="batch",
            image=serving.image_for(offline_inference.batch_instance_type),
            instance_type=offline_inference.batch_instance_type,
            artifact=serving.artifact,
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            security_groups=[serving.security_group],
        )
        self.batch = BatchTransformRuns(
            self,
            "BatchTransform",
            serving=batch_model,
            bucket=inference,
            encryption_key=data.models_key,
            log_settings=log_settings,
            instance_count=offline_inference.batch_instance_count,
            max_payload_mb=offline_inference.batch_max_payload_mb,
            timeout=cdk.Duration.minutes(offline_inference.batch_timeout_minutes),
            key_alias=self.names.key_alias("batch-runs"),
            removal_policy=deployment.data_removal_policy,
            schedule=BatchSchedule(
                offline_inference.batch_schedule, offline_inference.batch_schedule_input_prefix
            )
            if offline_inference.batch_schedule
            else None,
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            interface_endpoints=network.interface_endpoints.peer,
            s3_prefix_list=network.s3_prefix_list.peer,
            reserve_concurrency=deployment.reserve_lambda_concurrency,
        )
        self._outputs(data)

    def _outputs(self, data: DataStack) -> None:
        inference = data.inference_bucket.bucket_name
        cdk.CfnOutput(self, "AsyncEndpointName", value=self.async_endpoint.endpoint_name)
        cdk.CfnOutput(
            self,
            "AsyncInboxUri",
            value=f"s3://{inference}/{INBOX_PREFIX}",
            description="Put a .json, .csv or .jsonl request here for an asynchronous prediction",
        )
        cdk.CfnOutput(self, "AsyncOutputUri", value=f"s3://{inference}/{OUTPUT_PREFIX}")
        cdk.CfnOutput(self, "AsyncFailureUri", value=f"s3://{inference}/{FAILURE_PREFIX}")
        cdk.CfnOutput(
            self,
            "BatchStateMachineArn",
            value=self.batch.state_machine_arn,
            description='Start with {"input_prefix": "batch/input/<folder>/"}',
        )
        cdk.CfnOutput(self, "BatchInputUri", value=f"s3://{inference}/{INPUT_ROOT}")
