"""S3 object events of one bucket prefix, queued for a Lambda function:

    S3 object event under the prefix
      -> EventBridge rule (the data buckets send all their events to EventBridge)
      -> SQS queue (KMS, dead-letter queue)

EventBridge rather than an S3 notification: the buckets live in the data stack, and a
notification to a queue in another stack would make each stack depend on the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.encryption import add_where_owned, eventbridge_delivery_statement
from infra.constructs.observability import (
    FIVE_MINUTES,
    HIDDEN_ID,
    ROW_HEIGHT,
    AlarmRule,
    DashboardRow,
    display_path,
)
from infra.policy import acknowledge_cross_stack_reference, acknowledge_synchronous_function


class ObjectEventQueue(Construct):
    """An EventBridge rule (ID `rule_id`) for `detail_types` of objects under `prefix` of bucket
    `bucket_name`, delivering to a queue with a dead-letter queue (IDs "Queue", "DeadLetterQueue"),
    both encrypted with `key`, whose owner calls it `key_name`.

    EventBridge encrypts what it delivers with `key`, so the key's policy must hold
    `ObjectEventQueue.eventbridge_key_statement(sid)`: without it EventBridge delivers nothing (to
    either queue), and nothing fails at deploy time. The construct adds it (as `key_statement_sid`,
    by default one named after `rule_id`) when `key` is a key its own stack creates; a key of another
    stack, or an imported one, is its owner's to open (the platform's data stack holds it for both
    of the platform's queues).

    A message goes to the dead-letter queue after `max_receive_count` receives; it comes back
    after `visibility_timeout` (AWS asks for at least six times the consumer's timeout).

    Attributes: `queue`, `dead_letter_queue`, `rule`. Observable: an alarm on any message in the
    dead-letter queue, and a dashboard row of both queues' backlog and age.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rule_id: str,
        description: str,
        bucket_name: str,
        prefix: str,
        detail_types: Sequence[str],
        key: kms.IKey,
        key_name: str,
        visibility_timeout: cdk.Duration,
        max_receive_count: int,
        key_statement_sid: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        sid = key_statement_sid or f"AllowEventBridgeToEncrypt{rule_id}Events"
        add_where_owned(self, key, [self.eventbridge_key_statement(sid)])
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            # Marks it as a dead-letter queue (Control Tower CT.SQS.PR.1). "byQueue" would have to
            # name the source queue, whose redrive policy names this one: a reference cycle.
            redrive_allow_policy=sqs.RedriveAllowPolicy(redrive_permission=sqs.RedrivePermission.ALLOW_ALL),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=max_receive_count
            ),
        )
        for each in (self.queue, self.dead_letter_queue):
            acknowledge_cross_stack_reference(
                each,
                "sqs_queue_encrypted_check",
                property_name=f"KmsMasterKeyId (the {key_name})",
                source=cdk.Stack.of(key),
            )
        # The rule targets the queues through references that carry no key: given the queue itself,
        # the CDK would also grant EventBridge kms:Encrypt, GenerateDataKey* and ReEncrypt* on the
        # key. `eventbridge_key_statement` is the only KMS grant EventBridge gets, and the queue
        # policies below admit this rule alone.
        self.rule = events.Rule(
            self,
            rule_id,
            description=description,
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=list(detail_types),
                detail={"bucket": {"name": [bucket_name]}, "object": {"key": [{"prefix": prefix}]}},
            ),
            targets=[
                targets.SqsQueue(
                    sqs.Queue.from_queue_arn(self, "QueueTarget", self.queue.queue_arn),
                    dead_letter_queue=sqs.Queue.from_queue_arn(
                        self, "DeadLetterTarget", self.dead_letter_queue.queue_arn
                    ),
                )
            ],
        )
        cdk.Annotations.of(self.rule).acknowledge_warning(
            "@aws-cdk/aws-events:ruleUnresolvedEnvironment",
            "The target references are this stack's own queues, by an ARN token that hides their "
            "(same) account and region from the CDK; the rule and queues deploy together.",
        )
        for each in (self.queue, self.dead_letter_queue):
            each.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"{rule_id}RuleOnly",
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sqs:SendMessage"],
                    resources=[each.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": self.rule.rule_arn}},
                )
            )

    @staticmethod
    def eventbridge_key_statement(sid: str) -> iam.PolicyStatement:
        """What the queues' key must allow: EventBridge encrypting the events it delivers to them, in
        the form the EventBridge User Guide documents (no condition: see
        `encryption.eventbridge_delivery_statement`). One statement serves every queue of the key."""
        return eventbridge_delivery_statement(sid=sid)

    def feed(
        self,
        function: lambda_.IFunction,
        *,
        batch_size: int,
        max_concurrency: int,
        batching_window: cdk.Duration | None = None,
    ) -> None:
        """Deliver the queue to `function` through an event source mapping that takes partial
        batch responses, so a failed message comes back alone and ends in the dead-letter queue.
        The function's role needs `consumer_statements` (its policy is not updated here)."""
        function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=batch_size,
                max_batching_window=batching_window,
                max_concurrency=max_concurrency,
                report_batch_item_failures=True,
            )
        )
        acknowledge_synchronous_function(
            function,
            "An SQS event source mapping invokes this function synchronously; messages it cannot "
            "process go to the queue's own dead-letter queue after the queue's maximum receives.",
        )

    def consumer_statements(self, key: kms.IKey | None = None) -> list[iam.PolicyStatement]:
        """What a Lambda function needs to consume the queue through an event source mapping,
        including decrypting messages with the queues' key (`key`, if given, is that key)."""
        key = key or self._key
        region = cdk.Stack.of(self.queue).region
        return [
            iam.PolicyStatement(
                sid="ConsumeObjectEvents",
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                resources=[self.queue.queue_arn],
            ),
            iam.PolicyStatement(
                sid="DecryptObjectEvents",
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
            ),
        ]

    def alarm_rules(self) -> Sequence[AlarmRule]:
        dead_letters = self.dead_letter_queue
        return [
            AlarmRule(
                name="MessagesInDeadLetterQueue",
                metric=dead_letters.metric_approximate_number_of_messages_visible(
                    statistic="Maximum", period=FIVE_MINUTES
                ),
                description=f"Messages wait in dead-letter queue {display_path(dead_letters)}: "
                "they failed every retry",
            )
        ]

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        queues = (self.queue, self.dead_letter_queue)
        path = display_path(self)
        return [
            DashboardRow(
                section="Queues",
                widgets=[
                    cloudwatch.GraphWidget(
                        title=f"{path}: messages waiting (the dead-letter queue should stay at 0)",
                        left=[
                            q.metric_approximate_number_of_messages_visible(
                                period=FIVE_MINUTES, statistic="Maximum", label=display_path(q)
                            )
                            for q in queues
                        ],
                        width=12,
                        height=ROW_HEIGHT,
                    ),
                    cloudwatch.GraphWidget(
                        title=f"{path}: age of the oldest message (seconds)",
                        left=[
                            q.metric_approximate_age_of_oldest_message(
                                period=FIVE_MINUTES, statistic="Maximum", label=display_path(q)
                            )
                            for q in queues
                        ],
                        width=12,
                        height=ROW_HEIGHT,
                    ),
                ],
            )
        ]


def queue_object_events(
    scope: Construct,
    *,
    rule_id: str,
    description: str,
    bucket_name: str,
    prefix: str,
    detail_types: list[str],
    key: kms.IKey,
    key_name: str,
    visibility_timeout: cdk.Duration,
    max_receive_count: int,
    key_statement_sid: str | None = None,
) -> ObjectEventQueue:
    """An `ObjectEventQueue` in `scope` whose rule and queues keep the logical IDs they had when
    this function created them directly in `scope` (IDs "Queue", "DeadLetterQueue", `rule_id`):
    its construct ID is the one CloudFormation leaves out of logical IDs, so nothing is replaced.
    At most one per scope."""
    return ObjectEventQueue(
        scope,
        HIDDEN_ID,
        rule_id=rule_id,
        description=description,
        bucket_name=bucket_name,
        prefix=prefix,
        detail_types=detail_types,
        key=key,
        key_name=key_name,
        key_statement_sid=key_statement_sid,
        visibility_timeout=visibility_timeout,
        max_receive_count=max_receive_count,
    )
