"""A serverless SageMaker endpoint: no instances to run, billed per request while it computes."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.constructs.log_group import LogSettings
from infra.constructs.sagemaker_endpoint import SageMakerEndpoint
from infra.constructs.serving_model import ServingModel
from infra.policy import acknowledge, in_compliance_packs
from infra.sagemaker_hosting import VARIANT


class ServerlessEndpoint(SageMakerEndpoint):
    """The model on SageMaker Serverless Inference; its image must be a CPU one (no accelerators).

    What serverless endpoints do not support (SageMaker Developer Guide, "Serverless Inference",
    feature exclusions): GPUs and Inferentia, VPC configuration, network isolation, data capture
    (Model Monitor), multiple production variants. CreateEndpointConfig also takes no KmsKeyId
    for a serverless variant: there is no storage volume of ours to encrypt.

    What that means for this private design: the endpoint has no network presence in the VPC.
    Callers reach it through the SageMaker runtime API (`sagemaker-runtime` InvokeEndpoint), with
    SigV4 and IAM, over the VPC's interface endpoint when they run inside it; the container runs
    in SageMaker's own network. Use the real-time endpoint where the model must run in the VPC.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        serving: ServingModel,
        memory_size_mb: int,
        max_concurrency: int,
        log_settings: LogSettings,
        provisioned_concurrency: int | None = None,
    ) -> None:
        """`memory_size_mb` 1024 to 6144 in 1 GB steps, `max_concurrency` and
        `provisioned_concurrency` (at most `max_concurrency`) as CreateEndpointConfig takes them."""
        super().__init__(scope, construct_id, endpoint_name=endpoint_name)
        if serving.in_vpc:
            raise ValueError(f"{self.node.path}: a serverless endpoint supports no VPC configuration")
        serving.write_logs(
            self,
            "EndpointLogs",
            log_settings=log_settings,
            log_group_name=f"/aws/sagemaker/Endpoints/{endpoint_name}",
        )

        serving.acknowledge_outside_vpc(
            "This model serves a serverless endpoint, which supports neither VPC configuration nor "
            "network isolation (SageMaker serverless inference feature exclusions); it is reached "
            "through the SageMaker runtime API with IAM."
        )
        self._endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    model_name=serving.model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_size_mb,
                        max_concurrency=max_concurrency,
                        provisioned_concurrency=provisioned_concurrency,
                    ),
                )
            ],
        )
        acknowledge(
            self._endpoint_config,
            "A serverless variant has no storage volume of ours to encrypt, and CreateEndpointConfig "
            "accepts no KmsKeyId for it; the model artifact it loads is encrypted in S3.",
            *in_compliance_packs("SageMakerEndpointConfigurationKMSKeyConfigured"),
        )
        self._create_endpoint(self._endpoint_config)

    def grant_invoke(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` call InvokeEndpoint on this endpoint."""
        policy.add_statements(
            iam.PolicyStatement(
                sid=f"Invoke{self._sid}Endpoint",
                actions=["sagemaker:InvokeEndpoint"],
                resources=[self.endpoint_arn],
            )
        )

    def _mode_widget(self) -> cloudwatch.IWidget:
        return self._graph(
            "concurrency",
            left=[
                self._dashboard_metric(
                    "ServerlessConcurrentExecutionsUtilization", self.variant_dimensions, "Maximum"
                )
            ],
        )
