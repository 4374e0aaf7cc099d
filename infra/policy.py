"""The policy gates every synth passes, and the one way this project acknowledges a finding.

Four cdk-nag packs and the AWS Control Tower proactive-control Guard rules run as CDK validation
plugins on every synth (in `make synth`, in `cdk deploy` and in every test that synthesizes).
Any finding that is not acknowledged fails the synth.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import IConstruct

from infra.guard_gate import ApplicableGuardRules
from infra.validation_report import CONTROL_TOWER, NAG_PACKS

# Guard rules of our own for what no public pack checks: Bedrock, S3 Vectors, SageMaker serving,
# asynchronous Lambda invocations, service-wide IAM wildcards. One rule per file; reusable by any
# CDK app (CfnGuardValidator(rules=[...])) or CloudFormation pipeline (cfn-guard validate).
GUARD_RULES = Path(__file__).resolve().parent / "guard_rules"


def add_policy_gates(app: cdk.App) -> None:
    """Register every policy pack on the app. Call once, before synth."""
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app),
        HIPAASecurityChecks(app),
        NIST80053R5Checks(app),
        PCIDSS321Checks(app),
        # cdklabs' CfnGuardValidator ships the cfn-guard binary and the Control Tower proactive
        # controls (CT.*.PR.*), which templates must pass to deploy into accounts of a Control Tower
        # organization; it runs this project's own GenAI rules (infra/guard_rules/) in the same pass.
        # ApplicableGuardRules skips the Control Tower rules whose resource types no template has
        # (they could only SKIP): the same verdicts in a third of the time (infra/guard_gate.py).
        ApplicableGuardRules(rules=[str(GUARD_RULES)]),
    )


def acknowledge(scope: IConstruct, reason: str, *rule_ids: str) -> None:
    """Acknowledge findings on `scope` (and what it contains), with a reason specific to it.

    `rule_ids` are as the report prints them after "Acknowledge with", e.g.
    `AwsSolutions::AwsSolutions-S1` or `cdk-validator-cfnguard::s3_bucket_logging_enabled_check`.
    """
    if not reason.strip():
        raise ValueError("an acknowledgement needs a reason")
    for rule_id in rule_ids:
        if "::" not in rule_id:
            raise ValueError(f"{rule_id!r} is not a full rule id ('<pack>::<rule>')")
        cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def in_compliance_packs(rule_name: str) -> tuple[str, ...]:
    """One rule as the HIPAA, NIST and PCI packs each name it: they share rule names, e.g.
    `S3BucketReplicationEnabled` -> `HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled`, ..."""
    return tuple(f"{pack}::{pack}-{rule_name}" for pack in NAG_PACKS[1:])


def accept_cdk_provider(stack: cdk.Stack, provider_id: str, reason: str) -> None:
    """Bring one of the CDK's own custom-resource provider Lambdas (a singleton per stack, added
    by an L2 construct) in line with this project's checks:

    - acknowledge the Control Tower rule that every Lambda function runs in a VPC: these are
      deploy-time helpers that call one AWS API while the stack is created or deleted; `reason`
      says what this one does and why it stays outside the VPC;
    - drop its `DependsOn` on its own role, which its `Role: Fn::GetAtt` already implies
      (cfn-lint W3005).
    """
    provider = stack.node.try_find_child(provider_id)
    if provider is None:
        raise ValueError(f"{stack.node.path} has no {provider_id}; nothing to accept")
    handler = provider.node.find_child("Handler")
    acknowledge(
        handler, f"CDK-managed provider {provider_id}. {reason}", f"{CONTROL_TOWER}::lambda_inside_vpc_check"
    )
    handler.add_deletion_override("DependsOn")


def acknowledge_cross_stack_reference(
    resource: IConstruct, rule: str, *, property_name: str, source: cdk.Stack
) -> None:
    """Acknowledge a Control Tower rule that cannot see through a cross-stack reference.

    The Guard rules accept a literal value or a reference inside the same template; a value that
    another stack of this app provides (the shared logs key, the VPC's subnets) arrives as a
    cross-stack reference, so the rule fails at synth although the resource is compliant. The
    Control Tower hook at deploy time evaluates the resolved value.
    """
    acknowledge(
        resource,
        f"{property_name} comes from stack {source.stack_name} as a cross-stack reference, which this "
        "rule cannot resolve at synth (it accepts literals and same-template references only); the "
        "deploy-time Control Tower hook sees the resolved value.",
        f"{CONTROL_TOWER}::{rule}",
    )


# The HIPAA and NIST packs want a dead-letter queue on every Lambda function; PCI DSS does not.
LAMBDA_DEAD_LETTER_RULES = (
    "HIPAA.Security::HIPAA.Security-LambdaDLQ",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
)


def acknowledge_synchronous_function(function: IConstruct, how_invoked: str) -> None:
    """Acknowledge the dead-letter-queue rule for a function that is only ever invoked
    synchronously: `how_invoked` says by whom, and where its failures go instead."""
    acknowledge(
        function,
        f"{how_invoked} A Lambda dead-letter queue applies only to asynchronous invocations.",
        *LAMBDA_DEAD_LETTER_RULES,
    )


# The HIPAA and NIST packs want reserved concurrency on every Lambda function.
LAMBDA_CONCURRENCY_RULES = (
    "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
)


def acknowledge_unreserved_concurrency(function: IConstruct, bound: str) -> None:
    """Acknowledge the reserved-concurrency rule where the deployment reserves none
    (`reserve_lambda_concurrency` off); `bound` says what limits this function's concurrency instead."""
    acknowledge(
        function,
        "reserve_lambda_concurrency is off for this profile: Lambda keeps part of an account's concurrency "
        "unreserved (100 per the Lambda developer guide, 'Configuring reserved concurrency'; new accounts "
        f"with a quota of 10 see a minimum of 10), so there any reservation fails the deploy. {bound}",
        *LAMBDA_CONCURRENCY_RULES,
    )


def nag_arn(arn: str) -> str:
    """An ARN built from pseudo parameters, as cdk-nag spells it inside a finding id (for example
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::bucket-<AWS::AccountId>/*]`)."""
    return arn.replace(cdk.Aws.ACCOUNT_ID, "<AWS::AccountId>").replace(cdk.Aws.PARTITION, "<AWS::Partition>")


def accept_cdk_singleton_function(
    handler: IConstruct,
    *,
    policy: IConstruct,
    network_reason: str,
    reserve_concurrency: bool,
    invoked_by: str | None = None,
) -> None:
    """Hold a deploy-time handler function (the CDK's singletons behind AwsCustomResource or
    BucketDeployment, the Provider framework's, or a handler of ours behind it) to this project's
    checks, where it runs with a role and policy of ours:

    - with `reserve_concurrency`, one concurrent execution: it runs a few times per deploy
      (HIPAA/NIST LambdaConcurrency);
    - DependsOn names only its managed `policy`: its role it waits for through `Role: Fn::GetAtt`
      already (cfn-lint W3005);
    - outside the VPC, for `network_reason` (the compliance packs and Control Tower acknowledged);
    - no dead-letter queue. CloudFormation invokes a custom resource's handler asynchronously and
      waits for its answer at a presigned URL: one that fails every retry without answering fails
      the stack operation when that wait times out, in the stack's events. `invoked_by` says who
      else invokes it (synchronously) where CloudFormation does not.
    """
    stack = cdk.Stack.of(handler)
    cfn_handler = handler.node.default_child
    if reserve_concurrency:
        # A property, not a raw override: cdk-nag checks properties and cannot see overrides.
        cfn_handler.reserved_concurrent_executions = 1
    else:
        acknowledge_unreserved_concurrency(
            handler, "It runs only while CloudFormation creates, updates or deletes its resources."
        )
    cfn_handler.add_override("DependsOn", [stack.get_logical_id(policy.node.default_child)])
    acknowledge(
        handler,
        network_reason,
        *in_compliance_packs("LambdaInsideVPC"),
        f"{CONTROL_TOWER}::lambda_inside_vpc_check",
    )
    if invoked_by is not None:
        acknowledge_synchronous_function(handler, invoked_by)
        return
    acknowledge(
        handler,
        "CloudFormation invokes this handler asynchronously and waits for its answer at a presigned "
        "URL (Lambda developer guide, 'Using AWS Lambda with CloudFormation'): one that never answers "
        "fails the stack operation when the wait times out, in plain sight in the stack's events; the "
        "event kept in a dead-letter queue could not be replayed into that operation.",
        *LAMBDA_DEAD_LETTER_RULES,
    )
