"""NetworkStack: private by default, egress only when asked, endpoints only when declared."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk.assertions import Template

from infra.config import load_config
from infra.platform import build_platform
from tests.conftest import Synth, cdk_context


def routes_to_anywhere(synth: Synth) -> list[dict]:
    routes = synth.resources(synth.platform.network, "AWS::EC2::Route").values()
    return [r["Properties"] for r in routes if r["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"]


def test_by_default_there_is_no_way_to_the_internet(dev: Synth) -> None:
    network = dev.platform.network
    for resource_type in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP"):
        assert dev.resources(network, resource_type) == {}
    assert routes_to_anywhere(dev) == []
    dev.template(network).all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})


def test_one_isolated_workload_subnet_per_az_in_the_az_ids_agentcore_supports(
    dev: Synth, opensearch: Synth, cpu: Synth
) -> None:
    subnets = dev.resources(dev.platform.network, "AWS::EC2::Subnet").values()
    assert sorted(s["Properties"]["CidrBlock"] for s in subnets) == ["10.40.0.0/18", "10.40.64.0/18"]
    # The harness runs in these subnets: placed by AZ ID (use1-az1, ...), which means the same zone
    # in every account, among those AgentCore lists for VPC mode; no lookup at synth.
    assert sorted(s["Properties"]["AvailabilityZoneId"] for s in subnets) == ["use1-az1", "use1-az2"]
    assert all("AvailabilityZone" not in s["Properties"] for s in subnets)
    [vpc] = dev.resources(dev.platform.network, "AWS::EC2::VPC").values()
    assert vpc["Properties"]["CidrBlock"] == "10.40.0.0/16"


def test_without_the_harness_in_the_vpc_subnets_take_the_regions_first_azs() -> None:
    app = cdk.App(context=cdk_context(assistant_network_mode="PUBLIC"))
    platform = build_platform(app, load_config(app.node.get_all_context()))
    template = Template.from_stack(platform.network).to_json()
    subnets = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Subnet"]
    assert sorted(str(s["Properties"]["AvailabilityZone"]) for s in subnets) == [
        str({"Fn::Select": [index, {"Fn::GetAZs": ""}]}) for index in range(2)
    ]


def test_internet_egress_adds_nat_through_public_subnets(egress: Synth) -> None:
    network = egress.platform.network
    assert len(egress.resources(network, "AWS::EC2::InternetGateway")) == 1
    assert len(egress.resources(network, "AWS::EC2::NatGateway")) == 1  # one in dev
    targets = sorted(
        next(k for k in ("GatewayId", "NatGatewayId") if k in r) for r in routes_to_anywhere(egress)
    )
    # Each public subnet routes to the internet gateway, each workload subnet to the NAT.
    assert targets == ["GatewayId", "GatewayId", "NatGatewayId", "NatGatewayId"]
    cidrs = sorted(
        s["Properties"]["CidrBlock"] for s in egress.resources(network, "AWS::EC2::Subnet").values()
    )
    # The workload subnets keep their ranges when egress is switched on.
    assert cidrs == ["10.40.0.0/18", "10.40.128.0/28", "10.40.128.16/28", "10.40.64.0/18"]
    egress.template(network).all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})


def test_flow_logs_capture_everything_into_an_encrypted_log_group(dev: Synth) -> None:
    network = dev.platform.network
    [flow_log] = dev.resources(network, "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["LogDestinationType"] == "cloud-watch-logs"
    log_group = dev.resources(network, "AWS::Logs::LogGroup")[flow_log["Properties"]["LogGroupName"]["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert "KmsKeyId" in log_group["Properties"]


def test_flow_log_role_trusts_only_this_accounts_flow_logs_and_has_no_inline_policy(dev: Synth) -> None:
    network = dev.platform.network
    assert dev.resources(network, "AWS::IAM::Policy") == {}
    roles = [
        r
        for r in dev.resources(network, "AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "vpc-flow-logs.amazonaws.com"}
    ]
    [trust] = roles[0]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    [logical_id] = [k for k, r in dev.resources(network, "AWS::IAM::Role").items() if r is roles[0]]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in trust["Condition"]["ArnLike"]
    [policy] = [
        p
        for p in dev.resources(network, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Roles"] == [{"Ref": logical_id}]
    ]
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert statement["Resource"] != "*"


def test_flow_logs_keep_a_year_in_prod(prod: Synth) -> None:
    network = prod.platform.network
    [flow_log] = prod.resources(network, "AWS::EC2::FlowLog").values()
    log_group = prod.resources(network, "AWS::Logs::LogGroup")[flow_log["Properties"]["LogGroupName"]["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"


def test_s3_gateway_endpoint_allows_this_account_and_ecr_image_layers_only(dev: Synth) -> None:
    endpoints = dev.resources(dev.platform.network, "AWS::EC2::VPCEndpoint").values()
    [gateway] = [e["Properties"] for e in endpoints if e["Properties"].get("VpcEndpointType") == "Gateway"]
    statements = {s["Sid"]: s for s in gateway["PolicyDocument"]["Statement"]}
    assert set(statements) == {"BucketsOfThisAccount", "EcrImageLayers"}
    assert statements["BucketsOfThisAccount"]["Condition"] == {
        "StringEquals": {"aws:ResourceAccount": {"Ref": "AWS::AccountId"}}
    }
    assert statements["EcrImageLayers"]["Action"] == "s3:GetObject"
    assert statements["EcrImageLayers"]["Resource"] == "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
    # One route table per workload subnet, all of them routed through the gateway endpoint.
    assert len(gateway["RouteTableIds"]) == dev.config.network.az_count


def test_the_interface_endpoints_are_exactly_those_the_workloads_declare(dev: Synth) -> None:
    # Declared by the workloads: the knowledge-base glue (Bedrock agent API), the async glue
    # (SageMaker runtime), the assistant's tools (SageMaker, its runtime, Step Functions, the Bedrock
    # agent, agent-runtime and runtime APIs) and the harness in VPC mode (Bedrock runtime, ECR,
    # logs, STS, AgentCore and its gateway). Queues are read by Lambda's event source mappings,
    # outside the VPC. Endpoints declared twice are created once.
    network = dev.platform.network
    endpoints = [
        e["Properties"]
        for e in dev.resources(network, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Interface"
    ]
    expected = [
        "bedrock-agent",
        "bedrock-agent-runtime",
        "bedrock-agentcore",
        "bedrock-agentcore.gateway",
        "bedrock-runtime",
        "ecr.api",
        "ecr.dkr",
        "logs",
        "sagemaker.api",
        "sagemaker.runtime",
        "states",
        "sts",
    ]
    assert sorted(e["ServiceName"] for e in endpoints) == [f"com.amazonaws.us-east-1.{s}" for s in expected]
    assert network.interface_endpoints.services == expected
    assert all(e["PrivateDnsEnabled"] for e in endpoints)
    assert all(len(e["SubnetIds"]) == dev.config.network.az_count for e in endpoints)


def test_the_endpoint_security_group_admits_https_from_the_literal_vpc_cidr_only(dev: Synth) -> None:
    groups = dev.resources(dev.platform.network, "AWS::EC2::SecurityGroup").values()
    [endpoint_group] = [
        g["Properties"] for g in groups if "Interface endpoints" in g["Properties"]["GroupDescription"]
    ]
    assert endpoint_group["SecurityGroupIngress"] == [
        {
            "CidrIp": "10.40.0.0/16",
            "Description": "HTTPS from the VPC to AWS APIs",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    # No real egress: the CDK's placeholder rule that disables the default allow-all.
    [egress_rule] = endpoint_group["SecurityGroupEgress"]
    assert egress_rule["CidrIp"] == "255.255.255.255/32"


def test_the_default_security_group_is_stripped(dev: Synth) -> None:
    assert len(dev.resources(dev.platform.network, "Custom::VpcRestrictDefaultSG")) == 1


def test_s3s_prefix_list_is_looked_up_at_deploy_time_for_security_groups(dev: Synth) -> None:
    network = dev.platform.network
    [lookup] = dev.resources(network, "Custom::ManagedPrefixListLookup").values()
    create = json.loads(lookup["Properties"]["Create"])
    assert (create["service"], create["action"]) == ("EC2", "describeManagedPrefixLists")
    assert create["parameters"]["Filters"] == [
        {"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}
    ]
    assert create["outputPaths"] == ["PrefixLists.0.PrefixListId"]


def test_what_calls_s3_from_the_vpc_may_reach_it_through_the_gateway_endpoint(dev: Synth) -> None:
    # Amazon VPC User Guide: through a gateway endpoint S3 is reached at its public ranges, so the
    # security group needs egress to S3's prefix list (the VPC's own range is not enough).
    for stack in (dev.platform.offline_inference, dev.platform.model_serving):
        egress = [
            r["Properties"]
            for r in dev.resources(stack, "AWS::EC2::SecurityGroupEgress").values()
            if "DestinationPrefixListId" in r["Properties"]
        ]
        assert egress, stack.stack_name
        for rule in egress:
            assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
            assert "S3PrefixListLookup" in json.dumps(rule["DestinationPrefixListId"])
    # The real-time endpoint downloads the model while it is created: after the egress rule.
    serving = dev.templates[dev.platform.model_serving.stack_name]["Resources"]
    [endpoint] = [
        r
        for r in serving.values()
        if r["Type"] == "AWS::SageMaker::Endpoint" and r["Properties"]["EndpointName"].endswith("-realtime")
    ]
    assert any(d.startswith("EndpointSecurityGrouptoIndirectPeer") for d in endpoint["DependsOn"])
