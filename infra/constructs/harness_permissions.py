"""The permissions of an AgentCore harness (OperationsHarness): its role's trust and its policy.

A caller may override the model, prompt, tools and limits per InvokeHarness call, so the limits
that matter are enforced here, where no caller reaches: the role may invoke only the configured
model through its inference profile, and only with the guardrail (IAM condition
bedrock:GuardrailIdentifier, Allow plus Deny), and may call only its gateway.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.guardrail import PinnedGuardrail
from infra.policy import acknowledge, nag_arn

MODEL_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


def harness_role(scope: Construct, construct_id: str, *, description: str) -> iam.Role:
    """A role for a harness: trusted by AgentCore acting for this account's resources in this region
    only (AgentCore Developer Guide, "IAM Permissions for AgentCore Runtime"; the harness runs on it)."""
    stack = cdk.Stack.of(scope)
    here = f"{stack.region}:{stack.account}"
    return iam.Role(
        scope,
        construct_id,
        description=description,
        assumed_by=iam.ServicePrincipal(
            "bedrock-agentcore.amazonaws.com",
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:bedrock-agentcore:{here}:*"},
            },
        ),
    )


def harness_statements(
    scope: Construct,
    *,
    harness_name: str,
    model_id: str,
    profile_id: str,
    guardrail: PinnedGuardrail,
    gateway_arn: str,
    memory_arn: str,
    memory_key: kms.IKey,
    in_vpc: bool,
) -> list[iam.PolicyStatement]:
    """What the harness `harness_name` needs: `model_id` through the inference profile `profile_id`,
    only with `guardrail`; its gateway's tools; its session memory (`memory_arn`, encrypted with
    `memory_key`); its workload identity, logs, traces and metrics; and AgentCore's harness image,
    through the VPC's endpoints when `in_vpc`, else from ECR Public."""
    stack = cdk.Stack.of(scope)
    here = f"{stack.region}:{stack.account}"
    profile_arn = f"arn:{stack.partition}:bedrock:{here}:inference-profile/{profile_id}"
    # The profile routes to regions of its geography that change over time: the model in any
    # region, but only as reached through this profile (Bedrock User Guide, "Geographic
    # cross-Region inference": profile, plus the model in every destination region).
    any_region_model = f"arn:{stack.partition}:bedrock:*::foundation-model/{model_id}"
    guardrail_version_arn = f"{guardrail.guardrail_arn}:{guardrail.version}"
    with_guardrail = {"StringEquals": {"bedrock:GuardrailIdentifier": guardrail_version_arn}}
    runtimes = f"arn:{stack.partition}:logs:{here}:log-group:/aws/bedrock-agentcore/runtimes/*"
    statements = [
        # The guardrail enforced by IAM, in the Allow-plus-Deny form of the Bedrock User Guide
        # ("Enforce guardrails with IAM"): a call without it, or with another, is refused.
        iam.PolicyStatement(
            sid="InvokeTheModelThroughItsProfileWithTheGuardrail",
            actions=MODEL_ACTIONS,
            resources=[profile_arn],
            conditions=with_guardrail,
        ),
        iam.PolicyStatement(
            sid="InvokeTheModelInTheProfilesRegionsWithTheGuardrail",
            actions=MODEL_ACTIONS,
            resources=[any_region_model],
            conditions={**with_guardrail, "StringLike": {"bedrock:InferenceProfileArn": profile_arn}},
        ),
        iam.PolicyStatement(
            sid="DenyModelCallsWithoutTheGuardrail",
            effect=iam.Effect.DENY,
            actions=MODEL_ACTIONS,
            resources=["*"],
            conditions={"StringNotEquals": {"bedrock:GuardrailIdentifier": guardrail_version_arn}},
        ),
        iam.PolicyStatement(
            sid="ApplyTheGuardrail",
            actions=["bedrock:ApplyGuardrail"],
            resources=[guardrail.guardrail_arn],
        ),
        # The guardrail is encrypted with a customer key its users decrypt (Bedrock User Guide,
        # "Create a customer managed key for your guardrail").
        iam.PolicyStatement(
            sid="ReadTheGuardrail",
            actions=["kms:Decrypt", "kms:DescribeKey"],
            resources=[guardrail.key.key_arn],
        ),
        iam.PolicyStatement(
            sid="CallTheGatewayTools",
            actions=["bedrock-agentcore:InvokeGateway"],
            resources=[gateway_arn],
        ),
        iam.PolicyStatement(
            sid="SessionMemory",
            actions=[
                "bedrock-agentcore:CreateEvent",
                "bedrock-agentcore:GetEvent",
                "bedrock-agentcore:ListEvents",
                "bedrock-agentcore:DeleteEvent",
                "bedrock-agentcore:RetrieveMemoryRecords",
            ],
            resources=[memory_arn],
        ),
        iam.PolicyStatement(
            sid="SessionMemoryKey",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[memory_key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"bedrock-agentcore.{stack.region}.amazonaws.com"}
            },
        ),
        iam.PolicyStatement(
            sid="WorkloadIdentity",
            actions=[
                "bedrock-agentcore:GetWorkloadAccessToken",
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
            ],
            resources=[
                f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:"
                "workload-identity-directory/default",
                f"arn:{stack.partition}:bedrock-agentcore:{stack.region}:{stack.account}:"
                f"workload-identity-directory/default/workload-identity/harness_{harness_name}-*",
            ],
        ),
        iam.PolicyStatement(
            sid="FindLogGroups",
            actions=["logs:DescribeLogGroups"],
            resources=[f"arn:{stack.partition}:logs:{here}:log-group:*"],
        ),
        iam.PolicyStatement(
            sid="RuntimeLogs",
            actions=[
                "logs:CreateLogGroup",
                "logs:DescribeLogStreams",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            resources=[runtimes, f"{runtimes}:log-stream:*"],
        ),
        iam.PolicyStatement(
            sid="Tracing",
            actions=[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="Metrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}},
        ),
        # The harness assumes no other role (LiteLLM's aws_role_name could ask it to).
        iam.PolicyStatement(
            sid="NoRoleSwitching", effect=iam.Effect.DENY, actions=["sts:AssumeRole"], resources=["*"]
        ),
    ]
    if in_vpc:
        # In VPC mode the runtime pulls AgentCore's own harness image through the VPC's endpoints.
        statements += [
            iam.PolicyStatement(
                sid="PullTheHarnessImage",
                actions=[
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                ],
                resources=[f"arn:{stack.partition}:ecr:{stack.region}:*:repository/harness-*"],
            ),
            iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        ]
    else:
        statements.append(
            iam.PolicyStatement(
                sid="PullTheHarnessImagePublicly",
                actions=["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"],
                resources=["*"],
            )
        )
    return statements


def acknowledge_wildcards(policy: iam.ManagedPolicy) -> None:
    """Acknowledge cdk-nag's IAM5 finding for each wildcard resource the harness policy allows."""
    wildcards = sorted(
        {r for st in policy.document.to_json()["Statement"] for r in _as_list(st.get("Resource"))
         if isinstance(r, str) and "*" in r and st.get("Effect") == "Allow"}
    )  # fmt: skip
    acknowledge(
        policy,
        "The harness role's wildcards are the AgentCore guide's: X-Ray, ecr:GetAuthorizationToken and "
        "PutMetricData (held to the bedrock-agentcore namespace) take no resource; the runtime's log "
        "groups, harness image repositories and workload identities are named by AgentCore; the model "
        "in any region is held to this inference profile and this guardrail by condition.",
        *(f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(arn)}]" for arn in wildcards),
    )


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]
