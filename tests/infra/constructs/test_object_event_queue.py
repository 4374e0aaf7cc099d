"""ObjectEventQueue: S3 object events of a prefix, through EventBridge, into an encrypted queue with a
dead-letter queue; its alarm and dashboard row; and queue_object_events, which keeps the logical IDs
the rule and queues had before they had a construct of their own."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template
from constructs import Construct

from infra.constructs.object_event_queue import ObjectEventQueue, queue_object_events
from infra.constructs.observability import Observable, display_path, observables_in
from tests.infra.constructs.conftest import statement_with_sid, template_of

SETTINGS = {
    "rule_id": "Changes",
    "description": "Objects under test",
    "bucket_name": "under-test-bucket",
    "prefix": "in/",
    "detail_types": ["Object Created", "Object Deleted"],
    "key_name": "test key",
    "key_statement_sid": "AllowEventBridgeForTheTestQueue",
    "visibility_timeout": cdk.Duration.minutes(6),
    "max_receive_count": 4,
}


@pytest.fixture
def glue(stack: cdk.Stack) -> Construct:
    return Construct(stack, "Glue")


@pytest.fixture
def queues(glue: Construct, key: kms.Key) -> ObjectEventQueue:
    return queue_object_events(glue, key=key, **SETTINGS)


def test_the_rule_and_queues_keep_the_logical_ids_they_had_directly_in_the_scope(
    stack: cdk.Stack, queues: ObjectEventQueue
) -> None:
    # The same IDs created directly under "Glue", as before this construct existed.
    before = cdk.Stack(cdk.App(), "Before")
    scope = Construct(before, "Glue")
    expected = {
        before.get_logical_id(sqs.Queue(scope, "Queue").node.default_child),
        before.get_logical_id(sqs.Queue(scope, "DeadLetterQueue").node.default_child),
        before.get_logical_id(
            events.Rule(
                scope, "Changes", schedule=events.Schedule.rate(cdk.Duration.days(1))
            ).node.default_child
        ),
    }
    actual = {
        stack.get_logical_id(c.node.default_child)
        for c in (queues.queue, queues.dead_letter_queue, queues.rule)
    }
    assert actual == expected
    assert display_path(queues.dead_letter_queue) == "UnderTest/Glue/DeadLetterQueue"


def test_the_rule_matches_the_detail_types_under_the_prefix_of_the_bucket(
    stack: cdk.Stack, queues: ObjectEventQueue
) -> None:
    template_of(stack).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created", "Object Deleted"],
                "detail": {"bucket": {"name": ["under-test-bucket"]}, "object": {"key": [{"prefix": "in/"}]}},
            },
            "Targets": [Match.object_like({"DeadLetterConfig": {"Arn": Match.any_value()}})],
        },
    )


def test_both_queues_are_encrypted_and_messages_end_in_the_dead_letter_queue(
    stack: cdk.Stack, queues: ObjectEventQueue
) -> None:
    template = template_of(stack)
    found = template.find_resources("AWS::SQS::Queue")
    assert len(found) == 2
    for queue in found.values():
        assert "FnGetAttKey" in json.dumps(queue["Properties"]["KmsMasterKeyId"])
    main = found[stack.get_logical_id(queues.queue.node.default_child)]["Properties"]
    assert main["VisibilityTimeout"] == 360
    assert main["RedrivePolicy"]["maxReceiveCount"] == 4
    dead = found[stack.get_logical_id(queues.dead_letter_queue.node.default_child)]["Properties"]
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dead["RedriveAllowPolicy"] == {"redrivePermission": "allowAll"}


def test_only_the_rule_may_send(stack: cdk.Stack, queues: ObjectEventQueue) -> None:
    rule = stack.get_logical_id(queues.rule.node.default_child)
    for policy in template_of(stack).find_resources("AWS::SQS::QueuePolicy").values():
        allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
        assert [(s["Sid"], s["Principal"], s["Action"]) for s in allows] == [
            ("ChangesRuleOnly", {"Service": "events.amazonaws.com"}, "sqs:SendMessage")
        ]
        assert allows[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}


def test_the_keys_owner_lets_eventbridge_encrypt_without_a_condition(stack: cdk.Stack) -> None:
    statement = ObjectEventQueue.eventbridge_key_statement("AllowEventBridgeForTheTestQueue")
    assert stack.resolve(statement.to_statement_json()) == {
        "Sid": "AllowEventBridgeForTheTestQueue",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
    }


def test_a_key_of_another_stack_is_left_to_its_owner(shared: cdk.Stack, queues: ObjectEventQueue) -> None:
    [key] = Template.from_stack(shared).find_resources("AWS::KMS::Key").values()
    principals = [s["Principal"] for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert {"Service": "events.amazonaws.com"} not in principals


def test_a_key_of_its_own_stack_gets_the_eventbridge_statement(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "OwnKey", enable_key_rotation=True)
    ObjectEventQueue(stack, "Inbox", key=key, **SETTINGS)
    ObjectEventQueue(stack, "Other", key=key, **{**SETTINGS, "rule_id": "Uploads", "key_statement_sid": None})
    template_of(stack).has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowEventBridgeForTheTestQueue",
                                "Principal": {"Service": "events.amazonaws.com"},
                            }
                        ),
                        # Without a Sid of its own, the statement is named after the rule.
                        Match.object_like({"Sid": "AllowEventBridgeToEncryptUploadsEvents"}),
                    ]
                )
            }
        },
    )


def test_feeding_a_function_takes_partial_batch_responses(stack: cdk.Stack, queues: ObjectEventQueue) -> None:
    function = lambda_.Function(
        stack,
        "Consumer",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
    )
    queues.feed(function, batch_size=7, max_concurrency=3, batching_window=cdk.Duration.seconds(30))
    template_of(stack).has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [stack.get_logical_id(queues.queue.node.default_child), "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 7,
            "MaximumBatchingWindowInSeconds": 30,
            "ScalingConfig": {"MaximumConcurrency": 3},
        },
    )


def test_a_consumer_may_receive_and_delete_and_decrypt_through_sqs_only(
    stack: cdk.Stack, queues: ObjectEventQueue
) -> None:
    iam.ManagedPolicy(stack, "ConsumerPolicy", statements=queues.consumer_statements())
    template = template_of(stack)
    consume = statement_with_sid(template, "ConsumeObjectEvents")
    assert sorted(consume["Action"]) == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    assert consume["Resource"] == stack.resolve(queues.queue.queue_arn)
    decrypt = statement_with_sid(template, "DecryptObjectEvents")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}


def test_it_is_observable_an_alarm_on_dead_letters(stack: cdk.Stack, queues: ObjectEventQueue) -> None:
    assert isinstance(queues, Observable)
    assert observables_in([stack]) == [queues]
    [rule] = queues.alarm_rules()
    assert rule.name == "MessagesInDeadLetterQueue"
    assert rule.description == (
        "Messages wait in dead-letter queue UnderTest/Glue/DeadLetterQueue: they failed every retry"
    )
    assert rule.threshold == 1
    metric = rule.metric
    assert (metric.namespace, metric.metric_name, metric.statistic) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
    )
    assert metric.period.to_seconds() == 300
    assert stack.resolve(metric.dimensions["QueueName"]) == stack.resolve(queues.dead_letter_queue.queue_name)


def test_its_dashboard_row_shows_backlog_and_age_of_both_queues(
    stack: cdk.Stack, queues: ObjectEventQueue
) -> None:
    [row] = queues.dashboard_rows()
    assert row.section == "Queues"
    rendered = json.dumps(stack.resolve([widget.to_json() for widget in row.widgets]))
    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
        assert metric in rendered
    for queue in (queues.queue, queues.dead_letter_queue):
        assert json.dumps(stack.resolve(queue.queue_name)) in rendered
        assert display_path(queue) in rendered


def test_as_a_construct_of_its_own_it_holds_its_resources(stack: cdk.Stack, key: kms.Key) -> None:
    queues = ObjectEventQueue(stack, "Inbox", key=key, **SETTINGS)
    assert queues.queue.node.path == "UnderTest/Inbox/Queue"
    assert queues.rule.node.path == "UnderTest/Inbox/Changes"
