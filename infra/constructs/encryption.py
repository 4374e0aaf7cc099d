"""Customer-managed KMS keys: one per data domain, rotated, aliased, and open to exactly the
AWS services that encrypt with them.

`create_key` makes the key; `allow_cloudwatch_logs` adds the statement CloudWatch Logs needs to the
key's policy. `service_statement` and `eventbridge_delivery_statement` build one key-policy statement
for an AWS service principal, with the conditions that service documents; the construct that needs
one defines it, and the key's owner adds it. `add_where_owned` lets a construct add a statement
itself when the key or bucket is one its own stack creates. IAM principals of the account need no
statement here: the key policy delegates to IAM, so a principal's own (managed) policy grants it use
of the key.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

# What a service needs to encrypt and decrypt data under the key (AWS KMS key policy examples).
_ENVELOPE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
]


def create_key(
    scope: Construct, construct_id: str, *, alias: str, description: str, removal_policy: cdk.RemovalPolicy
) -> kms.Key:
    """A symmetric key with yearly automatic rotation and an alias.

    The key policy starts as the KMS default: the account may delegate use of the key through
    IAM policies (without that statement a key can become unmanageable), and nothing else. Each
    service that must use the key directly gets its own statement, scoped by condition.
    """
    key = kms.Key(
        scope,
        construct_id,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
        # KMS waits 7 to 30 days before it deletes a key; a retained (prod) key never gets here.
        pending_window=cdk.Duration.days(7 if removal_policy == cdk.RemovalPolicy.DESTROY else 30),
    )
    # Grants hand out use of the key outside the key policy. Only AWS services acting for an AWS
    # resource (a SageMaker volume, a Lambda environment, ...) may create them (Control Tower
    # CT.KMS.PR.3).
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyGrantsExceptForAwsResources",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={
                "BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
            },
        )
    )
    return key


def allow_cloudwatch_logs(key: kms.IKey) -> iam.PolicyStatement:
    """Let CloudWatch Logs encrypt log groups of this account and region with the key.

    CloudWatch Logs calls KMS as the regional service principal, and always passes the log group
    ARN as encryption context, so the condition pins use to log groups of this account and region.
    """
    stack = cdk.Stack.of(key)
    return _add(
        key,
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccountAndRegion",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=_ENVELOPE_ACTIONS,
            # In a key policy, "*" is the key the policy is attached to.
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        ),
    )


def service_statement(
    *, sid: str, service: str, actions: list[str], account: str, source_arn: str | None = None
) -> iam.PolicyStatement:
    """A key-policy statement that lets one AWS service principal use the key on behalf of `account`.

    `aws:SourceAccount` (and, where the caller is known, `aws:SourceArn`) stop a service acting
    for another account from using the key: AWS's confused-deputy protection. Pass the ARN as a
    pattern or a deterministic name, never a resource of a later stack, so that the key's stack
    deploys first and refers to nothing of theirs.
    """
    conditions: dict[str, dict[str, str]] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.ServicePrincipal(service)],
        actions=actions,
        # In a key policy, "*" is the key the policy is attached to.
        resources=["*"],
        conditions=conditions,
    )


def eventbridge_delivery_statement(*, sid: str) -> iam.PolicyStatement:
    """A key-policy statement that lets EventBridge encrypt the events it delivers to a queue or
    topic encrypted with the key.

    The statement is the one the EventBridge User Guide documents ("Event bus targets in Amazon
    EventBridge", Permissions): kms:Decrypt and kms:GenerateDataKey, with no condition. The SNS
    Developer Guide says aws:SourceAccount, aws:SourceArn and aws:SourceOrgID are not supported in a
    key policy for EventBridge delivery; a condition EventBridge does not send would drop every
    event, silently. Who may send to the queue is decided by the queue's own policy, which admits
    one rule by ARN.
    """
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.ServicePrincipal("events.amazonaws.com")],
        actions=["kms:Decrypt", "kms:GenerateDataKey"],
        resources=["*"],
    )


def add_where_owned(
    scope: IConstruct, resource: kms.IKey | s3.IBucket, statements: Sequence[iam.PolicyStatement]
) -> bool:
    """Add `statements` to the policy of `resource` if `scope`'s stack creates it; say whether it did.

    A construct writes only its own stack's policies: a statement added to another stack's key or
    bucket would change that stack's template from code it knows nothing of, and it could no longer
    be read, or built, on its own. An imported key or bucket has no policy here at all. For either,
    the statements are the owner's to add, where the resource is defined.
    """
    owned = isinstance(resource, (kms.Key, s3.Bucket)) and cdk.Stack.of(resource) is cdk.Stack.of(scope)
    if owned:
        for statement in statements:
            resource.add_to_resource_policy(statement)
    return owned


def _add(key: kms.IKey, statement: iam.PolicyStatement) -> iam.PolicyStatement:
    """Add `statement` to the key policy. An imported key (`Key.from_key_arn`) has no policy here
    to add to: aws-cdk would report `statement_added=False` and drop it, so that is an error."""
    if not key.add_to_resource_policy(statement).statement_added:
        raise ValueError(f"key {key.node.path} is imported: its key policy cannot take {statement.sid!r}")
    return statement
