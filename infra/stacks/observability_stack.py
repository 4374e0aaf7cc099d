"""ObservabilityStack: audit of every AWS API call, and (next) the dashboards and alarms."""

from __future__ import annotations

from constructs import Construct

from infra.config import AppConfig
from infra.constructs.audit_trail import AuditTrail
from infra.stacks.base import PlatformStack
from infra.stacks.data_stack import DataStack


class ObservabilityStack(PlatformStack):
    """A multi-region CloudTrail trail, encrypted with the logs key, delivered to the log bucket
    and to a log group. With `trail_data_events` (on by default; billed per event) it also records
    reads and writes of the data buckets' objects and Bedrock agent, knowledge-base and guardrail
    calls: who invoked Bedrock, and whether it answered.

    Attributes other stacks use: audit (trail, log_group).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, data: DataStack) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            description="CloudTrail audit trail of the platform's account",
        )
        self.audit = AuditTrail(
            self, "AuditTrail", config=config, logs_key=data.logs_key, log_bucket=data.access_logs_bucket
        )
