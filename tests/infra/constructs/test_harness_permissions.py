"""harness_permissions: the harness role's trust, and a policy that holds every call to the model,
the guardrail and the gateway whatever a caller asks for."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from infra.constructs.guardrail import PinnedGuardrail
from infra.constructs.harness_permissions import acknowledge_wildcards, harness_role, harness_statements
from tests.infra.constructs.conftest import statement_with_sid, statements_of, template_of

GUARDRAIL_ARN = "arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123"
GATEWAY_ARN = "arn:aws:bedrock-agentcore:us-east-1:111122223333:gateway/tools-x1"
MEMORY_ARN = "arn:aws:bedrock-agentcore:us-east-1:111122223333:memory/m1"


def harness_policy(stack: cdk.Stack, key: kms.IKey, *, in_vpc: bool = True) -> iam.ManagedPolicy:
    guardrail = PinnedGuardrail(guardrail_id="abc123", guardrail_arn=GUARDRAIL_ARN, version="3", key=key)
    policy = iam.ManagedPolicy(
        stack,
        "HarnessPolicy",
        statements=harness_statements(
            stack,
            harness_name="under_test",
            model_id="anthropic.claude-haiku-5-5",
            profile_id="us.anthropic.claude-haiku-5-5",
            guardrail=guardrail,
            gateway_arn=GATEWAY_ARN,
            memory_arn=MEMORY_ARN,
            memory_key=key,
            in_vpc=in_vpc,
        ),
    )
    acknowledge_wildcards(policy)
    return policy


@pytest.fixture
def template(stack: cdk.Stack, key: kms.Key) -> Template:
    harness_policy(stack, key)
    return template_of(stack)


def test_model_calls_only_through_the_profile_and_only_with_the_pinned_guardrail(template: Template) -> None:
    pinned = {"bedrock:GuardrailIdentifier": f"{GUARDRAIL_ARN}:3"}
    through_profile = statement_with_sid(template, "InvokeTheModelThroughItsProfileWithTheGuardrail")
    assert "inference-profile/us.anthropic.claude-haiku-5-5" in json.dumps(through_profile["Resource"])
    assert through_profile["Condition"] == {"StringEquals": pinned}
    in_regions = statement_with_sid(template, "InvokeTheModelInTheProfilesRegionsWithTheGuardrail")
    assert (
        in_regions["Resource"]["Fn::Join"][1][-1] == ":bedrock:*::foundation-model/anthropic.claude-haiku-5-5"
    )
    assert in_regions["Condition"]["StringEquals"] == pinned
    assert "inference-profile/us." in json.dumps(
        in_regions["Condition"]["StringLike"]["bedrock:InferenceProfileArn"]
    )
    deny = statement_with_sid(template, "DenyModelCallsWithoutTheGuardrail")
    assert (deny["Effect"], deny["Resource"]) == ("Deny", "*")
    assert deny["Condition"] == {"StringNotEquals": pinned}
    for statement in (through_profile, in_regions, deny):
        assert sorted(statement["Action"]) == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


def test_the_guardrail_the_gateway_and_the_memory(template: Template) -> None:
    assert statement_with_sid(template, "ApplyTheGuardrail")["Resource"] == GUARDRAIL_ARN
    assert statement_with_sid(template, "CallTheGatewayTools")["Resource"] == GATEWAY_ARN
    assert statement_with_sid(template, "SessionMemory")["Resource"] == MEMORY_ARN
    memory_key = statement_with_sid(template, "SessionMemoryKey")
    assert memory_key["Condition"] == {
        "StringEquals": {"kms:ViaService": "bedrock-agentcore.us-east-1.amazonaws.com"}
    }
    identity = json.dumps(statement_with_sid(template, "WorkloadIdentity")["Resource"])
    assert "workload-identity/harness_under_test-*" in identity


def test_no_role_switching(template: Template) -> None:
    assert statement_with_sid(template, "NoRoleSwitching") == {
        "Action": "sts:AssumeRole",
        "Effect": "Deny",
        "Resource": "*",
        "Sid": "NoRoleSwitching",
    }


def test_the_harness_image_through_the_vpc_or_from_ecr_public(
    app: cdk.App, stack: cdk.Stack, key: kms.Key
) -> None:
    public = cdk.Stack(app, "Public", env=cdk.Environment(account=stack.account, region=stack.region))
    harness_policy(stack, key, in_vpc=True)
    harness_policy(public, key, in_vpc=False)
    in_vpc = {s["Sid"] for s in statements_of(template_of(stack))}
    outside = {s["Sid"] for s in statements_of(template_of(public))}
    assert in_vpc - outside == {"PullTheHarnessImage", "EcrLogin"}
    assert outside - in_vpc == {"PullTheHarnessImagePublicly"}


def test_each_wildcard_the_policy_allows_is_acknowledged_with_a_reason(
    stack: cdk.Stack, key: kms.Key
) -> None:
    policy = harness_policy(stack, key)
    acknowledged = {
        rule: reason
        for m in policy.node.metadata
        if m.type == "aws:cdk:acknowledged-rules"
        for rule, reason in m.data.items()
    }
    rules = set(acknowledged)
    assert "AwsSolutions::AwsSolutions-IAM5[Resource::*]" in rules
    assert any("foundation-model/anthropic.claude-haiku-5-5" in rule for rule in rules)
    assert any("workload-identity/harness_under_test-*" in rule for rule in rules)
    assert not any("NoRoleSwitching" in rule for rule in rules)  # a Deny needs no acknowledgement
    assert all(reason.startswith("The harness role's wildcards") for reason in acknowledged.values())


def test_the_role_is_trusted_by_agentcore_for_this_account_and_region(stack: cdk.Stack) -> None:
    harness_role(stack, "Role", description="A harness")
    [role] = template_of(stack).find_resources("AWS::IAM::Role").values()
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert ":bedrock-agentcore:us-east-1:111122223333:*" in json.dumps(trust["Condition"]["ArnLike"])
