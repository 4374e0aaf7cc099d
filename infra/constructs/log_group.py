"""CloudWatch log groups as this project keeps them: KMS-encrypted, with a set retention."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.policy import acknowledge, acknowledge_cross_stack_reference

# CT.CLOUDWATCH.PR.2 asks for at least a year.
ONE_YEAR_DAYS = 365
# The retentions CloudWatch Logs accepts (PutRetentionPolicy), in days.
RETENTION_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


@dataclass(frozen=True)
class LogSettings:
    """How every log group of a construct is kept: the key that encrypts it, how long, and what a
    stack deletion does. `short_retention_reason` says why logs are kept for less than a year, and
    is required when they are (the Control Tower rule CT.CLOUDWATCH.PR.2 asks for a year)."""

    encryption_key: kms.IKey
    retention_days: int
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    short_retention_reason: str | None = None

    def __post_init__(self) -> None:
        if self.retention_days not in RETENTION_DAYS:
            raise ValueError(f"retention_days {self.retention_days} is not one of {sorted(RETENTION_DAYS)}")
        if self.retention_days < ONE_YEAR_DAYS and not self.short_retention_reason:
            raise ValueError(
                f"Logs kept for {self.retention_days} days (less than {ONE_YEAR_DAYS}) need a "
                "short_retention_reason"
            )

    @property
    def retention(self) -> logs.RetentionDays:
        return RETENTION_DAYS[self.retention_days]


class EncryptedLogGroup(Construct):
    """A log group encrypted with `settings.encryption_key`, kept for `settings.retention`.

    Two Control Tower rules need a word when they cannot see what deploys:
    - CT.CLOUDWATCH.PR.3 (log group encrypted with a KMS key) accepts only a literal ARN or a
      reference inside the same template. A shared logs key usually lives in another stack, so
      the reference crosses stacks; the Control Tower hook at deploy time sees the resolved ARN.
    - CT.CLOUDWATCH.PR.2 (retained for at least a year): a shorter retention carries the reason
      its owner gave in `LogSettings.short_retention_reason`.
    - cdk-nag and Guard see every other property in the template.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: LogSettings,
        log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            # A name where a service writes to a log group it names itself (SageMaker's
            # /aws/sagemaker/Endpoints/<name>): created here first, it is encrypted and retained.
            log_group_name=log_group_name,
            encryption_key=settings.encryption_key,
            retention=settings.retention,
            removal_policy=settings.removal_policy,
        )
        if cdk.Stack.of(settings.encryption_key) is not cdk.Stack.of(self):
            acknowledge_cross_stack_reference(
                self.log_group,
                "cloudwatch_log_group_encrypted_check",
                property_name="KmsKeyId (the shared logs key)",
                source=cdk.Stack.of(settings.encryption_key),
            )
        if settings.retention_days < ONE_YEAR_DAYS:
            acknowledge(
                self.log_group,
                settings.short_retention_reason,
                "cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check",
            )

    @property
    def log_group_name(self) -> str:
        return self.log_group.log_group_name

    @property
    def log_group_arn(self) -> str:
        return self.log_group.log_group_arn
