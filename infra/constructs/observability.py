"""The one small contract between a workload and the platform's alarms and dashboard.

A construct that runs something a person must hear about (an endpoint, a function, a queue, a
state machine, the assistant) implements `Observable`: it names the conditions that need a person
(`alarm_rules`) and the widgets that show how it is doing (`dashboard_rows`). `WorkloadAlarms` and
`PlatformDashboard` find every `Observable` in the stacks they are given and ask it; neither knows
any workload class, so a new kind of workload touches only its own module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

# Most workload alarms look at five-minute sums; a row on the dashboard is this high.
FIVE_MINUTES = cdk.Duration.minutes(5)
ROW_HEIGHT = 6


@dataclass(frozen=True)
class AlarmRule:
    """A condition that needs a person: `metric` at or above `threshold` for one period.

    `name` is short and unique within its construct ("Errors", "FailedExecutions"); the alarm's
    construct ID is the construct's path plus `name`, so it stays stable as long as both do.
    """

    name: str
    metric: cloudwatch.IMetric
    description: str
    threshold: float = 1


@dataclass(frozen=True)
class DashboardRow:
    """Widgets for one workload, shown under the heading `section` ("SageMaker endpoints", ...).

    Rows of the same section are drawn together, in the order the workloads are found.
    """

    section: str
    widgets: Sequence[cloudwatch.IWidget]


@runtime_checkable
class Observable(Protocol):
    """What a workload construct offers the platform's alarms and dashboard."""

    def alarm_rules(self) -> Sequence[AlarmRule]:
        """The conditions that need a person; empty if none."""
        ...

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        """The widgets that show how it is doing; empty if none."""
        ...


# The construct ID the CDK leaves out of logical IDs: a construct may take it to keep its children's.
HIDDEN_ID = "Default"


def display_path(construct: IConstruct) -> str:
    """A construct's path as a person knows it: without the ID that logical IDs leave out."""
    return "/".join(part for part in construct.node.path.split("/") if part != HIDDEN_ID)


def observables_in(stacks: Iterable[cdk.Stack]) -> list[IConstruct]:
    """Every `Observable` construct in `stacks`, in construct-tree order (stable between synths)."""
    return [c for stack in stacks for c in stack.node.find_all() if isinstance(c, Observable)]


def alarm_on_any(
    scope: Construct,
    construct_id: str,
    *,
    metric: cloudwatch.IMetric,
    description: str,
    topic: sns.ITopic,
    threshold: float = 1,
) -> cloudwatch.Alarm:
    """An alarm that notifies `topic` as soon as `metric` reaches `threshold` in one period (no data:
    all is well): the platform's alarms all mean "a person should look at this now"."""
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(actions.SnsAction(topic))
    return alarm
