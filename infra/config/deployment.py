"""Where and how the platform is deployed: the deployment itself, its network, its audit trail."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any, Final

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import field_validator

from infra.config.problems import Problem
from infra.config.rules import Boolean, Context, Section, WholeNumber, whole_number
from infra.constructs.log_group import RETENTION_DAYS
from infra.naming import S3_BUCKET_NAME_MAX_LENGTH, longest_bucket_name
from infra.regions import USABLE_AZS

DEFAULT_PROFILE: Final = "dev"
PROFILE_NAME: Final = re.compile(r"[a-z0-9]{1,8}")
PRODUCTION_PROFILE: Final = "prod"
# Control Tower's CT.CLOUDWATCH.PR.2 wants a year of logs; prod must comply, dev may keep less.
PRODUCTION_MIN_LOG_RETENTION_DAYS: Final = 365

# RFC 1918 private ranges: the only ones a private VPC here may use.
PRIVATE_RANGES: Final = tuple(
    ipaddress.ip_network(r) for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
# AWS allows VPCs from /16 to /28. The network stack splits the VPC into four equal blocks
# (up to three AZs plus the public subnets), and each block must stay a useful subnet: at /24
# each is a /26 with 59 usable addresses (AWS reserves five per subnet).
VPC_PREFIX_RANGE: Final = (16, 24)
MAX_AZ_COUNT: Final = 3


class DeploymentSection(Section):
    """The profile, the account and region it deploys to, and what every stack keeps alike."""

    SECTION = "deployment"

    profile: str
    region: str
    account: str | None = None
    # "Never expire" is not offered: every log group here has a retention, as the HIPAA and NIST
    # packs require.
    log_retention_days: int
    # Reserved concurrency on every Lambda function, so none can starve the others (the HIPAA and
    # NIST packs ask for it). Lambda keeps part of the account's concurrency unreserved (100 per the
    # Lambda developer guide; 10 in new accounts whose quota is 10, where any reservation fails the
    # deploy): off in dev; prod needs a quota of at least 100 plus what it reserves (README).
    reserve_lambda_concurrency: Boolean

    @field_validator("profile", mode="before")
    @classmethod
    def _profile(cls, value: Any) -> str:
        if not isinstance(value, str) or not PROFILE_NAME.fullmatch(value):
            raise ValueError("must be 1 to 8 lowercase letters or digits")
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> str:
        if not isinstance(value, str) or value not in USABLE_AZS:
            raise ValueError(
                "must be an AWS commercial region code, one of: " + ", ".join(sorted(USABLE_AZS))
            )
        return value

    @field_validator("account", mode="before")
    @classmethod
    def _account(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d{12}", value):
            raise ValueError("must be exactly 12 digits, as a string (or left out)")
        return value

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _log_retention_days(cls, value: Any) -> int:
        allowed = "one of the values CloudWatch Logs accepts: " + ", ".join(map(str, RETENTION_DAYS))
        try:
            days = whole_number(value, 1)
        except ValueError:
            raise ValueError(f"must be {allowed}") from None
        if days not in RETENTION_DAYS:
            raise ValueError(f"must be {allowed}")
        return days

    def checks(self, context: Context) -> Iterator[Problem]:
        if self.is_production and self.log_retention_days < PRODUCTION_MIN_LOG_RETENTION_DAYS:
            yield self.problem(
                "log_retention_days",
                f"the {PRODUCTION_PROFILE} profile must keep logs for at least "
                f"{PRODUCTION_MIN_LOG_RETENTION_DAYS} days (audit, Control Tower CT.CLOUDWATCH.PR.2); "
                "allowed: "
                + ", ".join(str(d) for d in RETENTION_DAYS if d >= PRODUCTION_MIN_LOG_RETENTION_DAYS),
            )
        longest_bucket = longest_bucket_name(self.profile, self.region)
        if len(longest_bucket) > S3_BUCKET_NAME_MAX_LENGTH:
            fitting = S3_BUCKET_NAME_MAX_LENGTH - (len(longest_bucket) - len(self.profile))
            yield self.problem(
                "profile",
                f"with region {self.region} the longest bucket name, "
                f"{longest_bucket.replace('0' * 12, '<account>')}, has {len(longest_bucket)} characters "
                f"and S3 allows {S3_BUCKET_NAME_MAX_LENGTH}; allowed: a profile name of at most "
                f"{fitting} characters in {self.region}",
            )

    @property
    def is_production(self) -> bool:
        return self.profile == PRODUCTION_PROFILE

    @property
    def data_removal_policy(self) -> RemovalPolicy:
        """Data (buckets, keys, log groups) is retained in prod and destroyable elsewhere, so that
        `cdk destroy` of a dev deploy leaves nothing behind."""
        return RemovalPolicy.RETAIN if self.is_production else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETENTION_DAYS[self.log_retention_days]


class NetworkSection(Section):
    """The VPC: its range, how many Availability Zones it spans, whether it reaches the internet."""

    SECTION = "network"

    vpc_cidr: str
    az_count: WholeNumber(1, MAX_AZ_COUNT)
    internet_egress: Boolean = False

    @field_validator("vpc_cidr", mode="before")
    @classmethod
    def _vpc_cidr(cls, value: Any) -> str:
        low, high = VPC_PREFIX_RANGE
        allowed = f"an IPv4 CIDR inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, sized /{low} to /{high}"
        try:
            network = ipaddress.IPv4Network(value, strict=True) if isinstance(value, str) else None
        except ValueError:
            network = None
        if network is None or "/" not in value:
            raise ValueError(f"must be {allowed} (with the host bits zero, e.g. 10.40.0.0/16)")
        if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
            raise ValueError(f"is not a private (RFC 1918) range; must be {allowed}")
        if not low <= network.prefixlen <= high:
            raise ValueError(
                f"is too {'large' if network.prefixlen < low else 'small'}; must be {allowed} "
                f"(four equal blocks for up to {MAX_AZ_COUNT} AZs plus public subnets, each at least "
                f"/{high + 2})"
            )
        return str(network)

    def checks(self, context: Context) -> Iterator[Problem]:
        offered = USABLE_AZS[context.region] if context.region else MAX_AZ_COUNT
        if self.az_count > offered:
            yield self.problem(
                "az_count",
                f"region {context.region} offers new accounts only {offered} Availability Zones; "
                f"allowed: 1 to {offered}",
            )
        if context.production and self.az_count < 2:
            yield self.problem(
                "az_count",
                f"the {PRODUCTION_PROFILE} profile needs at least 2 Availability Zones; allowed: 2 to "
                f"{min(MAX_AZ_COUNT, offered)}",
            )


class AuditSection(Section):
    """What is recorded and who hears of it."""

    SECTION = "audit"

    # Data events (object reads and writes, Bedrock invocations) are billed per event.
    trail_data_events: Boolean = True
    # CloudWatch Transaction Search, which AgentCore's traces need: one switch per account and
    # region, so one deployment turns it on (like invocation logging) and no teardown turns it off.
    transaction_search: Boolean = False
    # Where alarms are e-mailed (the address confirms the SNS subscription); none: topic only.
    alarm_email: str | None = None

    @field_validator("alarm_email", mode="before")
    @classmethod
    def _alarm_email(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
            raise ValueError("must be an e-mail address like ops@example.com (or left out)")
        return value
