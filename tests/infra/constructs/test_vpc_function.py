"""PythonFunctionInVpc: HTTPS only to the endpoints (and S3 when it may call S3), one managed
policy, concurrency as asked, and its own alarm and dashboard row."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match

from infra.constructs.log_group import LogSettings
from infra.constructs.observability import ROW_HEIGHT, Observable
from infra.constructs.vpc_function import PythonFunctionInVpc
from infra.policy import LAMBDA_CONCURRENCY_RULES
from tests.infra.constructs.conftest import acknowledged, statement_with_sid, statements_of, template_of

ENDPOINTS = ec2.Peer.ipv4("10.0.0.0/16")
S3_PREFIX_LIST = ec2.Peer.prefix_list("pl-63a5400a")
LISTS_BUCKET = iam.PolicyStatement(sid="ListBucket", actions=["s3:ListBucket"], resources=["arn:aws:s3:::b"])


def function(
    stack: cdk.Stack,
    vpc: ec2.Vpc,
    log_settings: LogSettings,
    *,
    statements: list[iam.PolicyStatement] | None = None,
    s3_prefix_list: ec2.IPeer | None = S3_PREFIX_LIST,
    reserve_concurrency: bool = True,
) -> PythonFunctionInVpc:
    return PythonFunctionInVpc(
        stack,
        "Function",
        package="batch_run",
        description="lists a bucket",
        timeout=cdk.Duration.seconds(10),
        max_concurrency=3,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_group_name="Workloads"),
        interface_endpoints=ENDPOINTS,
        log_settings=log_settings,
        environment={"BUCKET": "b"},
        statements=[LISTS_BUCKET] if statements is None else statements,
        s3_prefix_list=s3_prefix_list,
        reserve_concurrency=reserve_concurrency,
    )


def egress_rules(stack: cdk.Stack) -> list[dict]:
    """The function's egress rules: inline in its group, and (to a prefix list, which aws-cdk
    always writes as its own resource) as SecurityGroupEgress resources."""
    template = template_of(stack)
    [group] = template.find_resources("AWS::EC2::SecurityGroup").values()
    separate = template.find_resources("AWS::EC2::SecurityGroupEgress").values()
    return group["Properties"]["SecurityGroupEgress"] + [
        {k: v for k, v in rule["Properties"].items() if k != "GroupId"} for rule in separate
    ]


def test_https_goes_out_to_the_endpoints_and_to_s3s_prefix_list_only(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    assert egress_rules(stack) == [
        {
            "CidrIp": "10.0.0.0/16",
            "Description": "HTTPS to AWS APIs through the interface endpoints",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        },
        {
            "Description": "HTTPS to S3 through the gateway endpoint",
            "DestinationPrefixListId": "pl-63a5400a",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        },
    ]
    template_of(stack).has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {"GroupId": {"Fn::GetAtt": [stack.get_logical_id(fn.security_group.node.default_child), "GroupId"]}},
    )


def test_a_function_that_never_calls_s3_gets_no_way_to_it(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    other = iam.PolicyStatement(actions=["sqs:SendMessage"], resources=["arn:aws:sqs:us-east-1:1:q"])
    function(stack, vpc, log_settings, statements=[other], s3_prefix_list=None)
    assert [rule.get("CidrIp") for rule in egress_rules(stack)] == ["10.0.0.0/16"]


def test_a_function_allowed_s3_actions_without_a_way_to_s3_is_refused_at_synth(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    with pytest.raises(ValueError, match="allowed S3 actions but given no s3_prefix_list"):
        function(stack, vpc, log_settings, s3_prefix_list=None)


def test_it_runs_in_the_given_subnets_of_the_vpc(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    [properties] = [
        r["Properties"] for r in template_of(stack).find_resources("AWS::Lambda::Function").values()
    ]
    assert len(properties["VpcConfig"]["SubnetIds"]) == len(vpc.isolated_subnets) == 2
    assert properties["VpcConfig"]["SecurityGroupIds"] == [
        {"Fn::GetAtt": [stack.get_logical_id(fn.security_group.node.default_child), "GroupId"]}
    ]
    assert properties["Handler"] == "batch_run.handler.lambda_handler"
    assert properties["Environment"] == {"Variables": {"BUCKET": "b"}}


def test_reserved_concurrency_is_max_concurrency_when_reserved(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    template_of(stack).has_resource_properties("AWS::Lambda::Function", {"ReservedConcurrentExecutions": 3})
    assert not set(LAMBDA_CONCURRENCY_RULES) & set(acknowledged(fn.function))


def test_without_reservation_none_is_set_and_the_rule_is_acknowledged(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings, reserve_concurrency=False)
    template_of(stack).has_resource_properties(
        "AWS::Lambda::Function", {"ReservedConcurrentExecutions": Match.absent()}
    )
    reasons = acknowledged(fn.function)
    assert set(LAMBDA_CONCURRENCY_RULES) <= set(reasons)
    assert "Its callers bound it to 3 concurrent executions." in reasons[LAMBDA_CONCURRENCY_RULES[0]]


def test_the_function_waits_for_its_managed_policy_only(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    [resource] = template_of(stack).find_resources("AWS::Lambda::Function").values()
    assert resource["DependsOn"] == [stack.get_logical_id(fn.policy.node.default_child)]


def test_every_permission_sits_in_one_managed_policy_of_its_role(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    template = template_of(stack)
    assert template.find_resources("AWS::IAM::Policy") == {}
    [policy] = template.find_resources("AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(fn.role.node.default_child)}]
    assert [s.get("Sid") for s in statements_of(template)] == [
        "ListBucket",
        "WriteOwnLogs",
        "VpcNetworkInterfaces",
    ]
    assert "ec2:CreateNetworkInterface" in statement_with_sid(template, "VpcNetworkInterfaces")["Action"]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Role": {"Fn::GetAtt": [stack.get_logical_id(fn.role.node.default_child), "Arn"]}},
    )


def test_its_log_group_is_the_encrypted_one_it_writes_to(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    function(stack, vpc, log_settings)
    template = template_of(stack)
    [log_group_id] = template.find_resources("AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": 30}})
    template.has_resource_properties(
        "AWS::Lambda::Function", {"LoggingConfig": {"LogGroup": {"Ref": log_group_id}}}
    )
    assert statement_with_sid(template, "WriteOwnLogs")["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


def test_typed_attributes_name_the_function(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    logical_id = stack.get_logical_id(fn.function.node.default_child)
    assert stack.resolve(fn.function_name) == {"Ref": logical_id}
    assert stack.resolve(fn.function_arn) == {"Fn::GetAtt": [logical_id, "Arn"]}


def test_it_alarms_on_any_error_in_five_minutes(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    assert isinstance(fn, Observable)
    [rule] = fn.alarm_rules()
    assert (rule.name, rule.threshold) == ("Errors", 1)
    assert rule.description == "Lambda function UnderTest/Function failed"
    metric = rule.metric
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/Lambda", "Errors", "Sum")
    assert metric.period.to_seconds() == 300
    assert stack.resolve(metric.dimensions["FunctionName"]) == stack.resolve(fn.function_name)


def test_its_dashboard_row_shows_its_errors_and_throttles(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    [row] = fn.dashboard_rows()
    assert row.section == "Lambda functions"
    assert [(w.width, w.height) for w in row.widgets] == [(12, ROW_HEIGHT), (12, ROW_HEIGHT)]
    rendered = [stack.resolve(w.to_json()) for w in row.widgets]
    metrics = [widget[0]["properties"]["metrics"] for widget in rendered]
    assert [m[0][:2] for m in metrics] == [["AWS/Lambda", "Errors"], ["AWS/Lambda", "Throttles"]]
    assert all(m[0][2:4] == ["FunctionName", stack.resolve(fn.function_name)] for m in metrics)


def test_metric_methods_pass_options_through(
    stack: cdk.Stack, vpc: ec2.Vpc, log_settings: LogSettings
) -> None:
    fn = function(stack, vpc, log_settings)
    throttles = fn.metric_throttles(statistic="Maximum", period=cdk.Duration.minutes(1))
    assert (throttles.metric_name, throttles.statistic, throttles.period.to_minutes()) == (
        "Throttles",
        "Maximum",
        1,
    )
    assert fn.metric_errors().metric_name == "Errors"
