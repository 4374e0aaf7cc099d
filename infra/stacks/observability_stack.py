"""ObservabilityStack: audit of every AWS API call, alarms on security events and on the workloads,
and the platform's dashboard."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_xray as xray
from constructs import Construct

from infra.config import AuditSection, DeploymentSection
from infra.constructs.audit_trail import AuditTrail
from infra.constructs.document_ingestion import METRICS_NAMESPACE as INGESTION_NAMESPACE
from infra.constructs.platform_dashboard import PlatformDashboard
from infra.constructs.security_alarms import SecurityAlarms
from infra.constructs.workload_alarms import WorkloadAlarms
from infra.stacks.base import PlatformStack
from infra.stacks.data_stack import DataStack

# The data buckets whose object reads and writes are data events (the access-log bucket, where
# the trail itself writes, is left out: logging those writes would log the trail's own delivery).
DATA_EVENT_BUCKETS = ("documents", "model-artifacts", "inference")


class ObservabilityStack(PlatformStack):
    """A multi-region CloudTrail trail, encrypted with the logs key, delivered to the log bucket
    and to a log group. With `trail_data_events` (on by default; billed per event) it also records
    reads and writes of the data buckets' objects and Bedrock agent, knowledge-base and guardrail
    calls: who invoked Bedrock, and whether it answered.

    Security events read from the trail raise alarms on one KMS-encrypted SNS topic, e-mailed to
    `alarm_email` when it is set.

    Attributes other stacks use: audit (trail_name, trail_arn, log_group), security_alarms (topic,
    alarms), workload_alarms (alarms), dashboard.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        deployment: DeploymentSection,
        audit: AuditSection,
        data: DataStack,
        workloads: list[cdk.Stack],
    ) -> None:
        super().__init__(
            scope,
            "Observability",
            deployment=deployment,
            description="CloudTrail audit trail of the platform's account",
        )
        # The data buckets by name, not by a reference that would pin the data stack's exports.
        data_event_buckets = [
            s3.Bucket.from_bucket_attributes(
                self,
                purpose.title().replace("-", "") + "Bucket",
                bucket_name=self.names.bucket(purpose),
                bucket_arn=self.names.bucket_arn(purpose),
            )
            for purpose in DATA_EVENT_BUCKETS
        ]
        self.audit = AuditTrail(
            self,
            "AuditTrail",
            trail_name=self.names.audit_trail,
            log_settings=self.log_settings(data.logs_key),
            log_bucket=data.access_logs_bucket,
            data_events=audit.trail_data_events,
            data_event_buckets=data_event_buckets,
        )
        # Someone disabling a key, opening a bucket, blinding the trail or loosening the guardrail
        # needs a person's attention within minutes.
        self.security_alarms = SecurityAlarms(
            self,
            "SecurityAlarms",
            trail_log_group=self.audit.log_group,
            key=data.logs_key,
            alarm_email=audit.alarm_email,
        )
        # So do failures of the workloads: dead letters, function errors, endpoint errors, failed
        # requests and runs, throttling. Each workload construct names its own (`Observable`).
        self.workload_alarms = WorkloadAlarms(
            self, "WorkloadAlarms", stacks=workloads, topic=self.security_alarms.topic
        )
        if audit.transaction_search:
            self._turn_on_transaction_search()
        cdk.CfnOutput(
            self,
            "DashboardUrl",
            value=f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
            f"#dashboards/dashboard/{self.names.resource()}",
        )
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.security_alarms.topic.topic_arn)
        # One dashboard: Bedrock and the ingestion glue's own metrics, then every workload's row.
        self.dashboard = PlatformDashboard(
            self,
            "Dashboard",
            dashboard_name=self.names.resource(),
            stacks=workloads,
            extra_namespaces={"Knowledge-base ingestion glue": INGESTION_NAMESPACE},
        )

    def _turn_on_transaction_search(self) -> None:
        """CloudWatch Transaction Search for the account and region (AgentCore's traces and spans
        in CloudWatch): X-Ray may write spans into the two log groups it names, then sends spans
        there ("Enable transaction search", CloudWatch User Guide), indexing 1% of them (free).
        Account-wide: retained when this stack is deleted, so a teardown never turns it off for
        others; the deployment that owns it sets `transaction_search`."""
        here = f"{self.region}:{self.account}"
        policy = logs.CfnResourcePolicy(
            self,
            "TransactionSearchXRayAccess",
            policy_name="TransactionSearchXRayAccess",
            policy_document=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TransactionSearchXRayAccess",
                            "Effect": "Allow",
                            "Principal": {"Service": "xray.amazonaws.com"},
                            "Action": "logs:PutLogEvents",
                            "Resource": [
                                f"arn:{self.partition}:logs:{here}:log-group:aws/spans:*",
                                f"arn:{self.partition}:logs:{here}:log-group:/aws/application-signals/data:*",
                            ],
                            "Condition": {
                                "ArnLike": {"aws:SourceArn": f"arn:{self.partition}:xray:{here}:*"},
                                "StringEquals": {"aws:SourceAccount": self.account},
                            },
                        }
                    ],
                }
            ),
        )
        search = xray.CfnTransactionSearchConfig(self, "TransactionSearch", indexing_percentage=1)
        search.node.add_dependency(policy)
        for resource in (policy, search):
            resource.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
