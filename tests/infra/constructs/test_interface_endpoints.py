"""InterfaceEndpoints: an endpoint per declared service, once, behind one group that admits HTTPS
from the VPC's literal CIDR."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

from infra.constructs.interface_endpoints import InterfaceEndpoints
from tests.infra.constructs.conftest import template_of

SQS = ec2.InterfaceVpcEndpointAwsService.SQS
SAGEMAKER_RUNTIME = ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME


def endpoints_in(stack: cdk.Stack, vpc: ec2.Vpc) -> InterfaceEndpoints:
    return InterfaceEndpoints(
        stack,
        "InterfaceEndpoints",
        vpc=vpc,
        vpc_cidr="10.0.0.0/16",
        vpc_subnets=ec2.SubnetSelection(subnet_group_name="Workloads"),
    )


def test_each_required_service_gets_one_endpoint_however_often_it_is_required(
    stack: cdk.Stack, vpc: ec2.Vpc
) -> None:
    endpoints = endpoints_in(stack, vpc)
    endpoints.require(SQS)
    endpoints.require(SAGEMAKER_RUNTIME, SQS)
    template = template_of(stack)
    found = template.find_resources("AWS::EC2::VPCEndpoint")
    assert sorted(e["Properties"]["ServiceName"] for e in found.values()) == [
        "com.amazonaws.us-east-1.sagemaker.runtime",
        "com.amazonaws.us-east-1.sqs",
    ]
    assert endpoints.services == ["sagemaker.runtime", "sqs"]
    # Construct IDs from the service name, so a logical ID never churns.
    assert sorted(logical_id[: -len("ABCD1234")] for logical_id in found) == [
        "InterfaceEndpointsSagemakerRuntimeEndpoint",
        "InterfaceEndpointsSqsEndpoint",
    ]


def test_endpoints_have_private_dns_in_the_given_subnets_behind_one_group(
    stack: cdk.Stack, vpc: ec2.Vpc
) -> None:
    endpoints = endpoints_in(stack, vpc)
    endpoints.require(SQS, SAGEMAKER_RUNTIME)
    template = template_of(stack)
    [group_id] = template.find_resources("AWS::EC2::SecurityGroup")
    for endpoint in template.find_resources("AWS::EC2::VPCEndpoint").values():
        properties = endpoint["Properties"]
        assert properties["VpcEndpointType"] == "Interface"
        assert properties["PrivateDnsEnabled"] is True
        assert len(properties["SubnetIds"]) == len(vpc.isolated_subnets) == 2
        assert properties["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]


def test_the_group_admits_https_from_the_literal_vpc_cidr_and_sends_nothing(
    stack: cdk.Stack, vpc: ec2.Vpc
) -> None:
    endpoints_in(stack, vpc).require(SQS)
    [group] = template_of(stack).find_resources("AWS::EC2::SecurityGroup").values()
    assert group["Properties"]["SecurityGroupIngress"] == [
        {
            "CidrIp": "10.0.0.0/16",
            "Description": "HTTPS from the VPC to AWS APIs",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    # No real egress: aws-cdk's placeholder rule that disables the default allow-all.
    [egress] = group["Properties"]["SecurityGroupEgress"]
    assert egress["CidrIp"] == "255.255.255.255/32"


def test_nothing_is_created_until_a_service_is_required(stack: cdk.Stack, vpc: ec2.Vpc) -> None:
    endpoints = endpoints_in(stack, vpc)
    template = template_of(stack)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    template.resource_count_is("AWS::EC2::SecurityGroup", 0)
    assert endpoints.services == []


def test_the_peer_clients_allow_egress_to_is_the_literal_vpc_cidr(stack: cdk.Stack, vpc: ec2.Vpc) -> None:
    endpoints = endpoints_in(stack, vpc)
    client = ec2.SecurityGroup(stack, "Client", vpc=vpc, allow_all_outbound=False)
    client.add_egress_rule(endpoints.peer, ec2.Port.tcp(443), "HTTPS to AWS APIs")
    template_of(stack).has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupEgress": [
                {
                    "CidrIp": "10.0.0.0/16",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpProtocol": "tcp",
                    "Description": "HTTPS to AWS APIs",
                }
            ]
        },
    )
