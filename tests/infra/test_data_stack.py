"""DataStack: what matters for security and for cleaning up."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from constructs import Construct

from infra.config import AppConfig
from infra.naming import Names
from infra.stacks.data_stack import DataStack, ServiceAccess
from tests.conftest import Synth, cdk_context


def buckets(synth: Synth) -> dict[str, dict]:
    return synth.resources(synth.platform.data, "AWS::S3::Bucket")


def logical_id(synth: Synth, construct: Construct) -> str:
    return synth.platform.data.get_logical_id(construct.node.default_child)


def test_the_stack_exposes_typed_keys_and_buckets(dev: Synth) -> None:
    data = dev.platform.data
    for key in (data.documents_key, data.models_key, data.logs_key):
        assert isinstance(key, kms.Key)
    for bucket in (
        data.documents_bucket,
        data.model_artifacts_bucket,
        data.inference_bucket,
        data.access_logs_bucket,
    ):
        assert isinstance(bucket, s3.Bucket)
    assert len(buckets(dev)) == 4


def test_buckets_are_named_as_every_other_stack_names_them(dev: Synth) -> None:
    data = dev.platform.data
    named = {
        data.access_logs_bucket: "access-logs",
        data.documents_bucket: "documents",
        data.model_artifacts_bucket: "model-artifacts",
        data.inference_bucket: "inference",
    }
    for bucket, purpose in named.items():
        name = buckets(dev)[logical_id(dev, bucket)]["Properties"]["BucketName"]
        assert name == {
            "Fn::Join": ["", [f"genaiplatform-dev-{purpose}-", {"Ref": "AWS::AccountId"}, "-us-east-1"]]
        }
        # Other stacks name the bucket through their own `names`, and get the same name.
        assert dev.platform.knowledge_base.resolve(dev.platform.knowledge_base.names.bucket(purpose)) == name
    assert data.resolve(data.names.objects_arn("documents", "docs/*")) == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":s3:::genaiplatform-dev-documents-",
                {"Ref": "AWS::AccountId"},
                "-us-east-1/docs/*",
            ],
        ]
    }


def test_names_refuse_a_bucket_that_is_not_a_data_bucket_or_lacks_its_account() -> None:
    names = Names(profile="dev", region="us-east-1", account="111122223333", partition="aws")
    assert names.stack("Data") == "GenAiPlatform-dev-Data"
    assert names.resource("audit") == "GenAiPlatform-dev-audit"
    assert names.resource(lowercase=True) == "genaiplatform-dev"
    assert names.key_alias("logs") == "alias/genaiplatform/dev/logs"
    assert names.objects_arn("inference", "batch/*") == (
        "arn:aws:s3:::genaiplatform-dev-inference-111122223333-us-east-1/batch/*"
    )
    with pytest.raises(ValueError, match="'scratch' is not one of the data buckets"):
        names.bucket("scratch")
    with pytest.raises(ValueError, match="has no account"):
        Names(profile="dev", region="us-east-1").bucket("documents")


def test_every_bucket_is_private_versioned_owner_enforced_and_lifecycle_managed(dev: Synth) -> None:
    dev.template(dev.platform.data).all_resources_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "ObjectLockEnabled": True,
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                                "Status": "Enabled",
                            }
                        )
                    ]
                )
            },
        },
    )


def test_data_buckets_use_their_domain_key_with_a_bucket_key(dev: Synth) -> None:
    data = dev.platform.data
    expected_key = {
        data.documents_bucket: data.documents_key,
        data.model_artifacts_bucket: data.models_key,
        data.inference_bucket: data.models_key,
    }
    all_buckets = buckets(dev)
    for bucket, key in expected_key.items():
        [rule] = all_buckets[logical_id(dev, bucket)]["Properties"]["BucketEncryption"][
            "ServerSideEncryptionConfiguration"
        ]
        assert rule["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [logical_id(dev, key), "Arn"]},
        }
        assert rule["BucketKeyEnabled"] is True


def test_the_access_log_bucket_uses_sse_s3_because_s3_requires_it(dev: Synth) -> None:
    access_logs = buckets(dev)[logical_id(dev, dev.platform.data.access_logs_bucket)]["Properties"]
    [rule] = access_logs["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "LoggingConfiguration" not in access_logs
    # Access logs expire with the configured log retention.
    assert {"ExpirationInDays": 30, "Id": "ExpireObjects", "Status": "Enabled"} in access_logs[
        "LifecycleConfiguration"
    ]["Rules"]


def test_every_data_bucket_logs_to_the_access_log_bucket(dev: Synth) -> None:
    data = dev.platform.data
    target = {"Ref": logical_id(dev, data.access_logs_bucket)}
    for bucket in (data.documents_bucket, data.model_artifacts_bucket, data.inference_bucket):
        logging = buckets(dev)[logical_id(dev, bucket)]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == target
        assert logging["LogFilePrefix"].endswith("/")


def test_every_bucket_policy_denies_plain_http_and_old_tls(dev: Synth) -> None:
    policies = dev.resources(dev.platform.data, "AWS::S3::BucketPolicy")
    assert len(policies) == 4
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in denies]
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in [s["Condition"] for s in denies]
        assert all(s["Action"] == "s3:*" and s["Principal"] == {"AWS": "*"} for s in denies)


def test_keys_rotate_have_aliases_and_only_aws_services_may_create_grants(dev: Synth) -> None:
    template = dev.template(dev.platform.data)
    keys = dev.resources(dev.platform.data, "AWS::KMS::Key")
    assert len(keys) == 3
    template.all_resources_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    for key in keys.values():
        statements = key["Properties"]["KeyPolicy"]["Statement"]
        assert {
            "Sid": "DenyGrantsExceptForAwsResources",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {
                "BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
            },
        } in statements
    aliases = sorted(
        a["Properties"]["AliasName"] for a in dev.resources(dev.platform.data, "AWS::KMS::Alias").values()
    )
    assert aliases == [
        "alias/genaiplatform/dev/documents",
        "alias/genaiplatform/dev/logs",
        "alias/genaiplatform/dev/models",
    ]


def test_only_the_logs_key_admits_cloudwatch_logs_and_only_for_this_accounts_log_groups(dev: Synth) -> None:
    data = dev.platform.data
    keys = dev.resources(data, "AWS::KMS::Key")

    def service_statements(key: kms.Key) -> list[dict]:
        statements = keys[logical_id(dev, key)]["Properties"]["KeyPolicy"]["Statement"]
        return [s for s in statements if "Service" in s.get("Principal", {})]

    # The models key admits EventBridge delivering async-inbox events to the encrypted queue, in
    # the form the EventBridge User Guide documents: no condition (EventBridge sends none that a key
    # policy can check; the queue policy admits one rule).
    [models] = service_statements(data.models_key)
    assert models["Principal"] == {"Service": "events.amazonaws.com"}
    assert models["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "Condition" not in models
    # The documents key admits S3 Vectors' background indexing for this account only, and
    # EventBridge delivering document events to the encrypted queue (both for the knowledge-base
    # stack, whose constructs define them).
    documents = {s["Principal"]["Service"]: s for s in service_statements(data.documents_key)}
    assert set(documents) == {"indexing.s3vectors.amazonaws.com", "events.amazonaws.com"}
    indexing = documents["indexing.s3vectors.amazonaws.com"]
    assert indexing["Action"] == "kms:Decrypt"
    assert indexing["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in indexing["Condition"]["ArnLike"]
    assert documents["events.amazonaws.com"] == {**models, "Sid": documents["events.amazonaws.com"]["Sid"]}
    # The logs key admits CloudWatch Logs, and (for the observability stack) this account's trail
    # and CloudWatch alarms publishing to the encrypted alarm topic.
    logs_key_statements = service_statements(data.logs_key)
    assert sorted(st["Principal"]["Service"] for st in logs_key_statements) == [
        "cloudtrail.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "logs.us-east-1.amazonaws.com",
    ]
    [logs_statement] = [st for st in logs_key_statements if st["Principal"]["Service"].startswith("logs.")]
    assert logs_statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:Decrypt" in logs_statement["Action"]
    assert "kms:*" not in logs_statement["Action"]
    context_arn = logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context_arn == {
        "Fn::Join": ["", ["arn:aws:logs:us-east-1:", {"Ref": "AWS::AccountId"}, ":log-group:*"]]
    }


def test_dev_data_is_destroyable_and_emptied_on_delete(dev: Synth) -> None:
    data = dev.platform.data
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        assert {r["DeletionPolicy"] for r in dev.resources(data, resource_type).values()} == {"Delete"}
    assert len(dev.resources(data, "Custom::S3AutoDeleteObjects")) == 4
    dev.template(data).all_resources_properties("AWS::KMS::Key", {"PendingWindowInDays": 7})


def test_prod_data_is_retained_and_never_emptied(prod: Synth) -> None:
    data = prod.platform.data
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        resources = prod.resources(data, resource_type).values()
        assert {(r["DeletionPolicy"], r["UpdateReplacePolicy"]) for r in resources} == {("Retain", "Retain")}
    assert prod.resources(data, "Custom::S3AutoDeleteObjects") == {}
    assert prod.resources(data, "AWS::Lambda::Function") == {}


# --- who may use which key or bucket: written here, by no other stack ----------------------------


def alone(config: AppConfig, **access: bool) -> DataStack:
    """A data stack built for `config` in an app of its own: no later stack exists."""
    app = cdk.App(context=cdk_context())
    service_access = ServiceAccess(
        s3_vectors_indexing=access.get(
            "s3_vectors_indexing", config.knowledge_base.vector_store == "s3_vectors"
        ),
        bedrock_invocation_logs=access.get(
            "bedrock_invocation_logs", config.knowledge_base.invocation_logging
        ),
    )
    return DataStack(app, deployment=config.deployment, service_access=service_access)


def template_alone(config: AppConfig, **access: bool) -> dict:
    return Template.from_stack(alone(config, **access)).to_json()


def statement_counts(data: DataStack) -> list[int]:
    """How many statements were added to each key and bucket policy, before the CDK renders them
    (rendering drops exact duplicates, which would hide a second writer of the same statement).
    A key's policy document is the protected `_policy` attribute in Python."""
    keys = [data.documents_key, data.models_key, data.logs_key]
    buckets = [
        data.access_logs_bucket,
        data.documents_bucket,
        data.model_artifacts_bucket,
        data.inference_bucket,
    ]
    return [key._policy.statement_count for key in keys] + [
        bucket.policy.document.statement_count for bucket in buckets
    ]


