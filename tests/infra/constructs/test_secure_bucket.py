"""SecureBucket: encrypted, TLS-only, private, versioned, logged, lifecycle-managed."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from infra.constructs.secure_bucket import SecureBucket
from infra.policy import in_compliance_packs
from tests.infra.constructs.conftest import acknowledged, template_of


def secure_bucket(
    stack: cdk.Stack,
    *,
    key: kms.IKey | None,
    access_logs: s3.IBucket | None,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    expire_objects_after: cdk.Duration | None = None,
) -> SecureBucket:
    return SecureBucket(
        stack,
        "Documents",
        bucket_name="under-test-documents",
        purpose="document set",
        encryption_key=key,
        server_access_logs_bucket=access_logs,
        removal_policy=removal_policy,
        expire_objects_after=expire_objects_after,
    )


def bucket_properties(stack: cdk.Stack, bucket: SecureBucket) -> dict:
    resources = template_of(stack).find_resources("AWS::S3::Bucket")
    return resources[stack.get_logical_id(bucket.bucket.node.default_child)]["Properties"]


def test_with_a_key_it_uses_sse_kms_with_a_bucket_key(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Key")
    bucket = secure_bucket(stack, key=key, access_logs=None)
    [rule] = bucket_properties(stack, bucket)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {
            "KMSMasterKeyID": {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]},
            "SSEAlgorithm": "aws:kms",
        },
    }
    assert bucket.encryption_key is key


def test_without_a_key_it_uses_sse_s3(stack: cdk.Stack) -> None:
    bucket = secure_bucket(stack, key=None, access_logs=None)
    [rule] = bucket_properties(stack, bucket)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    assert bucket.encryption_key is None


def test_the_bucket_policy_denies_plain_http_and_tls_below_1_2(stack: cdk.Stack) -> None:
    secure_bucket(stack, key=None, access_logs=None)
    [policy] = template_of(stack).find_resources("AWS::S3::BucketPolicy").values()
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [(s["Action"], s["Principal"], s["Condition"]) for s in denies] == [
        ("s3:*", {"AWS": "*"}, {"Bool": {"aws:SecureTransport": "false"}}),
        ("s3:*", {"AWS": "*"}, {"NumericLessThan": {"s3:TlsVersion": 1.2}}),
    ]


def test_it_is_private_versioned_owner_enforced_lockable_and_announces_object_events(
    stack: cdk.Stack,
) -> None:
    bucket = secure_bucket(stack, key=None, access_logs=None)
    properties = bucket_properties(stack, bucket)
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["ObjectLockEnabled"] is True
    assert "ObjectLockConfiguration" not in properties  # no default retention: nothing locked unasked
    assert properties["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    assert properties["BucketName"] == "under-test-documents"


def test_it_logs_to_the_access_log_bucket_under_its_own_id(stack: cdk.Stack, bucket: s3.Bucket) -> None:
    logged = secure_bucket(stack, key=None, access_logs=bucket)
    logging = bucket_properties(stack, logged)["LoggingConfiguration"]
    assert logging["LogFilePrefix"] == "Documents/"
    assert "Fn::ImportValue" in str(logging["DestinationBucketName"])  # the shared stack's bucket


def test_the_access_log_bucket_itself_logs_nowhere(stack: cdk.Stack) -> None:
    bucket = secure_bucket(stack, key=None, access_logs=None)
    assert "LoggingConfiguration" not in bucket_properties(stack, bucket)


def test_old_versions_and_unfinished_uploads_expire(stack: cdk.Stack) -> None:
    bucket = secure_bucket(stack, key=None, access_logs=None)
    [rule] = bucket_properties(stack, bucket)["LifecycleConfiguration"]["Rules"]
    assert rule == {
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        "Id": "AbortIncompleteUploadsAndExpireOldVersions",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        "Status": "Enabled",
    }


def test_current_objects_expire_only_when_asked(stack: cdk.Stack) -> None:
    archive = secure_bucket(stack, key=None, access_logs=None, expire_objects_after=cdk.Duration.days(30))
    rules = bucket_properties(stack, archive)["LifecycleConfiguration"]["Rules"]
    assert [r["Id"] for r in rules] == ["AbortIncompleteUploadsAndExpireOldVersions", "ExpireObjects"]
    assert rules[1] == {"ExpirationInDays": 30, "Id": "ExpireObjects", "Status": "Enabled"}


def test_destroy_empties_the_bucket_on_delete(stack: cdk.Stack) -> None:
    secure_bucket(stack, key=None, access_logs=None, removal_policy=cdk.RemovalPolicy.DESTROY)
    template = template_of(stack)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 1)
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Delete"})


def test_retain_keeps_the_bucket_and_its_objects(stack: cdk.Stack) -> None:
    secure_bucket(stack, key=None, access_logs=None)
    template = template_of(stack)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_typed_attributes_name_the_bucket_and_its_objects(stack: cdk.Stack) -> None:
    bucket = secure_bucket(stack, key=None, access_logs=None)
    logical_id = stack.get_logical_id(bucket.bucket.node.default_child)
    assert stack.resolve(bucket.bucket_name) == {"Ref": logical_id}
    assert stack.resolve(bucket.bucket_arn) == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert stack.resolve(bucket.arn_for_objects("documents/*")) == {
        "Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, "/documents/*"]]
    }


def test_single_region_storage_is_acknowledged_naming_what_the_bucket_holds(stack: cdk.Stack) -> None:
    bucket = secure_bucket(stack, key=None, access_logs=None)
    reasons = acknowledged(bucket.bucket)
    for rule in in_compliance_packs("S3BucketReplicationEnabled"):
        assert reasons[rule].startswith("The document set stays in this account and region")
