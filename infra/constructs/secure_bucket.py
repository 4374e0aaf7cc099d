"""An S3 bucket with every safeguard this project expects of one."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.policy import acknowledge, in_compliance_packs

# Parts of multipart uploads that never completed still cost storage; a week is ample to finish.
ABORT_INCOMPLETE_UPLOADS_AFTER = cdk.Duration.days(7)
# Versioning keeps every overwritten or deleted object; old versions go after 90 days.
EXPIRE_NONCURRENT_VERSIONS_AFTER = cdk.Duration.days(90)


class SecureBucket(Construct):
    """Private, TLS-only (1.2+), versioned, owner-enforced, logged and lifecycle-managed.

    - `encryption_key`: SSE-KMS with that key and an S3 bucket key (fewer KMS calls, lower cost).
      None means SSE-S3, which only the server-access-log bucket uses: S3 cannot deliver access
      logs to a bucket whose default encryption is SSE-KMS.
    - `server_access_logs_bucket`: where S3 writes this bucket's access logs (under `<id>/`). None only
      for the access-log bucket itself, which cannot usefully log into itself.
    - EventBridge notifications are on, natively in CloudFormation (the CDK's own switch adds a
      custom-resource Lambda): later stacks subscribe to object events with EventBridge rules of
      their own, so no stack has to change this bucket's notification configuration.
    - Object Lock is enabled with no default retention: nothing is locked unless a caller sets a
      retention or legal hold on an object, but evidence can be frozen when needed (Control Tower
      CT.S3.PR.9). It can only be enabled when a bucket is created.
    - `removal_policy` DESTROY also empties the bucket on delete, so a dev stack can be destroyed.
    - `expire_objects_after`: delete current objects this long after they were written (a log archive).

    - `purpose`: what the bucket holds, in words ("model artifact store"), for its acknowledgements.

    Attributes: `bucket` (the s3.Bucket, where an s3.IBucket is expected), `bucket_name`,
    `bucket_arn`, `encryption_key` (None for SSE-S3); `arn_for_objects(pattern)` for IAM statements.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        purpose: str,
        encryption_key: kms.IKey | None,
        server_access_logs_bucket: s3.IBucket | None,
        removal_policy: cdk.RemovalPolicy,
        expire_objects_after: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.encryption_key = encryption_key
        lifecycle = [
            s3.LifecycleRule(
                id="AbortIncompleteUploadsAndExpireOldVersions",
                abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS_AFTER,
                noncurrent_version_expiration=EXPIRE_NONCURRENT_VERSIONS_AFTER,
            )
        ]
        if expire_objects_after is not None:
            lifecycle.append(s3.LifecycleRule(id="ExpireObjects", expiration=expire_objects_after))

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_lock_enabled=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix=f"{construct_id}/" if server_access_logs_bucket else None,
            lifecycle_rules=lifecycle,
            removal_policy=removal_policy,
            auto_delete_objects=removal_policy == cdk.RemovalPolicy.DESTROY,
        )
        cfn_bucket: s3.CfnBucket = self.bucket.node.default_child
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )

        acknowledge(
            self.bucket,
            f"The {purpose} stays in this account and region: the platform is single-region by design, "
            "and versioning plus Object Lock protect it against deletion; cross-region replication is "
            "left to users with a disaster-recovery region.",
            *in_compliance_packs("S3BucketReplicationEnabled"),
        )

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        return self.bucket.bucket_arn

    def arn_for_objects(self, pattern: str) -> str:
        """The ARN of the objects whose keys match `pattern` (`documents/*`), for IAM statements."""
        return self.bucket.arn_for_objects(pattern)
