"""What the real-time, serverless and asynchronous endpoints share: the endpoint, its name and ARN,
who may describe it, its metrics, and its alarm and dashboard row (the `Observable` protocol)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra.constructs.observability import FIVE_MINUTES, ROW_HEIGHT, AlarmRule, DashboardRow
from infra.sagemaker_hosting import VARIANT

SECTION = "SageMaker endpoints"
# Three widgets of a third of the dashboard's 24 columns: one row per endpoint.
WIDGET_WIDTH = 8


class SageMakerEndpoint(Construct):
    """A SageMaker endpoint named `endpoint_name`, with one production variant (AllTraffic).

    Subclasses build the endpoint config and call `_create_endpoint`; they add the widget that
    shows what matters for their mode (`_mode_widget`). Invocation metrics are per variant
    (EndpointName, VariantName) unless the endpoint hosts inference components (SageMaker
    Developer Guide, "SageMaker AI endpoint invocation metrics", dimensions table).
    """

    def __init__(self, scope: Construct, construct_id: str, *, endpoint_name: str) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        # A statement ID unique to this endpoint among its siblings (IAM: alphanumeric only).
        self._sid = re.sub(r"[^A-Za-z0-9]", "", construct_id)

    def _create_endpoint(self, endpoint_config: sagemaker.CfnEndpointConfig) -> sagemaker.CfnEndpoint:
        self._endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=endpoint_config.attr_endpoint_config_name,
        )
        return self._endpoint

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN (its CloudFormation Ref)."""
        return self._endpoint.ref

    # --- grants ---------------------------------------------------------------------------------

    def grant_describe(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` call DescribeEndpoint on this endpoint."""
        policy.add_statements(
            iam.PolicyStatement(
                sid=f"Describe{self._sid}Endpoint",
                actions=["sagemaker:DescribeEndpoint"],
                resources=[self.endpoint_arn],
            )
        )

    # --- metrics --------------------------------------------------------------------------------

    @property
    def variant_dimensions(self) -> dict[str, str]:
        return {"EndpointName": self.endpoint_name, "VariantName": VARIANT}

    def metric(
        self,
        metric_name: str,
        *,
        dimensions_map: dict[str, str] | None = None,
        statistic: str = "Sum",
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """An AWS/SageMaker metric of this endpoint over five minutes, per variant by default."""
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=metric_name,
            dimensions_map=dimensions_map if dimensions_map is not None else self.variant_dimensions,
            statistic=statistic,
            period=FIVE_MINUTES,
            label=label,
        )

    def metric_invocation_5xx_errors(self) -> cloudwatch.Metric:
        """Requests the model answered with a server error (5xx), summed."""
        return self.metric("Invocation5XXErrors")

    # --- Observable -----------------------------------------------------------------------------

    def _invocation_5xx_description(self) -> str:
        return f"SageMaker endpoint {self.endpoint_name} answered with server errors"

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return [
            AlarmRule(
                "Invocation5xxErrors", self.metric_invocation_5xx_errors(), self._invocation_5xx_description()
            )
        ]

    def _dashboard_metric(
        self, metric_name: str, dimensions_map: dict[str, str], statistic: str = "Sum"
    ) -> cloudwatch.Metric:
        """A metric for the dashboard, labelled with what it measures and whose it is."""
        owner = dimensions_map.get("EndpointName") or dimensions_map.get("InferenceComponentName")
        return self.metric(
            metric_name, dimensions_map=dimensions_map, statistic=statistic, label=f"{owner} {metric_name}"
        )

    def _graph(self, title: str, **metrics: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=f"{self.endpoint_name}: {title}", width=WIDGET_WIDTH, height=ROW_HEIGHT, **metrics
        )

    def _mode_widget(self) -> cloudwatch.IWidget:
        raise NotImplementedError

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        variant = self.variant_dimensions
        return [
            DashboardRow(
                SECTION,
                [
                    self._graph(
                        "invocations and errors",
                        left=[self._dashboard_metric("Invocations", variant)],
                        right=[
                            self._dashboard_metric("Invocation4XXErrors", variant),
                            self._dashboard_metric("Invocation5XXErrors", variant),
                        ],
                    ),
                    self._graph(
                        "model latency (p90, microseconds)",
                        left=[self._dashboard_metric("ModelLatency", variant, "p90")],
                    ),
                    self._mode_widget(),
                ],
            )
        ]