def resource_policies(template: dict) -> dict[str, list[dict]]:
    """The statements of every key policy and bucket policy, by logical ID, in their order."""
    return {
        logical_id: (r["Properties"].get("KeyPolicy") or r["Properties"].get("PolicyDocument"))["Statement"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] in ("AWS::KMS::Key", "AWS::S3::BucketPolicy")
    }


def service_sids(template: dict) -> dict[str, list[str]]:
    """The Sids of the statements for AWS services (the service, where there is no Sid), per key or
    bucket policy."""
    return {
        logical_id: [
            s.get("Sid", s["Principal"]["Service"]) for s in statements if "Service" in s.get("Principal", {})
        ]
        for logical_id, statements in resource_policies(template).items()
    }


@pytest.mark.parametrize("variant", ["dev", "opensearch"])
def test_no_other_stack_writes_into_the_data_stacks_policies(
    variant: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(variant)
    whole_app = synth.templates[synth.platform.data.stack_name]
    data_alone = alone(synth.config)
    own = Template.from_stack(data_alone).to_json()
    # The same key and bucket policies, statement for statement and in order, with or without the
    # stacks whose services use them; and as many statements added, so none was added twice.
    assert resource_policies(own) == resource_policies(whole_app)
    assert statement_counts(data_alone) == statement_counts(synth.platform.data)
    assert set(own["Resources"]) == set(whole_app["Resources"])


def test_the_data_stack_lets_in_each_later_stacks_service_on_its_key_or_bucket(dev: Synth) -> None:
    data = dev.platform.data
    sids = service_sids(dev.templates[data.stack_name])
    assert sids[logical_id(dev, data.documents_key)] == [
        "AllowS3VectorsIndexingOfThisAccount",  # KnowledgeBase: S3VectorStore
        "AllowEventBridgeToEncryptDocumentEventsForTheQueue",  # KnowledgeBase: DocumentIngestion
    ]
    assert sids[logical_id(dev, data.models_key)] == [
        "AllowEventBridgeToEncryptInboxEventsForTheQueue"  # OfflineInference: AsyncInvokeGlue
    ]
    assert sids[logical_id(dev, data.logs_key)] == [
        "AllowCloudWatchLogsOfThisAccountAndRegion",  # every stack's log groups
        "AllowThisTrailToEncryptLogFiles",  # Observability: AuditTrail
        "AllowThisTrailToDescribeTheKey",
        "AllowCloudWatchAlarmsOfThisAccountToPublish",  # Observability: SecurityAlarms
    ]
    access_logs_policy = data.get_logical_id(data.access_logs_bucket.policy.node.default_child)
    assert sids[access_logs_policy] == [
        *["logging.s3.amazonaws.com"] * 3,  # server access logs of the three data buckets
        "BedrockModelInvocationLogsOfThisAccount",  # KnowledgeBase: ModelInvocationLogging
        "CloudTrailAclCheck",  # Observability: AuditTrail
        "CloudTrailWrite",
    ]


def test_no_statement_names_a_principal_of_a_later_stack(dev: Synth) -> None:
    # KMS and S3 refuse a policy whose principal does not exist yet: on a first deploy, no later
    # stack's role does. Every grantee here is a service principal, everyone (in a Deny), the
    # account itself (the key policies' default statement, which delegates to IAM), or a role of
    # this stack (the CDK's bucket-emptying provider); and nothing refers to another stack.
    template = dev.templates[dev.platform.data.stack_name]
    for statements in resource_policies(template).values():
        for statement in statements:
            principal = statement["Principal"]
            assert set(principal) <= {"Service", "AWS"}, principal
            if "AWS" in principal and principal["AWS"] != "*" and ":root" not in json.dumps(principal):
                assert principal["AWS"]["Fn::GetAtt"][0] in template["Resources"], principal
    assert "Fn::ImportValue" not in json.dumps(template["Resources"])


@pytest.mark.parametrize(
    ("access", "absent"),
    [
        ({"s3_vectors_indexing": False}, "AllowS3VectorsIndexingOfThisAccount"),
        ({"bedrock_invocation_logs": False}, "BedrockModelInvocationLogsOfThisAccount"),
    ],
)
def test_a_service_the_configuration_leaves_out_is_not_let_in(
    dev: Synth, access: dict[str, bool], absent: str
) -> None:
    every = {sid for sids in service_sids(template_alone(dev.config)).values() for sid in sids}
    fewer = {sid for sids in service_sids(template_alone(dev.config, **access)).values() for sid in sids}
    assert every - fewer == {absent}
