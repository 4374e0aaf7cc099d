"""The digits model as SageMaker runs it: the model.tar.gz asset, an execution role, a CfnModel."""

from __future__ import annotations

import functools
import importlib.util
import tempfile
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.policy import acknowledge, in_compliance_packs
from infra.sagemaker_hosting import family_of, image_uri, repository_arn

PACKAGE_MODEL = Path(__file__).resolve().parents[2] / "sagemaker" / "package_model.py"


@functools.cache
def model_archive() -> Path:
    """model.tar.gz, built once per process by sagemaker/package_model.py (standard library only).
    Its bytes are the same on every build, so the asset hash, and the template, change only when
    the weights or the serving code do."""
    # Loaded from its file: `sagemaker/` is a folder of scripts, not a package (and its name is
    # the SageMaker Python SDK's).
    spec = importlib.util.spec_from_file_location("package_model", PACKAGE_MODEL)
    package_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package_model)
    return package_model.build(Path(tempfile.mkdtemp(prefix="genai-model-")) / "model.tar.gz")


# What the serving toolkit in the Deep Learning Containers reads to find our code. With network
# isolation the container cannot pip-install anything: code/requirements.txt lists nothing.
SERVING_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
}


def subnet_ids(vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> list[str]:
    """The IDs of `selection`'s subnets of `vpc` (the VPC's default selection if None)."""
    if selection is None:
        return vpc.select_subnets().subnet_ids
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        subnet_type=selection.subnet_type,
    ).subnet_ids


