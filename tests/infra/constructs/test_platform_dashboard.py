"""PlatformDashboard: Bedrock first, then one section per kind of workload, rows asked of the workloads."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.constructs.observability import AlarmRule, DashboardRow
from infra.constructs.platform_dashboard import PlatformDashboard
from tests.infra.constructs.conftest import template_of


def text(markdown: str) -> cloudwatch.TextWidget:
    return cloudwatch.TextWidget(markdown=markdown, width=8, height=2)


class Workload(Construct):
    """A fake workload with one row of one text widget per given section."""

    def __init__(self, scope: Construct, construct_id: str, *sections: str) -> None:
        super().__init__(scope, construct_id)
        self._rows = [DashboardRow(section, [text(f"{construct_id} in {section}")]) for section in sections]

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return []

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        return self._rows


@pytest.fixture
def workloads(app: cdk.App) -> cdk.Stack:
    return cdk.Stack(app, "Workloads")


def widgets(stack: cdk.Stack) -> list[dict]:
    """The dashboard's widgets in the order of the body (CloudWatch's: by position)."""
    [dashboard] = template_of(stack).find_resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):
        # A body with tokens (the region) is an Fn::Join; the tokens are not what is tested here.
        body = "".join(part if isinstance(part, str) else "REGION" for part in body["Fn::Join"][1])
    return json.loads(body)["widgets"]


def texts(stack: cdk.Stack) -> list[str]:
    return [w["properties"]["markdown"] for w in widgets(stack) if w["type"] == "text"]


def test_bedrock_comes_first_by_search_so_no_model_list_is_kept(stack: cdk.Stack) -> None:
    PlatformDashboard(stack, "Dashboard", dashboard_name="platform", stacks=[])
    found = widgets(stack)
    assert found[0]["properties"]["markdown"] == "## Bedrock"
    body = json.dumps(found)
    for expression in (
        '{AWS/Bedrock,ModelId} MetricName=\\"Invocations\\"',
        '{AWS/Bedrock,ModelId} MetricName=\\"InvocationThrottles\\"',
        '{AWS/Bedrock,ModelId} MetricName=\\"InvocationLatency\\"',
        '{AWS/Bedrock,ModelId} MetricName=\\"InputTokenCount\\"',
        '{AWS/Bedrock/Guardrails} MetricName=\\"InvocationsIntervened\\"',
    ):
        assert f"SEARCH('{expression}'" in body, expression
    assert [w["properties"].get("title") for w in found if w["type"] == "metric"] == [
        "Invocations and throttles by model",
        "Invocation latency by model (p90)",
        "Input and output tokens by model",
        "Guardrail interventions",
    ]
    template_of(stack).has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardName": "platform"})


def test_each_extra_namespace_gets_a_full_width_graph_by_service(stack: cdk.Stack) -> None:
    PlatformDashboard(
        stack,
        "Dashboard",
        dashboard_name="platform",
        stacks=[],
        extra_namespaces={"Ingestion glue": "Test/Ingestion"},
    )
    [glue] = [w for w in widgets(stack) if w["properties"].get("title") == "Ingestion glue"]
    assert glue["width"] == 24
    assert "SEARCH('{Test/Ingestion,service}', 'Sum', 300)" in json.dumps(glue)


def test_sections_come_in_first_seen_order_each_with_its_heading_and_rows(
    stack: cdk.Stack, workloads: cdk.Stack
) -> None:
    Workload(workloads, "Function", "Lambda functions")
    Workload(workloads, "Endpoint", "SageMaker endpoints")
    Workload(workloads, "Worker", "Lambda functions", "Queues")
    Workload(workloads, "Quiet")

    dashboard = PlatformDashboard(stack, "Dashboard", dashboard_name="platform", stacks=[workloads])

    assert dashboard.sections == ["Lambda functions", "SageMaker endpoints", "Queues"]
    assert texts(stack) == [
        "## Bedrock",
        "## Lambda functions",
        "Function in Lambda functions",
        "Worker in Lambda functions",
        "## SageMaker endpoints",
        "Endpoint in SageMaker endpoints",
        "## Queues",
        "Worker in Queues",
    ]


def test_every_heading_and_every_row_starts_a_line_of_its_own(stack: cdk.Stack, workloads: cdk.Stack) -> None:
    Workload(workloads, "First", "Lambda functions")
    Workload(workloads, "Second", "Lambda functions")
    PlatformDashboard(stack, "Dashboard", dashboard_name="platform", stacks=[workloads])
    placed = {w["properties"]["markdown"]: w for w in widgets(stack) if w["type"] == "text"}
    heading, first, second = (
        placed[m] for m in ("## Lambda functions", "First in Lambda functions", "Second in Lambda functions")
    )
    assert (heading["x"], heading["width"]) == (0, 24)
    assert first["x"] == second["x"] == 0
    assert heading["y"] < first["y"] < second["y"]


def test_a_rows_widgets_sit_side_by_side(stack: cdk.Stack, workloads: cdk.Stack) -> None:
    class Endpoint(Workload):
        def dashboard_rows(self) -> Sequence[DashboardRow]:
            return [
                DashboardRow("SageMaker endpoints", [text("invocations"), text("latency"), text("backlog")])
            ]

    Endpoint(workloads, "Endpoint")
    PlatformDashboard(stack, "Dashboard", dashboard_name="platform", stacks=[workloads])
    placed = {w["properties"]["markdown"]: w for w in widgets(stack) if w["type"] == "text"}
    assert [placed[m]["x"] for m in ("invocations", "latency", "backlog")] == [0, 8, 16]
    assert placed["invocations"]["y"] == placed["latency"]["y"] == placed["backlog"]["y"]


def test_only_the_given_stacks_are_drawn(app: cdk.App, stack: cdk.Stack, workloads: cdk.Stack) -> None:
    Workload(workloads, "Drawn", "Queues")
    Workload(cdk.Stack(app, "NotGiven"), "NotDrawn", "Queues")
    PlatformDashboard(stack, "Dashboard", dashboard_name="platform", stacks=[workloads])
    assert texts(stack) == ["## Bedrock", "## Queues", "Drawn in Queues"]
