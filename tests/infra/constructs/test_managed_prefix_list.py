"""ManagedPrefixList: EC2 asked once per deploy for a managed prefix list's ID, by a handler that
may describe prefix lists and write its own logs, nothing else."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.constructs.managed_prefix_list import AWS_CUSTOM_RESOURCE_SINGLETON, ManagedPrefixList
from infra.policy import LAMBDA_CONCURRENCY_RULES
from tests.infra.constructs.conftest import acknowledged, statement_with_sid, template_of

S3 = "com.amazonaws.us-east-1.s3"


def prefix_list(
    stack: cdk.Stack, log_settings: LogSettings, *, reserve_concurrency: bool = True
) -> ManagedPrefixList:
    logs = EncryptedLogGroup(stack, "LookupLogs", settings=log_settings)
    return ManagedPrefixList(
        stack, "S3PrefixList", name=S3, log_group=logs.log_group, reserve_concurrency=reserve_concurrency
    )


def handler(stack: cdk.Stack) -> dict:
    [function] = template_of(stack).find_resources("AWS::Lambda::Function").values()
    return function


def test_the_lookup_asks_ec2_for_the_lists_id_by_name(stack: cdk.Stack, log_settings: LogSettings) -> None:
    prefix_list(stack, log_settings)
    [lookup] = template_of(stack).find_resources("Custom::ManagedPrefixListLookup").values()
    for call in ("Create", "Update"):
        request = json.loads(lookup["Properties"][call])
        assert (request["service"], request["action"]) == ("EC2", "describeManagedPrefixLists")
        assert request["parameters"] == {"Filters": [{"Name": "prefix-list-name", "Values": [S3]}]}
        assert request["outputPaths"] == ["PrefixLists.0.PrefixListId"]
        assert request["physicalResourceId"] == {"id": S3}
    assert lookup["Properties"]["InstallLatestAwsSdk"] is False


def test_its_role_may_describe_prefix_lists_and_write_its_own_logs_only(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    made = prefix_list(stack, log_settings)
    template = template_of(stack)
    describe = statement_with_sid(template, "DescribeManagedPrefixLists")
    assert (describe["Action"], describe["Resource"]) == ("ec2:DescribeManagedPrefixLists", "*")
    [log_group_id] = template.find_resources("AWS::Logs::LogGroup")
    assert statement_with_sid(template, "WriteOwnLogs")["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    assert template.find_resources("AWS::IAM::Policy") == {}
    role_id = stack.get_logical_id(made.role.node.default_child)
    assert handler(stack)["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert "AwsSolutions::AwsSolutions-IAM5[Resource::*]" in acknowledged(made.policy)


def test_the_handler_waits_for_the_policy_and_has_one_reserved_execution(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    made = prefix_list(stack, log_settings)
    function = handler(stack)
    assert function["Properties"]["ReservedConcurrentExecutions"] == 1
    assert function["DependsOn"] == [stack.get_logical_id(made.policy.node.default_child)]
    [log_group_id] = template_of(stack).find_resources("AWS::Logs::LogGroup")
    assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}


def test_without_reservation_the_handler_has_none_and_says_why(
    stack: cdk.Stack, log_settings: LogSettings
) -> None:
    prefix_list(stack, log_settings, reserve_concurrency=False)
    assert "ReservedConcurrentExecutions" not in handler(stack)["Properties"]
    reasons = acknowledged(stack.node.find_child(AWS_CUSTOM_RESOURCE_SINGLETON))
    assert set(LAMBDA_CONCURRENCY_RULES) <= set(reasons)


def test_the_peer_is_the_looked_up_id_for_egress_rules(
    stack: cdk.Stack, log_settings: LogSettings, vpc: ec2.Vpc
) -> None:
    made = prefix_list(stack, log_settings)
    group = ec2.SecurityGroup(stack, "Client", vpc=vpc, allow_all_outbound=False)
    group.add_egress_rule(made.peer, ec2.Port.tcp(443), "HTTPS to S3")
    [lookup_id] = template_of(stack).find_resources("Custom::ManagedPrefixListLookup")
    looked_up = {"Fn::GetAtt": [lookup_id, "PrefixLists.0.PrefixListId"]}
    assert stack.resolve(made.prefix_list_id) == looked_up
    template_of(stack).has_resource_properties(
        "AWS::EC2::SecurityGroupEgress", {"DestinationPrefixListId": looked_up, "FromPort": 443}
    )


def test_a_second_lookup_in_the_same_stack_is_refused(stack: cdk.Stack, log_settings: LogSettings) -> None:
    # The CDK runs every AwsCustomResource of a stack in one function, with the first one's role.
    prefix_list(stack, log_settings)
    with pytest.raises(ValueError, match="already has an AwsCustomResource"):
        ManagedPrefixList(
            stack,
            "Other",
            name="com.amazonaws.us-east-1.dynamodb",
            log_group=stack.node.find_child("LookupLogs").log_group,
        )
