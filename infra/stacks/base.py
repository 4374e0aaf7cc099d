"""What every stack of the platform has in common."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import PRODUCTION_MIN_LOG_RETENTION_DAYS, DeploymentSection
from infra.constructs.log_group import LogSettings
from infra.naming import PROJECT, Names

__all__ = ["PROJECT", "PlatformStack", "names_of"]


def names_of(deployment: DeploymentSection) -> Names:
    """The deployment's names, with the account and partition as CloudFormation pseudo parameters
    (the same template for every account; the region is the configured one)."""
    return Names(
        profile=deployment.profile,
        region=deployment.region,
        account=cdk.Aws.ACCOUNT_ID,
        partition=cdk.Aws.PARTITION,
    )


class PlatformStack(cdk.Stack):
    """A stack of the platform: in the configured account and region, named by `Names.stack`.

    The region is concrete so that region-specific settings can be validated at synth. The
    account stays a token unless configured, so synth needs no credentials and gives the same
    template every time (AZs are picked with `Fn::GetAZs` at deploy time: see NetworkStack).
    Each stack receives the deployment section and its own section of the configuration.
    """

    def __init__(
        self, scope: Construct, role: str, *, deployment: DeploymentSection, description: str
    ) -> None:
        names = names_of(deployment)
        super().__init__(
            scope,
            names.stack(role),
            env=cdk.Environment(account=deployment.account, region=deployment.region),
            description=description,
            # No AWS::CDK::Metadata resource: templates stay identical whatever CDK version wrote them.
            analytics_reporting=False,
            # A prod stack cannot be deleted by accident; dev stacks come and go.
            termination_protection=deployment.is_production,
        )
        self.deployment = deployment
        # Every name this stack gives or refers to (its own, other stacks' buckets, key aliases).
        self.names: Names = names

    def log_settings(self, key: kms.IKey) -> LogSettings:
        """How this profile keeps log groups: encrypted with `key`, for `log_retention_days`."""
        deployment = self.deployment
        days = deployment.log_retention_days
        return LogSettings(
            encryption_key=key,
            retention_days=days,
            removal_policy=deployment.data_removal_policy,
            short_retention_reason=(
                f"Profile {deployment.profile!r} keeps logs for {days} days by its "
                f"log_retention_days setting; the prod profile must keep them for at least "
                f"{PRODUCTION_MIN_LOG_RETENTION_DAYS}."
            )
            if days < PRODUCTION_MIN_LOG_RETENTION_DAYS
            else None,
        )
