"""Every deterministic name of the platform, in one place: stacks, buckets, key aliases, and the
resources that other stacks, IAM conditions or operators refer to by name.

    names = Names(profile="dev", region="us-east-1", account=cdk.Aws.ACCOUNT_ID, partition=cdk.Aws.PARTITION)
    names.stack("Network")          # GenAiPlatform-dev-Network
    names.bucket("documents")       # genaiplatform-dev-documents-<account>-us-east-1
    names.key_alias("logs")         # alias/genaiplatform/dev/logs
    names.resource("audit")         # GenAiPlatform-dev-audit

A name built here is known to every stack without a cross-stack reference, so a policy on a name
pins none of another stack's exports. No CDK import: the configuration validates names (their
length) before any construct exists; stacks pass the account and partition as the CDK's
pseudo-parameter tokens, which are plain strings here.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT = "GenAiPlatform"

# S3 bucket names are 3 to 63 characters (Amazon S3 User Guide, "General purpose bucket naming
# rules"); a longer name fails only at deploy time, after the stacks before it were created.
S3_BUCKET_NAME_MAX_LENGTH = 63
ACCOUNT_ID_LENGTH = 12
# The purposes the data stack names its buckets after; the longest decides the name length.
BUCKET_PURPOSES = ("documents", "model-artifacts", "inference", "access-logs")


@dataclass(frozen=True)
class Names:
    """The names of one deployment: a profile, in an account and region.

    `region`, `account` and `partition` are needed only by the names that contain them (a
    bucket's name and ARN); asking for such a name without them raises ValueError.
    """

    profile: str
    region: str | None = None
    account: str | None = None
    partition: str | None = None

    @property
    def prefix(self) -> str:
        """`GenAiPlatform-dev`: the profile in every name lets dev and prod share an account."""
        return f"{PROJECT}-{self.profile}"

    def stack(self, role: str) -> str:
        """`GenAiPlatform-dev-Network`."""
        return f"{self.prefix}-{role}"

    def resource(self, *parts: str, lowercase: bool = False) -> str:
        """`GenAiPlatform-dev-<part>-...`: an endpoint, a trail, a dashboard (no parts), ...

        `lowercase` for services that accept only lowercase names (OpenSearch Serverless).
        """
        name = "-".join((self.prefix, *parts))
        return name.lower() if lowercase else name

    @property
    def audit_trail(self) -> str:
        """`GenAiPlatform-dev-audit`: the trail, named in the data stack's key and bucket policies
        (CloudTrail's aws:SourceArn) before the observability stack creates it."""
        return self.resource("audit")

    def key_alias(self, purpose: str) -> str:
        """`alias/genaiplatform/dev/documents`: KMS aliases are unique per account and region."""
        return f"alias/{PROJECT.lower()}/{self.profile}/{purpose}"

    def bucket(self, purpose: str) -> str:
        """`genaiplatform-dev-documents-<account>-<region>`: unique worldwide, and known to every stack.

        Only the data stack's `BUCKET_PURPOSES`: the configuration checks that the longest of them
        fits S3's 63 characters, so a name outside them would escape that check.
        """
        if purpose not in BUCKET_PURPOSES:
            raise ValueError(f"{purpose!r} is not one of the data buckets: {', '.join(BUCKET_PURPOSES)}")
        return f"{PROJECT.lower()}-{self.profile}-{purpose}-{self._need('account')}-{self._need('region')}"

    def bucket_arn(self, purpose: str) -> str:
        """`arn:<partition>:s3:::<bucket>`: the bucket itself (ListBucket, bucket policies)."""
        return f"arn:{self._need('partition')}:s3:::{self.bucket(purpose)}"

    def objects_arn(self, purpose: str, pattern: str = "*") -> str:
        """`arn:<partition>:s3:::<bucket>/<pattern>`: the objects whose keys match `pattern`."""
        return f"{self.bucket_arn(purpose)}/{pattern}"

    def _need(self, field: str) -> str:
        value = getattr(self, field)
        if value is None:
            raise ValueError(f"Names(profile={self.profile!r}) has no {field}, which this name contains")
        return value


def bucket_name(profile: str, purpose: str, account: str, region: str) -> str:
    """`genaiplatform-dev-documents-<account>-<region>` (`Names.bucket` for the configuration's checks)."""
    return Names(profile=profile, region=region, account=account).bucket(purpose)


def longest_bucket_name(profile: str, region: str) -> str:
    """The longest bucket name a profile gets in a region, with a 12-digit account placeholder."""
    purpose = max(BUCKET_PURPOSES, key=len)
    return bucket_name(profile, purpose, "0" * ACCOUNT_ID_LENGTH, region)
