"""The platform's CloudWatch dashboard: Bedrock first, then one section per kind of workload, each
row asked of the workload itself (every `Observable` construct's `dashboard_rows`), so a queue,
function or endpoint added later shows up without anyone editing a widget list here.

aws-cdk-lib's CloudWatch constructs rather than cdk-monitoring-constructs: this dashboard is a few
rows of metrics the workloads describe, the alarms are already WorkloadAlarms' (one topic, our
naming), and a second library would add its own alarm and naming conventions and one more
dependency to pin for about as many lines as it saves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.constructs.observability import FIVE_MINUTES, ROW_HEIGHT, DashboardRow, observables_in

# A CloudWatch dashboard is 24 grid units wide; Bedrock's graphs take half of it each.
FULL_WIDTH = 24
HALF_WIDTH = 12


def search(expression: str, statistic: str, label: str) -> cloudwatch.MathExpression:
    """Every metric matching a CloudWatch SEARCH expression: one line per model, guardrail, ..."""
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{expression}', '{statistic}', {int(FIVE_MINUTES.to_seconds())})",
        using_metrics={},
        label=label,
        period=FIVE_MINUTES,
    )


def heading(text: str) -> cloudwatch.TextWidget:
    return cloudwatch.TextWidget(markdown=f"## {text}", width=FULL_WIDTH, height=1)


def bedrock_widgets(extra_namespaces: Mapping[str, str]) -> list[cloudwatch.IWidget]:
    """Every model and guardrail this account invokes, by SEARCH (no list to keep), and one graph
    per namespace of `extra_namespaces` (title -> namespace, metrics by their `service` dimension)."""
    graph = cloudwatch.GraphWidget
    return [
        heading("Bedrock"),
        graph(
            title="Invocations and throttles by model",
            left=[
                search('{AWS/Bedrock,ModelId} MetricName="Invocations"', "Sum", "invocations"),
                search('{AWS/Bedrock,ModelId} MetricName="InvocationThrottles"', "Sum", "throttles"),
            ],
            width=HALF_WIDTH,
            height=ROW_HEIGHT,
        ),
        graph(
            title="Invocation latency by model (p90)",
            left=[search('{AWS/Bedrock,ModelId} MetricName="InvocationLatency"', "p90", "latency")],
            width=HALF_WIDTH,
            height=ROW_HEIGHT,
        ),
        graph(
            title="Input and output tokens by model",
            left=[
                search('{AWS/Bedrock,ModelId} MetricName="InputTokenCount"', "Sum", "input tokens"),
                search('{AWS/Bedrock,ModelId} MetricName="OutputTokenCount"', "Sum", "output tokens"),
            ],
            width=HALF_WIDTH,
            height=ROW_HEIGHT,
        ),
        graph(
            title="Guardrail interventions",
            left=[search('{AWS/Bedrock/Guardrails} MetricName="InvocationsIntervened"', "Sum", "intervened")],
            width=HALF_WIDTH,
            height=ROW_HEIGHT,
        ),
        *(
            graph(
                title=title,
                left=[search(f"{{{namespace},service}}", "Sum", "events")],
                width=FULL_WIDTH,
                height=ROW_HEIGHT,
            )
            for title, namespace in extra_namespaces.items()
        ),
    ]


class PlatformDashboard(Construct):
    """A dashboard named `dashboard_name`: the Bedrock section, then, for each section the workloads
    of `stacks` name (in the order first found), a heading and every workload's row of it.

    `extra_namespaces` maps a graph title to a namespace of the platform's own metrics (published
    with one `service` dimension), drawn full width in the Bedrock section.

    Attributes: `dashboard`, and `sections`, the workload sections' headings in the order drawn.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        stacks: Sequence[cdk.Stack],
        extra_namespaces: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        # Widgets of one `add_widgets` call are laid out left to right, wrapping at 24 units; each
        # call starts below the previous one, so every row and heading begins on a line of its own.
        self.dashboard.add_widgets(*bedrock_widgets(extra_namespaces or {}))

        rows_by_section: dict[str, list[DashboardRow]] = {}
        for observable in observables_in(stacks):
            for row in observable.dashboard_rows():
                rows_by_section.setdefault(row.section, []).append(row)
        self.sections: list[str] = list(rows_by_section)
        for section, rows in rows_by_section.items():
            self.dashboard.add_widgets(heading(section))
            for row in rows:
                if row.widgets:
                    self.dashboard.add_widgets(*row.widgets)

    @property
    def dashboard_name(self) -> str:
        return self.dashboard.dashboard_name

    @property
    def dashboard_arn(self) -> str:
        return self.dashboard.dashboard_arn