class ServingModel(Construct):
    """A SageMaker model of the digits classifier for one deployment mode.

    Each mode (real-time, serverless, asynchronous, batch) gets its own model and execution role,
    so that each role holds exactly what its mode touches. The role starts with what every mode
    needs: read this model artifact (one S3 object), pull `image` (a Deep Learning Containers
    `repository:tag`, in the stack's region), write SageMaker's metrics. The endpoint or job adds
    its own statements with `allow(...)`.

    `vpc` (with `vpc_subnets` and `security_groups`) puts the model in the VPC with network
    isolation: the container has no network at all; SageMaker downloads the artifact through the
    VPC (the S3 gateway endpoint) before it starts. Serverless endpoints support neither, so they
    pass no `vpc`. `instance_type` is None for serverless (no instances).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        mode: str,
        image: str,
        instance_type: str | None,
        artifact: s3_assets.Asset,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        if cdk.Token.is_unresolved(stack.region):
            raise ValueError(
                f"{self.node.path}: the image's registry depends on the region; give the stack one"
            )
        if vpc is not None and not security_groups:
            raise ValueError(f"{self.node.path}: a model in a VPC needs at least one security group")
        self.instance_type = instance_type
        self.image = image
        self.security_groups: list[ec2.ISecurityGroup] = list(security_groups) if vpc is not None else []
        # Selected once, here: every construct that runs this model in the VPC uses the same subnets.
        self.subnet_ids: list[str] = subnet_ids(vpc, vpc_subnets) if vpc is not None else []

        self.role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"SageMaker {mode} inference of the digits model",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"SageMaker {mode} inference: its model artifact, image, metrics and outputs",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadModelArtifact",
                    actions=["s3:GetObject"],
                    resources=[artifact.bucket.arn_for_objects(artifact.s3_object_key)],
                ),
                iam.PolicyStatement(
                    sid="PullServingImage",
                    actions=[
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                    ],
                    resources=[repository_arn(stack.partition, stack.region, image)],
                ),
                iam.PolicyStatement(
                    sid="EcrLogin",
                    actions=["ecr:GetAuthorizationToken"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="SageMakerMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
                ),
            ],
        )

        if self.in_vpc:
            self.allow(
                iam.PolicyStatement(
                    sid="VpcNetworkInterfaces",
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    # On "*", as the SageMaker Developer Guide grants them ("Give SageMaker AI hosted
                    # endpoints access to resources in your Amazon VPC"): Describe calls take no
                    # resources; a new interface has no ec2:Vpc key to scope CreateNetworkInterface
                    # by (Service Authorization Reference for EC2); and the guide warns that
                    # conditions or resource filters here fail SageMaker's own validation checks.
                    resources=["*"],
                )
            )

        in_vpc = (
            " The VPC network-interface actions are on '*' as the SageMaker Developer Guide grants them: "
            "Describe calls take no resources, and it warns that scoping them fails its validation."
            if self.in_vpc
            else ""
        )
        acknowledge(
            self.policy,
            "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level "
            "permissions (IAM service authorization reference); metrics are held to SageMaker's own "
            f"/aws/sagemaker/* namespaces by condition.{in_vpc} Every other statement names its resources.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        )

        self._model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image_uri(stack.region, image),
                model_data_url=artifact.s3_object_url,
                environment=SERVING_ENVIRONMENT,
            ),
            enable_network_isolation=self.in_vpc,
            vpc_config=sagemaker.CfnModel.VpcConfigProperty(
                security_group_ids=self.security_group_ids, subnets=self.subnet_ids
            )
            if self.in_vpc
            else None,
        )
        # SageMaker checks the role's permissions when it creates the model.
        self._model.node.add_dependency(self.policy)

    @property
    def in_vpc(self) -> bool:
        """Whether the model runs in the VPC, network-isolated."""
        return bool(self.security_groups)

    @property
    def model_name(self) -> str:
        return self._model.attr_model_name

    @property
    def security_group_ids(self) -> list[str]:
        """The security groups the model runs with in the VPC (none outside it)."""
        return [group.security_group_id for group in self.security_groups]

    def acknowledge_outside_vpc(self, reason: str) -> None:
        """Acknowledge this project's rule that a model runs in a VPC, isolated, for `reason`."""
        acknowledge(self._model, reason, "cdk-validator-cfnguard::genai_sagemaker_model_isolated_in_vpc")

    def allow(self, *statements: iam.PolicyStatement) -> None:
        for statement in statements:
            self.policy.add_statements(statement)

    def write_logs(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_settings: LogSettings,
        log_group_name: str,
    ) -> logs.ILogGroup:
        """SageMaker writes container logs to a group it names itself (/aws/sagemaker/...): create
        it first in `scope`, encrypted and retained, and let the role write to exactly that group."""
        log_group = EncryptedLogGroup(
            scope, construct_id, settings=log_settings, log_group_name=log_group_name
        ).log_group
        self.allow(
            iam.PolicyStatement(
                sid=f"Write{construct_id}",
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[log_group.log_group_arn],
            )
        )
        return log_group

    def use_key(
        self, key: kms.IKey, *, endpoint_config: Construct | None = None, still_encrypted: str = ""
    ) -> str | None:
        """Let the role encrypt and decrypt with `key`, and return the key ARN for the instances'
        storage volume, or None where the instance type has local NVMe storage: the instance
        encrypts that in hardware, and CreateEndpointConfig and CreateTransformJob reject a key for
        it. Then the compliance packs' endpoint-config finding is acknowledged on `endpoint_config`,
        saying what `still_encrypted` is."""
        # kms:Encrypt too: the SageMaker Developer Guide ("SageMaker Roles") lists it for a role whose
        # job writes output under a customer-managed key.
        self.allow(
            iam.PolicyStatement(
                sid="UseModelsKey",
                actions=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[key.key_arn],
            )
        )
        if family_of(self.instance_type).local_nvme:
            if endpoint_config is not None:
                acknowledge(
                    endpoint_config,
                    f"{self.instance_type} has local NVMe instance storage, which the instance encrypts "
                    f"with a hardware module; CreateEndpointConfig rejects a KmsKeyId for such types. "
                    f"{still_encrypted}",
                    *in_compliance_packs("SageMakerEndpointConfigurationKMSKeyConfigured"),
                )
            return None
        self.allow(
            iam.PolicyStatement(
                sid="VolumeKeyGrant",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        return key.key_arn
