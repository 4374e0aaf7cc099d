"""Alarms on security-sensitive API calls, read from the audit trail's log group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

from infra.constructs.encryption import add_where_owned, service_statement
from infra.constructs.observability import FIVE_MINUTES, alarm_on_any

METRICS_NAMESPACE = "GenAiPlatform/Security"


@dataclass(frozen=True)
class SecurityEvent:
    """An API call that needs a person: `event_names` of `event_source`, as CloudTrail records them.

    `construct_id` names the metric filter, its metric and the alarm ("BucketPolicyChanged").
    """

    construct_id: str
    description: str
    event_source: str
    event_names: tuple[str, ...]

    @property
    def filter_pattern(self) -> str:
        names = " || ".join(f"($.eventName = {name})" for name in self.event_names)
        return f"{{ ($.eventSource = {self.event_source}) && ({names}) }}"


SECURITY_EVENTS = (
    SecurityEvent(
        "KeyDisabledOrScheduledForDeletion",
        "A KMS key was disabled or scheduled for deletion: data encrypted with it becomes unreadable",
        "kms.amazonaws.com",
        ("DisableKey", "ScheduleKeyDeletion"),
    ),
    SecurityEvent(
        "BucketPolicyChanged",
        "An S3 bucket policy was changed or deleted",
        "s3.amazonaws.com",
        ("PutBucketPolicy", "DeleteBucketPolicy"),
    ),
    SecurityEvent(
        "AuditTrailTampered",
        "CloudTrail logging was stopped, or a trail was changed or deleted",
        "cloudtrail.amazonaws.com",
        ("StopLogging", "DeleteTrail", "UpdateTrail"),
    ),
    SecurityEvent(
        "GuardrailChanged",
        "A Bedrock guardrail was changed or deleted",
        "bedrock.amazonaws.com",
        ("UpdateGuardrail", "DeleteGuardrail"),
    ),
    SecurityEvent(
        "AssistantChanged",
        "The AgentCore harness, its endpoint or its gateway was changed or deleted",
        "bedrock-agentcore.amazonaws.com",
        (
            "UpdateHarness",
            "DeleteHarness",
            "UpdateHarnessEndpoint",
            "DeleteHarnessEndpoint",
            "UpdateGateway",
            "DeleteGateway",
            "UpdateGatewayTarget",
            "DeleteGatewayTarget",
        ),
    ),
)


class SecurityAlarms(Construct):
    """One metric filter on `trail_log_group` and one alarm per security event (`events`, by default
    SECURITY_EVENTS), all alarming to one topic.

    The topic is encrypted with `key` and TLS-only. Alarms publish as CloudWatch's service principal,
    so `key`'s policy must hold `SecurityAlarms.alarm_topic_key_statement(key)`: without it no alarm
    reaches the topic, and nothing fails at deploy time. The construct adds it when `key` is a key
    its own stack creates; a key of another stack, or an imported one, is its owner's to open (the
    platform's data stack holds it for the logs key). With `alarm_email` set, that address is
    subscribed (it must confirm).

    Attributes: `topic`, `alarms` (in the order of `events`); `metric_security_event(name)`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trail_log_group: logs.ILogGroup,
        key: kms.IKey,
        alarm_email: str | None = None,
        events: Sequence[SecurityEvent] = SECURITY_EVENTS,
        metrics_namespace: str = METRICS_NAMESPACE,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.metrics_namespace = metrics_namespace
        self._event_names = {event.construct_id for event in events}
        add_where_owned(self, key, [self.alarm_topic_key_statement(key)])
        self.topic = sns.Topic(
            self, "Topic", display_name="GenAI platform alarms", master_key=key, enforce_ssl=True
        )
        # A topic policy replaces the topic's default policy, and `enforce_ssl` writes one that only
        # denies: CloudWatch, a service principal, may publish only if the policy allows it (Amazon
        # CloudWatch User Guide, "Using Amazon CloudWatch alarms": encrypted topics and topic policies).
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccountToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": _alarms_of_the_account(stack)},
                },
            )
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))

        self.alarms: list[cloudwatch.Alarm] = []
        for event in events:
            logs.MetricFilter(
                self,
                f"{event.construct_id}Filter",
                log_group=trail_log_group,
                filter_pattern=logs.FilterPattern.literal(event.filter_pattern),
                metric_namespace=metrics_namespace,
                metric_name=event.construct_id,
                metric_value="1",
                default_value=0,
            )
            self.alarms.append(
                alarm_on_any(
                    self,
                    f"{event.construct_id}Alarm",
                    metric=self.metric_security_event(event.construct_id),
                    description=event.description,
                    topic=self.topic,
                )
            )

    @staticmethod
    def alarm_topic_key_statement(scope: IConstruct) -> iam.PolicyStatement:
        """What the topic's key must allow: CloudWatch alarms of this account publishing to a topic
        encrypted with it. The statement of the SNS Developer Guide ("Enable compatibility between
        event sources from AWS services and encrypted topics"), with the confused-deputy conditions it
        recommends for every source but EventBridge. `scope` is the key, or any construct of its
        stack: the statement names that stack's account and region."""
        stack = cdk.Stack.of(scope)
        return service_statement(
            sid="AllowCloudWatchAlarmsOfThisAccountToPublish",
            service="cloudwatch.amazonaws.com",
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            account=stack.account,
            source_arn=_alarms_of_the_account(stack),
        )

    def metric_security_event(
        self, name: str, *, statistic: str = "Sum", period: cdk.Duration = FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """How many times the security event `name` ("BucketPolicyChanged") was recorded."""
        if name not in self._event_names:
            raise ValueError(f"{name!r} is not one of this construct's events: {sorted(self._event_names)}")
        return cloudwatch.Metric(
            namespace=self.metrics_namespace, metric_name=name, statistic=statistic, period=period
        )


def _alarms_of_the_account(stack: cdk.Stack) -> str:
    return f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
