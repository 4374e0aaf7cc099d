"""SageMakerEndpoint: what every endpoint offers (name, ARN, describe grant, per-variant metrics, a
5xx alarm and a dashboard row), shown on a minimal endpoint."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.constructs.observability import FIVE_MINUTES, ROW_HEIGHT, Observable
from infra.constructs.sagemaker_endpoint import SECTION, SageMakerEndpoint
from tests.infra.constructs.conftest import template_of
from tests.infra.constructs.serving_support import grantee, policy_statements


class Minimal(SageMakerEndpoint):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, endpoint_name="minimal")
        config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="AllTraffic", model_name="m"
                )
            ],
        )
        self._create_endpoint(config)

    def _mode_widget(self) -> cloudwatch.IWidget:
        return cloudwatch.TextWidget(markdown="mode", width=8, height=ROW_HEIGHT)


def test_the_endpoint_is_named_and_its_arn_is_its_ref(stack: cdk.Stack) -> None:
    endpoint = Minimal(stack, "Minimal")
    [(logical_id, resource)] = template_of(stack).find_resources("AWS::SageMaker::Endpoint").items()
    assert resource["Properties"]["EndpointName"] == endpoint.endpoint_name == "minimal"
    assert stack.resolve(endpoint.endpoint_arn) == {"Ref": logical_id}


def test_grant_describe_writes_one_statement_named_after_the_construct(stack: cdk.Stack) -> None:
    endpoint = Minimal(stack, "My-Endpoint_1")
    policy = grantee(stack)
    endpoint.grant_describe(policy)
    statement = policy_statements(stack, policy)["DescribeMyEndpoint1Endpoint"]  # IAM: alphanumeric only
    assert statement["Action"] == "sagemaker:DescribeEndpoint"
    assert statement["Resource"] == stack.resolve(endpoint.endpoint_arn)


def test_metrics_are_per_variant_over_five_minutes_by_default(stack: cdk.Stack) -> None:
    metric = Minimal(stack, "Minimal").metric_invocation_5xx_errors()
    assert (metric.namespace, metric.metric_name, metric.statistic) == (
        "AWS/SageMaker",
        "Invocation5XXErrors",
        "Sum",
    )
    assert metric.dimensions == {"EndpointName": "minimal", "VariantName": "AllTraffic"}
    assert metric.period.to_seconds() == FIVE_MINUTES.to_seconds()


def test_it_is_observable_with_a_5xx_alarm_and_one_row_of_three_widgets(stack: cdk.Stack) -> None:
    endpoint = Minimal(stack, "Minimal")
    assert isinstance(endpoint, Observable)
    [rule] = endpoint.alarm_rules()
    assert rule.name == "Invocation5xxErrors"
    assert rule.description == "SageMaker endpoint minimal answered with server errors"
    assert rule.threshold == 1
    [row] = endpoint.dashboard_rows()
    assert row.section == SECTION == "SageMaker endpoints"
    invocations, latency, mode = row.widgets
    assert (invocations.width, latency.width, mode.width) == (8, 8, 8)
    assert stack.resolve(invocations.to_json())[0]["properties"]["title"] == "minimal: invocations and errors"
    assert [m[1] for m in stack.resolve(invocations.to_json())[0]["properties"]["metrics"]] == [
        "Invocations",
        "Invocation4XXErrors",
        "Invocation5XXErrors",
    ]
    rendered = stack.resolve(latency.to_json())[0]["properties"]
    assert rendered["title"] == "minimal: model latency (p90, microseconds)"
    assert rendered["metrics"] == [
        [
            "AWS/SageMaker",
            "ModelLatency",
            "EndpointName",
            "minimal",
            "VariantName",
            "AllTraffic",
            {"label": "minimal ModelLatency", "stat": "p90"},
        ]
    ]
