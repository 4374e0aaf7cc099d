"""CloudWatch log groups as this project keeps them: KMS-encrypted, with a set retention."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import PRODUCTION_MIN_LOG_RETENTION_DAYS, AppConfig
from infra.policy import acknowledge, acknowledge_cross_stack_reference


class EncryptedLogGroup(Construct):
    """A log group encrypted with `key`, kept for `config.log_retention_days`.

    Two Control Tower rules need a word when they cannot see what deploys:
    - CT.CLOUDWATCH.PR.3 (log group encrypted with a KMS key) accepts only a literal ARN or a
      reference inside the same template. The shared logs key lives in the data stack, so the
      reference crosses stacks; the Control Tower hook at deploy time sees the resolved key ARN.
    - CT.CLOUDWATCH.PR.2 (retained for at least a year): the config requires that in prod;
      a shorter retention is a deliberate choice of a non-production profile.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        key: kms.IKey,
        log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            # A name where a service writes to a log group it names itself (SageMaker's
            # /aws/sagemaker/Endpoints/<name>): created here first, it is encrypted and retained.
            log_group_name=log_group_name,
            encryption_key=key,
            retention=config.log_retention,
            removal_policy=config.data_removal_policy,
        )
        if cdk.Stack.of(key) is not cdk.Stack.of(self):
            acknowledge_cross_stack_reference(
                self.log_group,
                "cloudwatch_log_group_encrypted_check",
                property_name="KmsKeyId (the shared logs key)",
                source=cdk.Stack.of(key),
            )
        if config.log_retention_days < PRODUCTION_MIN_LOG_RETENTION_DAYS:
            acknowledge(
                self.log_group,
                f"Profile {config.profile!r} keeps logs for {config.log_retention_days} days by its "
                f"log_retention_days setting; the prod profile must keep them for at least "
                f"{PRODUCTION_MIN_LOG_RETENTION_DAYS}.",
                "cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check",
            )
