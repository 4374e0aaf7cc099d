"""NetworkStack: a private VPC that reaches AWS APIs over PrivateLink, not the internet."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import DeploymentSection, NetworkSection
from infra.constructs.interface_endpoints import InterfaceEndpoints
from infra.constructs.log_group import EncryptedLogGroup
from infra.constructs.managed_prefix_list import ManagedPrefixList
from infra.policy import accept_cdk_provider, acknowledge, in_compliance_packs
from infra.stacks.base import PlatformStack

WORKLOAD_SUBNETS = "Workloads"
PUBLIC_SUBNETS = "Public"


class NetworkStack(PlatformStack):
    """The VPC that workloads (Lambda functions, SageMaker endpoints) run in.

    By default it has no route to the internet at all: isolated subnets, no internet gateway, no
    NAT. Workloads reach S3 through a gateway endpoint and every other AWS API through an
    interface endpoint that exists because some stack declared that it needs it
    (`interface_endpoints.require(...)`). `internet_egress` adds public subnets with NAT gateways
    for users whose workloads must reach the internet.

    Attributes other stacks use: vpc, workload_subnets, interface_endpoints, s3_prefix_list (the
    peer a security group allows for HTTPS to S3 through the gateway endpoint).
    """

    def __init__(
        self,
        scope: Construct,
        *,
        deployment: DeploymentSection,
        network: NetworkSection,
        workload_az_ids: tuple[str, ...] | None,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(
            scope,
            "Network",
            deployment=deployment,
            description="Private VPC, VPC endpoints and flow logs",
        )
        self._az_count = network.az_count
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(network.vpc_cidr),
            max_azs=network.az_count,
            subnet_configuration=self._subnet_layout(network),
            # One NAT per AZ in prod, so that losing an AZ does not cut the others off; one in dev.
            nat_gateways=(network.az_count if deployment.is_production else 1)
            if network.internet_egress
            else 0,
            # Strip the rules of the VPC's default security group, so nothing can use it by mistake.
            restrict_default_security_group=True,
        )
        self.workload_subnets = ec2.SubnetSelection(subnet_group_name=WORKLOAD_SUBNETS)
        if workload_az_ids:
            self._pin_availability_zone_ids(workload_az_ids)

        self._add_flow_logs(logs_key)
        self._add_s3_gateway_endpoint()
        # Through the gateway endpoint, S3 is reached at its public ranges, not inside the VPC: a
        # workload that calls S3 needs egress to them (S3's managed prefix list), not to the VPC.
        lookup_logs = EncryptedLogGroup(self, "S3PrefixListLookupLogs", settings=self.log_settings(logs_key))
        self.s3_prefix_list = ManagedPrefixList(
            self,
            "S3PrefixList",
            name=f"com.amazonaws.{self.region}.s3",
            log_group=lookup_logs.log_group,
            reserve_concurrency=deployment.reserve_lambda_concurrency,
        )
        self.interface_endpoints = InterfaceEndpoints(
            self,
            "InterfaceEndpoints",
            vpc=self.vpc,
            vpc_cidr=network.vpc_cidr,
            vpc_subnets=self.workload_subnets,
        )
        if network.internet_egress:
            self._acknowledge_internet_egress()
        accept_cdk_provider(
            self,
            "Custom::VpcRestrictDefaultSGCustomResourceProvider",
            "It runs once per deploy to strip the rules of the VPC's default security group, calling "
            "only the EC2 API; it cannot run inside the VPC whose creation it is part of.",
        )

    def _pin_availability_zone_ids(self, az_ids: tuple[str, ...]) -> None:
        """Place the i-th subnet of every group in the i-th of `az_ids`, by ID rather than by name.

        An AZ name (us-east-1a) maps to a different physical zone in every account; its ID
        (use1-az1) does not. Services that run only in some zones (AgentCore in VPC mode) list IDs,
        so subnets picked by name with Fn::GetAZs could land in a zone they reject at deploy time.
        """
        groups = (self.vpc.isolated_subnets, self.vpc.private_subnets, self.vpc.public_subnets)
        for subnets in (group for group in groups if group):
            for subnet, az_id in zip(subnets, az_ids, strict=True):
                cfn_subnet: ec2.CfnSubnet = subnet.node.default_child
                cfn_subnet.add_property_deletion_override("AvailabilityZone")
                cfn_subnet.add_property_override("AvailabilityZoneId", az_id)

    @staticmethod
    def _subnet_layout(network: NetworkSection) -> list[ec2.SubnetConfiguration]:
        """Workload subnets come first, each a quarter of the VPC, so their ranges stay put when
        `internet_egress` or `az_count` changes (a subnet whose range changes is replaced, and
        everything in it with it). The public subnets only hold NAT gateways: /28 is enough."""
        workload_mask = int(network.vpc_cidr.split("/")[1]) + 2
        layout = [
            ec2.SubnetConfiguration(
                name=WORKLOAD_SUBNETS,
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                if network.internet_egress
                else ec2.SubnetType.PRIVATE_ISOLATED,
                cidr_mask=workload_mask,
            )
        ]
        if network.internet_egress:
            layout.append(
                ec2.SubnetConfiguration(
                    name=PUBLIC_SUBNETS,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=28,
                    # NAT gateways have Elastic IPs; nothing else here should get a public address.
                    map_public_ip_on_launch=False,
                )
            )
        return layout

    def _add_flow_logs(self, logs_key: kms.IKey) -> None:
        """Every accepted and rejected connection, to a KMS-encrypted log group.

        The delivery role is ours rather than the CDK's default: its permissions sit in a
        customer-managed policy (the HIPAA, NIST and PCI packs reject inline policies), and its
        trust is limited to flow logs of this account (confused-deputy protection).
        """
        log_group = EncryptedLogGroup(self, "FlowLogs", settings=self.log_settings(logs_key)).log_group
        delivery_role = iam.Role(
            self,
            "FlowLogsDeliveryRole",
            description="VPC flow logs delivery to CloudWatch Logs",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {"aws:SourceArn": self.format_arn(service="ec2", resource="vpc-flow-log/*")},
                },
            ),
        )
        iam.ManagedPolicy(
            self,
            "FlowLogsDeliveryPolicy",
            description="Write VPC flow log records into the flow-log group only",
            roles=[delivery_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    # The group's ARN attribute ends in ":*", which covers its log streams.
                    resources=[log_group.log_group_arn],
                )
            ],
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                log_group,
                # Keeps the CDK from adding an inline policy: the managed policy above grants it all.
                delivery_role.without_policy_updates(),
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

    @property
    def availability_zones(self) -> list[str]:
        """The VPC's AZs, picked with `Fn::GetAZs` at deploy time: with a concrete account the CDK
        would look them up through the AWS API (and fail without credentials). The config has
        already checked that the region offers `az_count` AZs."""
        return [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(self._az_count)]

    def _add_s3_gateway_endpoint(self) -> None:
        """S3 through a gateway endpoint (free), with a data-perimeter policy.

        The policy allows S3 calls on buckets owned by this account, plus reads of the AWS-owned
        buckets that Amazon ECR serves image layers from: SageMaker pulls its container images
        through this endpoint, and a policy without that statement breaks every endpoint deploy.
        """
        endpoint = self.vpc.add_gateway_endpoint(
            "S3GatewayEndpoint",
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[self.workload_subnets],
        )
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="BucketsOfThisAccount",
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:ResourceAccount": self.account}},
            )
        )
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="EcrImageLayers",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[f"arn:{self.partition}:s3:::prod-{self.region}-starport-layer-bucket/*"],
            )
        )

    def _acknowledge_internet_egress(self) -> None:
        for subnet in self.vpc.public_subnets:
            acknowledge(
                subnet.node.find_child("DefaultRoute"),
                "internet_egress is on: this public subnet exists only to hold a NAT gateway, and its "
                "default route to the internet gateway is what gives the private subnets egress.",
                *in_compliance_packs("VPCNoUnrestrictedRouteToIGW"),
            )
