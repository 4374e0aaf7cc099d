"""WorkloadAlarms: one alarm per alarm rule of every Observable in the given stacks, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.observability import AlarmRule, DashboardRow
from infra.constructs.workload_alarms import WorkloadAlarms, alarm_id
from tests.infra.constructs.conftest import template_of


class Workload(Construct):
    """A fake workload whose alarm rules are given."""

    def __init__(self, scope: Construct, construct_id: str, *rules: tuple[str, float]) -> None:
        super().__init__(scope, construct_id)
        self._rules = [
            AlarmRule(
                name,
                cloudwatch.Metric(namespace="Test", metric_name=f"{construct_id}{name}", statistic="Sum"),
                f"{construct_id} {name}",
                threshold,
            )
            for name, threshold in rules
        ]

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return self._rules

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        return []


@pytest.fixture
def workloads(app: cdk.App) -> cdk.Stack:
    """The stack the workloads live in, as the platform's workload stacks are apart from its alarms."""
    return cdk.Stack(app, "Workloads")


@pytest.fixture
def topic(stack: cdk.Stack) -> sns.Topic:
    return sns.Topic(stack, "Topic")


def alarms_of(stack: cdk.Stack) -> dict[str, dict]:
    return {
        logical_id: alarm["Properties"]
        for logical_id, alarm in template_of(stack).find_resources("AWS::CloudWatch::Alarm").items()
    }


def test_each_rule_of_each_observable_gets_one_alarm_to_the_topic(
    stack: cdk.Stack, workloads: cdk.Stack, topic: sns.Topic
) -> None:
    endpoint = Workload(workloads, "Endpoint", ("Invocation5xxErrors", 1), ("BacklogTooLong", 1))
    Workload(endpoint, "Function", ("Errors", 1))
    Workload(workloads, "Quiet")
    Construct(workloads, "NotAWorkload")

    construct = WorkloadAlarms(stack, "WorkloadAlarms", stacks=[workloads], topic=topic)

    found = alarms_of(stack)
    described = sorted(a["AlarmDescription"] for a in found.values())
    assert described == [
        "Bedrock throttled invocations in this account and region (quota reached)",
        "Endpoint BacklogTooLong",
        "Endpoint Invocation5xxErrors",
        "Function Errors",
    ]
    topic_id = stack.get_logical_id(topic.node.default_child)
    assert all(a["AlarmActions"] == [{"Ref": topic_id}] for a in found.values())
    assert len(construct.alarms) == 4


def test_an_alarm_is_named_after_the_observables_path_without_its_stack_and_the_rule(
    stack: cdk.Stack, workloads: cdk.Stack, topic: sns.Topic
) -> None:
    ingestion = Construct(workloads, "Ingestion")
    function = Workload(ingestion, "Function", ("Errors", 1))
    assert alarm_id(function, function.alarm_rules()[0]) == "IngestionFunctionErrors"

    WorkloadAlarms(stack, "WorkloadAlarms", stacks=[workloads], topic=topic)
    # The logical ID the template had when the alarms were listed by hand: no replacement on deploy.
    assert any(i.startswith("WorkloadAlarmsIngestionFunctionErrors") for i in alarms_of(stack))


def test_a_default_path_component_is_left_out_of_the_alarm_id_as_from_logical_ids(
    workloads: cdk.Stack,
) -> None:
    # A construct that takes the ID "Default" keeps its children's logical IDs (the CDK skips it).
    queue = Workload(Construct(workloads, "AsyncInvoke"), "Default", ("MessagesInDeadLetterQueue", 1))
    assert alarm_id(queue, queue.alarm_rules()[0]) == "AsyncInvokeMessagesInDeadLetterQueue"


def test_the_threshold_is_the_rules(stack: cdk.Stack, workloads: cdk.Stack, topic: sns.Topic) -> None:
    Workload(workloads, "Queue", ("MessagesWaiting", 100))
    WorkloadAlarms(stack, "WorkloadAlarms", stacks=[workloads], topic=topic, bedrock_throttling=False)
    [alarm] = alarms_of(stack).values()
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (100, "GreaterThanOrEqualToThreshold")
    assert (alarm["MetricName"], alarm["Statistic"]) == ("QueueMessagesWaiting", "Sum")


def test_bedrock_throttling_is_watched_account_wide(stack: cdk.Stack, topic: sns.Topic) -> None:
    WorkloadAlarms(stack, "WorkloadAlarms", stacks=[], topic=topic)
    [throttling] = alarms_of(stack).values()
    assert (throttling["Namespace"], throttling["MetricName"]) == ("AWS/Bedrock", "InvocationThrottles")
    assert "Dimensions" not in throttling
    assert (throttling["Period"], throttling["Statistic"]) == (300, "Sum")


def test_bedrock_throttling_can_be_left_to_someone_else(stack: cdk.Stack, topic: sns.Topic) -> None:
    WorkloadAlarms(stack, "WorkloadAlarms", stacks=[], topic=topic, bedrock_throttling=False)
    assert alarms_of(stack) == {}


def test_only_the_given_stacks_are_watched(
    app: cdk.App, stack: cdk.Stack, workloads: cdk.Stack, topic: sns.Topic
) -> None:
    Workload(workloads, "Watched", ("Errors", 1))
    Workload(cdk.Stack(app, "NotGiven"), "Unwatched", ("Errors", 1))
    WorkloadAlarms(stack, "WorkloadAlarms", stacks=[workloads], topic=topic, bedrock_throttling=False)
    assert [a["AlarmDescription"] for a in alarms_of(stack).values()] == ["Watched Errors"]


def test_two_observables_that_would_share_an_alarm_id_fail_the_synth_loudly(
    app: cdk.App, stack: cdk.Stack, workloads: cdk.Stack, topic: sns.Topic
) -> None:
    Workload(workloads, "Function", ("Errors", 1))
    Workload(cdk.Stack(app, "Twin"), "Function", ("Errors", 1))
    twin = app.node.find_child("Twin")
    with pytest.raises(RuntimeError, match="FunctionErrors"):
        WorkloadAlarms(stack, "WorkloadAlarms", stacks=[workloads, twin], topic=topic)
