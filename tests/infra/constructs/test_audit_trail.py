"""AuditTrail: every region, encrypted, tamper-evident, delivered to a bucket and a log group; and the
statements the bucket's and key's owner adds for it."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match

from infra.constructs.audit_trail import BEDROCK_DATA_EVENT_TYPES, AuditTrail, event_selectors
from infra.constructs.log_group import LogSettings
from tests.infra.constructs.conftest import acknowledged, statements_of, template_of

TRAIL_ARN = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":cloudtrail:us-east-1:111122223333:trail/test-audit"],
    ]
}
THIS_TRAIL = {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}


@pytest.fixture
def data_buckets(shared: cdk.Stack) -> list[s3.IBucket]:
    return [
        s3.Bucket.from_bucket_name(shared, f"Data{n}", f"data-bucket-{n}-111122223333-us-east-1")
        for n in (1, 2)
    ]


def audit_trail(stack: cdk.Stack, log_settings: LogSettings, bucket: s3.IBucket, **props) -> AuditTrail:
    return AuditTrail(
        stack, "AuditTrail", trail_name="test-audit", log_settings=log_settings, log_bucket=bucket, **props
    )


def the_trail(stack: cdk.Stack) -> dict:
    [trail] = template_of(stack).find_resources("AWS::CloudTrail::Trail").values()
    return trail


def resource_policy(stack: cdk.Stack, resource_type: str, policy: str) -> dict[str, dict]:
    return {
        s.get("Sid"): s
        for r in template_of(stack).find_resources(resource_type).values()
        for s in r["Properties"][policy]["Statement"]
    }


def test_the_trail_covers_every_region_encrypted_and_tamper_evident(
    stack: cdk.Stack, log_settings: LogSettings, bucket: s3.Bucket
) -> None:
    construct = audit_trail(stack, log_settings, bucket)
    properties = the_trail(stack)["Properties"]
    assert properties["TrailName"] == construct.trail_name == "test-audit"
    assert (properties["IsMultiRegionTrail"], properties["IncludeGlobalServiceEvents"]) == (True, True)
    assert (properties["EnableLogFileValidation"], properties["IsLogging"]) == (True, True)
    assert "Key" in str(properties["KMSKeyId"])
    assert properties["S3KeyPrefix"] == "cloudtrail"
    assert stack.resolve(construct.trail_arn) == TRAIL_ARN
    log_group_id = stack.get_logical_id(construct.log_group.node.default_child)
    assert properties["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


def test_the_buckets_owner_admits_this_trail_only(shared: cdk.Stack, bucket: s3.Bucket) -> None:
    statements = {
        s.sid: shared.resolve(s.to_statement_json())
        for s in AuditTrail.bucket_statements(bucket, "test-audit")
    }
    acl = statements["CloudTrailAclCheck"]
    assert (acl["Action"], acl["Principal"]) == ("s3:GetBucketAcl", {"Service": "cloudtrail.amazonaws.com"})
    assert acl["Resource"] == shared.resolve(bucket.bucket_arn)
    assert acl["Condition"] == THIS_TRAIL
    write = statements["CloudTrailWrite"]
    assert write["Action"] == "s3:PutObject"
    assert write["Condition"] == {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}
    }
    assert "/cloudtrail/AWSLogs/111122223333/*" in str(write["Resource"])


def test_the_keys_owner_lets_this_trail_encrypt_with_its_encryption_context(
    shared: cdk.Stack, key: kms.Key
) -> None:
    statements = {
        s.sid: shared.resolve(s.to_statement_json()) for s in AuditTrail.key_statements(key, "test-audit")
    }
    encrypt = statements["AllowThisTrailToEncryptLogFiles"]
    assert (encrypt["Principal"], encrypt["Action"], encrypt["Resource"]) == (
        {"Service": "cloudtrail.amazonaws.com"},
        "kms:GenerateDataKey*",
        "*",
    )
    assert encrypt["Condition"] == {
        **THIS_TRAIL,
        "StringLike": {
            "kms:EncryptionContext:aws:cloudtrail:arn": {
                "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudtrail:*:111122223333:trail/*"]]
            }
        },
    }
    describe = statements["AllowThisTrailToDescribeTheKey"]
    assert (describe["Action"], describe["Condition"]) == ("kms:DescribeKey", THIS_TRAIL)


def test_a_bucket_and_key_of_another_stack_are_left_to_their_owner(
    stack: cdk.Stack, shared: cdk.Stack, log_settings: LogSettings, bucket: s3.Bucket
) -> None:
    audit_trail(stack, log_settings, bucket)
    sids = {
        *resource_policy(shared, "AWS::KMS::Key", "KeyPolicy"),
        *resource_policy(shared, "AWS::S3::BucketPolicy", "PolicyDocument"),
    }
    assert not sids & {
        "CloudTrailAclCheck",
        "CloudTrailWrite",
        "AllowThisTrailToEncryptLogFiles",
        "AllowThisTrailToDescribeTheKey",
    }


def test_cloudtrail_writes_its_log_group_through_a_role_only_this_trail_may_assume(
    stack: cdk.Stack, log_settings: LogSettings, bucket: s3.Bucket
) -> None:
    construct = audit_trail(stack, log_settings, bucket)
    template = template_of(stack)
    [role] = template.find_resources("AWS::IAM::Role").values()
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {
        "aws:SourceArn": TRAIL_ARN,
        "aws:SourceAccount": "111122223333",
    }
    # A managed policy (the compliance packs reject inline ones), on this log group only.
    template.resource_count_is("AWS::IAM::Policy", 0)
    [write] = statements_of(template)
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    log_group_id = stack.get_logical_id(construct.log_group.node.default_child)
    assert write["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    # CloudTrail checks the role's access when the trail is created.
    assert any("LogsDeliveryPolicy" in d for d in the_trail(stack)["DependsOn"])
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 30, "KmsKeyId": Match.any_value()}
    )


def test_data_events_cover_the_given_buckets_and_bedrock(
    stack: cdk.Stack, log_settings: LogSettings, bucket: s3.Bucket, data_buckets: list[s3.IBucket]
) -> None:
    audit_trail(stack, log_settings, bucket, data_event_buckets=data_buckets)
    selectors = {
        s["Name"]: s["FieldSelectors"] for s in the_trail(stack)["Properties"]["AdvancedEventSelectors"]
    }
    assert selectors["All management events"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    objects = selectors["Objects of the platform's data buckets"]
    assert {"Field": "resources.type", "Equals": ["AWS::S3::Object"]} in objects
    [arns] = [f["StartsWith"] for f in objects if f["Field"] == "resources.ARN"]
    # The trailing slash: a bucket whose name starts with another's must not be logged with it.
    assert [stack.resolve(a)["Fn::Join"][1][-1] for a in arns] == [
        ":s3:::data-bucket-1-111122223333-us-east-1/",
        ":s3:::data-bucket-2-111122223333-us-east-1/",
    ]
    bedrock = {
        f["Equals"][0]
        for name, fields in selectors.items()
        if name.startswith("Bedrock")
        for f in fields
        if f["Field"] == "resources.type"
    }
    assert bedrock == set(BEDROCK_DATA_EVENT_TYPES)


def test_without_data_events_the_trail_records_management_events_only(
    stack: cdk.Stack, log_settings: LogSettings, bucket: s3.Bucket, data_buckets: list[s3.IBucket]
) -> None:
    audit_trail(stack, log_settings, bucket, data_events=False, data_event_buckets=data_buckets)
    [selector] = the_trail(stack)["Properties"]["AdvancedEventSelectors"]
    assert selector["Name"] == "All management events"


def test_without_buckets_there_is_no_object_selector_rather_than_an_empty_one() -> None:
    names = [s.name for s in event_selectors(data_events=True)]
    assert names == [
        "All management events",
        *(f"{t.removeprefix('AWS::')} data events" for t in BEDROCK_DATA_EVENT_TYPES),
    ]


def test_an_imported_bucket_and_key_are_left_to_their_owner(stack: cdk.Stack) -> None:
    # Nothing here can add to their policies: the trail deploys once their owner has added the
    # statements (CloudTrail checks them when it creates the trail).
    imported_bucket = s3.Bucket.from_bucket_name(stack, "Imported", "someone-elses-bucket")
    imported_key = kms.Key.from_key_arn(stack, "ImportedKey", "arn:aws:kms:us-east-1:111122223333:key/1234")
    audit_trail(stack, LogSettings(encryption_key=imported_key, retention_days=365), imported_bucket)
    template_of(stack).resource_count_is("AWS::S3::BucketPolicy", 0)


def test_a_key_of_another_stack_is_acknowledged_for_the_control_tower_rule_and_only_then(
    app: cdk.App, stack: cdk.Stack, log_settings: LogSettings, bucket: s3.Bucket
) -> None:
    across = audit_trail(stack, log_settings, bucket)
    rule = "cdk-validator-cfnguard::cloud_trail_encryption_enabled_check"
    assert rule in acknowledged(across.node.find_child("Trail"))

    own = trail_with_its_own_bucket_and_key(app)
    assert rule not in acknowledged(own.node.find_child("Trail"))


def test_a_bucket_and_key_of_its_own_stack_get_the_statements_before_the_trail(app: cdk.App) -> None:
    own = trail_with_its_own_bucket_and_key(app)
    alone = cdk.Stack.of(own)
    assert {"CloudTrailAclCheck", "CloudTrailWrite"} <= set(
        resource_policy(alone, "AWS::S3::BucketPolicy", "PolicyDocument")
    )
    assert {"AllowThisTrailToEncryptLogFiles", "AllowThisTrailToDescribeTheKey"} <= set(
        resource_policy(alone, "AWS::KMS::Key", "KeyPolicy")
    )
    # CloudTrail checks the bucket policy when it creates the trail.
    [policy_id] = template_of(alone).find_resources("AWS::S3::BucketPolicy")
    assert policy_id in the_trail(alone)["DependsOn"]


def trail_with_its_own_bucket_and_key(app: cdk.App) -> AuditTrail:
    alone = cdk.Stack(app, "Alone", env=cdk.Environment(account="111122223333", region="us-east-1"))
    return AuditTrail(
        alone,
        "AuditTrail",
        trail_name="alone-audit",
        log_settings=LogSettings(encryption_key=kms.Key(alone, "Key"), retention_days=365),
        log_bucket=s3.Bucket(alone, "Logs"),
    )
