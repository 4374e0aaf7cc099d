"""lambda_role: a role only Lambda assumes, all of its permissions in one managed policy."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from infra.constructs.lambda_role import LambdaRole, lambda_role
from tests.infra.constructs.conftest import statement_with_sid, statements_of, template_of

READS_QUEUE = iam.PolicyStatement(
    sid="ReadQueue", actions=["sqs:ReceiveMessage"], resources=["arn:aws:sqs:us-east-1:111122223333:q"]
)


def make(stack: cdk.Stack) -> tuple[LambdaRole, logs.LogGroup]:
    log_group = logs.LogGroup(stack, "Logs")
    made = lambda_role(
        stack,
        role_id="Role",
        policy_id="Policy",
        role_description="Lambda under test",
        policy_description="What it calls and its logs",
        log_group=log_group,
        statements=[READS_QUEUE],
    )
    return made, log_group


def test_the_policy_holds_the_statements_then_writing_its_own_logs(stack: cdk.Stack) -> None:
    _, log_group = make(stack)
    template = template_of(stack)
    assert [s["Sid"] for s in statements_of(template)] == ["ReadQueue", "WriteOwnLogs"]
    assert statement_with_sid(template, "ReadQueue")["Action"] == "sqs:ReceiveMessage"
    own_logs = statement_with_sid(template, "WriteOwnLogs")
    assert own_logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert own_logs["Resource"] == {"Fn::GetAtt": [stack.get_logical_id(log_group.node.default_child), "Arn"]}


def test_only_lambda_assumes_the_role_and_nothing_is_inline(stack: cdk.Stack) -> None:
    made, _ = make(stack)
    template = template_of(stack)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ]
            },
            "Description": "Lambda under test",
        },
    )
    assert template.find_resources("AWS::IAM::Policy") == {}
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Description": "What it calls and its logs",
            "Roles": [{"Ref": stack.get_logical_id(made.role.node.default_child)}],
        },
    )


def test_it_returns_typed_role_and_policy_that_unpack_like_a_pair(stack: cdk.Stack) -> None:
    made, _ = make(stack)
    role, policy = made
    assert (role, policy) == (made.role, made.policy)
    assert isinstance(role, iam.Role)
    assert isinstance(policy, iam.ManagedPolicy)
    assert (role.node.id, policy.node.id) == ("Role", "Policy")
    assert role.node.scope is stack
