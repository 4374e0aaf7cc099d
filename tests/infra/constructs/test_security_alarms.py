"""SecurityAlarms: a metric filter and an alarm per security event, to an encrypted, TLS-only topic."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match

from infra.constructs.security_alarms import METRICS_NAMESPACE, SECURITY_EVENTS, SecurityAlarms, SecurityEvent
from tests.infra.constructs.conftest import template_of

ALARMS_OF_THE_ACCOUNT = {
    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:us-east-1:111122223333:alarm:*"]]
}


@pytest.fixture
def trail_log_group(stack: cdk.Stack) -> logs.LogGroup:
    return logs.LogGroup(stack, "TrailLogs")


def security_alarms(
    stack: cdk.Stack, trail_log_group: logs.ILogGroup, key: kms.IKey, **props
) -> SecurityAlarms:
    return SecurityAlarms(stack, "SecurityAlarms", trail_log_group=trail_log_group, key=key, **props)


def test_each_event_has_a_filter_on_the_trail_and_an_alarm_to_the_topic(
    stack: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key
) -> None:
    construct = security_alarms(stack, trail_log_group, key)
    template = template_of(stack)
    filters = template.find_resources("AWS::Logs::MetricFilter")
    patterns = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]["FilterPattern"]
        for f in filters.values()
    }
    assert set(patterns) == {e.construct_id for e in SECURITY_EVENTS}
    assert patterns["BucketPolicyChanged"] == (
        "{ ($.eventSource = s3.amazonaws.com) && "
        "(($.eventName = PutBucketPolicy) || ($.eventName = DeleteBucketPolicy)) }"
    )
    log_group_id = stack.get_logical_id(trail_log_group.node.default_child)
    assert all(f["Properties"]["LogGroupName"] == {"Ref": log_group_id} for f in filters.values())

    topic_id = stack.get_logical_id(construct.topic.node.default_child)
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == len(construct.alarms) == len(SECURITY_EVENTS)
    for event in SECURITY_EVENTS:
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmDescription": event.description,
                "Namespace": METRICS_NAMESPACE,
                "MetricName": event.construct_id,
                "Statistic": "Sum",
                "Period": 300,
                "Threshold": 1,
                "EvaluationPeriods": 1,
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": topic_id}],
            },
        )


def test_the_topic_is_encrypted_tls_only_and_open_to_this_accounts_alarms(
    stack: cdk.Stack, shared: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key
) -> None:
    security_alarms(stack, trail_log_group, key)
    template = template_of(stack)
    [topic] = template.find_resources("AWS::SNS::Topic").values()
    assert "Key" in str(topic["Properties"]["KmsMasterKeyId"])
    [policy] = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    [deny] = [s for s in statements.values() if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    publish = statements["AllowCloudWatchAlarmsOfThisAccountToPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert publish["Condition"]["ArnLike"] == {"aws:SourceArn": ALARMS_OF_THE_ACCOUNT}


def test_the_keys_owner_lets_cloudwatch_alarms_of_this_account_publish_encrypted(stack: cdk.Stack) -> None:
    statement = SecurityAlarms.alarm_topic_key_statement(stack)
    assert stack.resolve(statement.to_statement_json()) == {
        "Sid": "AllowCloudWatchAlarmsOfThisAccountToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "111122223333"},
            "ArnLike": {"aws:SourceArn": ALARMS_OF_THE_ACCOUNT},
        },
    }


def test_a_key_of_another_stack_is_left_to_its_owner(
    stack: cdk.Stack, shared: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key
) -> None:
    security_alarms(stack, trail_log_group, key)
    [policy] = template_of(shared).find_resources("AWS::KMS::Key").values()
    principals = [s["Principal"] for s in policy["Properties"]["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} not in principals


def test_a_key_of_its_own_stack_lets_the_alarms_publish(
    stack: cdk.Stack, trail_log_group: logs.LogGroup
) -> None:
    security_alarms(stack, trail_log_group, kms.Key(stack, "OwnKey", enable_key_rotation=True))
    template_of(stack).has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowCloudWatchAlarmsOfThisAccountToPublish",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_an_address_is_subscribed_only_when_given(
    app: cdk.App, stack: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key
) -> None:
    security_alarms(stack, trail_log_group, key, alarm_email="ops@example.com")
    template_of(stack).has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_no_address_no_subscription(stack: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key) -> None:
    security_alarms(stack, trail_log_group, key)
    template_of(stack).resource_count_is("AWS::SNS::Subscription", 0)


def test_the_events_and_namespace_can_be_chosen(
    stack: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key
) -> None:
    event = SecurityEvent("RoleDeleted", "An IAM role was deleted", "iam.amazonaws.com", ("DeleteRole",))
    construct = security_alarms(
        stack, trail_log_group, key, events=[event], metrics_namespace="Test/Security"
    )
    template = template_of(stack)
    template.resource_count_is("AWS::Logs::MetricFilter", 1)
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteRole)) }",
            "MetricTransformations": [
                Match.object_like({"MetricNamespace": "Test/Security", "MetricValue": "1"})
            ],
        },
    )
    assert len(construct.alarms) == 1


def test_metric_security_event_reads_the_filters_metric(
    stack: cdk.Stack, trail_log_group: logs.LogGroup, key: kms.Key
) -> None:
    construct = security_alarms(stack, trail_log_group, key)
    metric = construct.metric_security_event("GuardrailChanged", period=cdk.Duration.hours(1))
    assert (metric.namespace, metric.metric_name, metric.statistic) == (
        METRICS_NAMESPACE,
        "GuardrailChanged",
        "Sum",
    )
    assert metric.period.to_seconds() == 3600
    with pytest.raises(ValueError, match="NotAnEvent"):
        construct.metric_security_event("NotAnEvent")
