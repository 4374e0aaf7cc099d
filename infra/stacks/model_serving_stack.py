"""ModelServingStack: the digits model on a real-time endpoint and a serverless one."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from infra.config import DeploymentSection, ServingSection
from infra.constructs.realtime_endpoint import DataCapture, ScaleToZeroRealtimeEndpoint
from infra.constructs.serverless_endpoint import ServerlessEndpoint
from infra.constructs.serving_model import ServingModel, model_archive
from infra.stacks.base import PlatformStack
from infra.stacks.data_stack import DataStack
from infra.stacks.network_stack import NetworkStack


class ModelServingStack(PlatformStack):
    """Two ways to serve the same model that both cost nothing while nobody calls them:

    - real-time, on `realtime_instance_type` (Inferentia2 by default) in the VPC's workload
      subnets, network-isolated, its volume and captured data encrypted with the models key; it
      scales to zero instances when idle and back out on the first request (minutes);
    - serverless, on the CPU image, for spiky or rare traffic with cold starts of seconds; it
      cannot run in the VPC (see ServerlessEndpoint).

    Both load `model.tar.gz` (sagemaker/, built at synth) as a CDK asset. The asynchronous and
    batch modes reuse the artifact and ServingModel.

    Attributes other stacks use: artifact, security_group (the endpoints' security group, for
    models in the VPC), realtime, serverless.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        deployment: DeploymentSection,
        serving: ServingSection,
        data: DataStack,
        network: NetworkStack,
    ) -> None:
        super().__init__(
            scope,
            "ModelServing",
            deployment=deployment,
            description="SageMaker real-time (scale to zero, Inferentia2) and serverless endpoints",
        )
        # The serving container for an instance type (CPU, GPU or Neuron): the offline stack serves
        # the same model with the same containers.
        self.image_for = serving.image
        self.artifact = s3_assets.Asset(self, "ModelArtifact", path=str(model_archive()))
        self.security_group = self._endpoint_security_group(network)
        # Named, not referenced: captures go to the data stack's inference bucket without this
        # stack's policies pinning the data stack's exports.
        inference = s3.Bucket.from_bucket_attributes(
            self,
            "InferenceBucket",
            bucket_name=self.names.bucket("inference"),
            bucket_arn=self.names.bucket_arn("inference"),
        )

        realtime_model = ServingModel(
            self,
            "RealtimeModel",
            mode="real-time",
            image=serving.image(serving.realtime_instance_type),
            instance_type=serving.realtime_instance_type,
            artifact=self.artifact,
            vpc=network.vpc,
            vpc_subnets=network.workload_subnets,
            security_groups=[self.security_group],
        )
        self.realtime = ScaleToZeroRealtimeEndpoint(
            self,
            "Realtime",
            endpoint_name=self.names.resource("realtime"),
            serving=realtime_model,
            max_instances=serving.realtime_max_instances,
            target_concurrency=serving.realtime_target_concurrency,
            encryption_key=data.models_key,
            log_settings=self.log_settings(data.logs_key),
            data_capture=DataCapture(bucket=inference, sampling_percentage=serving.data_capture_percentage)
            if serving.data_capture_percentage > 0
            else None,
        )

        serverless_model = ServingModel(
            self,
            "ServerlessModel",
            mode="serverless",
            image=serving.image(None),
            instance_type=None,
            artifact=self.artifact,
        )
        self.serverless = ServerlessEndpoint(
            self,
            "Serverless",
            endpoint_name=self.names.resource("serverless"),
            serving=serverless_model,
            memory_size_mb=serving.serverless_memory_mb,
            max_concurrency=serving.serverless_max_concurrency,
            provisioned_concurrency=serving.serverless_provisioned_concurrency,
            log_settings=self.log_settings(data.logs_key),
        )
        self._outputs()

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "RealtimeEndpointName", value=self.realtime.endpoint_name)
        cdk.CfnOutput(
            self,
            "RealtimeInferenceComponentName",
            value=self.realtime.component_name,
            description="Pass as InferenceComponentName when invoking the real-time endpoint",
        )
        cdk.CfnOutput(self, "ServerlessEndpointName", value=self.serverless.endpoint_name)

    def _endpoint_security_group(self, network: NetworkStack) -> ec2.SecurityGroup:
        """No inbound rule: SageMaker reaches the instances over its own network. Outbound only
        HTTPS, which SageMaker uses to download the model artifact from S3 through the VPC's
        gateway endpoint (the model container itself is network-isolated and sends nothing)."""
        security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=network.vpc,
            allow_all_outbound=False,
            description="SageMaker endpoint instances: HTTPS out to S3 and the VPC only",
        )
        # The model artifact comes from S3 through the gateway endpoint, at S3's public ranges
        # (its managed prefix list); the interface endpoints are inside the VPC. The container
        # itself is network-isolated and sends nothing.
        security_group.add_egress_rule(
            network.s3_prefix_list.peer, ec2.Port.tcp(443), "HTTPS to S3 through the gateway endpoint"
        )
        security_group.add_egress_rule(
            network.interface_endpoints.peer, ec2.Port.tcp(443), "HTTPS to the interface endpoints"
        )
        return security_group
