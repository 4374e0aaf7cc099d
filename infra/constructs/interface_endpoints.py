"""PrivateLink interface endpoints, created for exactly the AWS APIs that workloads declare.

An interface endpoint costs money for every AZ and hour it exists, so there is no fixed list:
each stack that places a workload in the VPC declares the APIs that workload calls,

    network.interface_endpoints.require(ec2.InterfaceVpcEndpointAwsService.SQS, ...)

and the endpoint appears once, however many workloads need it.
"""

from __future__ import annotations

import re

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


class InterfaceEndpoints(Construct):
    """Interface endpoints with private DNS in `vpc_subnets` of `vpc`, behind one security group.

    The security group admits HTTPS from `vpc_cidr` only. The CIDR is passed as a literal string
    rather than `vpc.vpc_cidr_block`: that attribute is a token until deploy time, and cdk-nag's
    security-group rules cannot evaluate a token (they report "Rule threw an error"). The group
    exists once the first endpoint does.

    Attributes: `peer` (what a client's security group allows HTTPS egress to), `services` (the
    short names of the endpoints required so far).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        vpc_cidr: str,
        vpc_subnets: ec2.SubnetSelection,
    ) -> None:
        super().__init__(scope, construct_id)
        self._vpc = vpc
        self._vpc_cidr = vpc_cidr
        self._vpc_subnets = vpc_subnets
        self._security_group: ec2.SecurityGroup | None = None
        self._endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}

    def require(self, *services: ec2.InterfaceVpcEndpointAwsService) -> None:
        """Make sure each service has an endpoint. Declaring one twice is harmless."""
        for service in services:
            if service.short_name not in self._endpoints:
                self._endpoints[service.short_name] = ec2.InterfaceVpcEndpoint(
                    self,
                    _construct_id(service.short_name),
                    vpc=self._vpc,
                    service=service,
                    subnets=self._vpc_subnets,
                    private_dns_enabled=True,
                    security_groups=[self._endpoint_security_group()],
                    # `open` would add an ingress rule from the VPC CIDR token; ours is literal.
                    open=False,
                )

    @property
    def peer(self) -> ec2.IPeer:
        """What a client's security group allows HTTPS egress to, to reach these endpoints."""
        return ec2.Peer.ipv4(self._vpc_cidr)

    @property
    def services(self) -> list[str]:
        """Short names of the services that have an endpoint, e.g. ["sqs", "sagemaker.runtime"]."""
        return sorted(self._endpoints)

    def _endpoint_security_group(self) -> ec2.SecurityGroup:
        if self._security_group is None:
            self._security_group = ec2.SecurityGroup(
                self,
                "SecurityGroup",
                vpc=self._vpc,
                description="Interface endpoints: HTTPS from inside the VPC only",
                allow_all_outbound=False,
            )
            self._security_group.add_ingress_rule(
                ec2.Peer.ipv4(self._vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC to AWS APIs"
            )
        return self._security_group


def _construct_id(short_name: str) -> str:
    """`sagemaker.runtime` -> `SagemakerRuntimeEndpoint`: stable, so the logical ID never churns."""
    return "".join(part.capitalize() for part in re.split(r"[.\-]", short_name)) + "Endpoint"
