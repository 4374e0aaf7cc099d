"""The execution role of a Lambda function of this project: its permissions in one customer-managed
policy (the HIPAA, NIST and PCI packs reject inline policies), including writing the log group it
logs to, which a role of our own does not get from the CDK."""

from __future__ import annotations

from typing import NamedTuple

from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct


class LambdaRole(NamedTuple):
    """A Lambda execution role and the managed policy that holds all its permissions.

    Add permissions to `policy` (`policy.add_statements`, or a construct's `grant_*(policy)`), never
    to `role`: on the role they would land in an inline policy.
    """

    role: iam.Role
    policy: iam.ManagedPolicy


def lambda_role(
    scope: Construct,
    *,
    role_id: str,
    policy_id: str,
    role_description: str,
    policy_description: str,
    log_group: logs.ILogGroup,
    statements: list[iam.PolicyStatement],
) -> LambdaRole:
    """A role Lambda assumes, and its managed policy: `statements`, then `WriteOwnLogs` on
    `log_group`, both created directly in `scope` as `role_id` and `policy_id`.

    Pass the role to the function `without_policy_updates()`, so that nothing else is added to it
    inline. The result unpacks as `role, policy = lambda_role(...)`.
    """
    role = iam.Role(
        scope, role_id, description=role_description, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
    )
    policy = iam.ManagedPolicy(
        scope,
        policy_id,
        description=policy_description,
        roles=[role],
        statements=[
            *statements,
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
        ],
    )
    return LambdaRole(role=role, policy=policy)
