"""Alarms on what the platform's workloads do, asked of the workloads themselves: every `Observable`
construct in the given stacks names its conditions (`alarm_rules`), so a queue, function, endpoint
or state machine added later gets its alarms without anyone remembering to add them here."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from infra.constructs.observability import FIVE_MINUTES, AlarmRule, alarm_on_any, display_path, observables_in


def alarm_id(observable: IConstruct, rule: AlarmRule) -> str:
    """`AsyncInvokeFunctionErrors`: the observable's path without its stack, and the rule's name.

    A path component "Default" is left out, as the CDK leaves it out of logical IDs (a construct may
    take that ID to keep its children's logical IDs). Stable as long as path and name are, so a
    redeploy updates an alarm in place instead of replacing it.
    """
    return "".join(display_path(observable).split("/")[1:]) + rule.name


class WorkloadAlarms(Construct):
    """One alarm per alarm rule of every `Observable` in `stacks`, all notifying `topic`.

    With `bedrock_throttling` (the default) one more: Bedrock throttled an invocation in this
    account and region. Bedrock's quotas are the account's, not a construct's, so no workload owns it.

    Attributes: `alarms`, every alarm created, in the order the observables were found.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stacks: Sequence[cdk.Stack],
        topic: sns.ITopic,
        bedrock_throttling: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        for observable in observables_in(stacks):
            for rule in observable.alarm_rules():
                self.alarms.append(
                    alarm_on_any(
                        self,
                        alarm_id(observable, rule),
                        metric=rule.metric,
                        description=rule.description,
                        topic=topic,
                        threshold=rule.threshold,
                    )
                )
        if bedrock_throttling:
            self.alarms.append(
                alarm_on_any(
                    self,
                    "BedrockThrottling",
                    metric=self.metric_bedrock_invocation_throttles(),
                    description="Bedrock throttled invocations in this account and region (quota reached)",
                    topic=topic,
                )
            )

    @staticmethod
    def metric_bedrock_invocation_throttles(
        *, statistic: str = "Sum", period: cdk.Duration = FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """Bedrock invocations throttled in this account and region, all models together."""
        return cloudwatch.Metric(
            namespace="AWS/Bedrock", metric_name="InvocationThrottles", statistic=statistic, period=period
        )
