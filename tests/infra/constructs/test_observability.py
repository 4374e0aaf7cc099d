"""The Observable contract: how workloads are found, and the one alarm shape the platform uses."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match
from constructs import Construct

from infra.constructs.observability import (
    AlarmRule,
    DashboardRow,
    Observable,
    alarm_on_any,
    observables_in,
)
from tests.infra.constructs.conftest import template_of


class Workload(Construct):
    """A stand-in for an endpoint, a function, ...: anything with the two methods is Observable."""

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return []

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        return []


def test_a_rule_fires_at_one_unless_it_says_otherwise() -> None:
    metric = cloudwatch.Metric(namespace="Test", metric_name="Failures")
    assert AlarmRule("Failures", metric, "failed").threshold == 1
    assert AlarmRule("Failures", metric, "failed", threshold=5).threshold == 5


def test_anything_with_both_methods_is_observable_and_nothing_else(stack: cdk.Stack) -> None:
    assert isinstance(Workload(stack, "Workload"), Observable)
    assert not isinstance(Construct(stack, "Plain"), Observable)


def test_observables_are_found_in_every_given_stack_in_tree_order(app: cdk.App, stack: cdk.Stack) -> None:
    first = Workload(stack, "First")
    nested = Workload(first, "Nested")
    Construct(stack, "NotAWorkload")
    second = Workload(stack, "Second")
    other = cdk.Stack(app, "Other")
    elsewhere = Workload(other, "Elsewhere")
    ignored = cdk.Stack(app, "Ignored")
    Workload(ignored, "NotAsked")

    assert observables_in([stack, other]) == [first, nested, second, elsewhere]
    assert observables_in([]) == []


@pytest.mark.parametrize("threshold", [1, 3])
def test_alarm_on_any_notifies_the_topic_at_the_threshold_and_ignores_missing_data(
    stack: cdk.Stack, threshold: float
) -> None:
    topic = sns.Topic(stack, "Topic")
    alarm = alarm_on_any(
        stack,
        "Failures",
        metric=cloudwatch.Metric(namespace="Test", metric_name="Failures", statistic="Sum"),
        description="Something failed",
        topic=topic,
        threshold=threshold,
    )
    assert isinstance(alarm, cloudwatch.Alarm)
    template_of(stack).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmDescription": "Something failed",
            "Namespace": "Test",
            "MetricName": "Failures",
            "Threshold": threshold,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": Match.string_like_regexp("^Topic")}],
        },
    )
