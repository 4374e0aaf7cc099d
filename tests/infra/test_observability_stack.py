"""ObservabilityStack: the audit trail, its delivery and what it records; the security and workload
alarms; the dashboard. The construct tests (tests/infra/constructs/) cover each construct alone; these
check the whole app: that nothing that can fail goes unwatched, in every configuration variant."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra.config import load_config
from infra.constructs.audit_trail import BEDROCK_DATA_EVENT_TYPES
from infra.constructs.observability import Observable, observables_in
from infra.constructs.security_alarms import SECURITY_EVENTS
from infra.constructs.vpc_function import PythonFunctionInVpc
from infra.platform import build_platform
from tests.conftest import Synth, cdk_context

TRAIL_ARN = {
    "Fn::Join": [
        "",
        ["arn:aws:cloudtrail:us-east-1:", {"Ref": "AWS::AccountId"}, ":trail/GenAiPlatform-dev-audit"],
    ]
}


def trail(synth: Synth) -> dict:
    [resource] = synth.resources(synth.platform.observability, "AWS::CloudTrail::Trail").values()
    return resource["Properties"]


def test_the_trail_covers_every_region_encrypted_and_tamper_evident(dev: Synth) -> None:
    properties = trail(dev)
    assert properties["TrailName"] == "GenAiPlatform-dev-audit"
    assert properties["IsMultiRegionTrail"] is True
    assert properties["IncludeGlobalServiceEvents"] is True
    assert properties["EnableLogFileValidation"] is True
    assert properties["IsLogging"] is True
    assert "LogsKey" in json.dumps(properties["KMSKeyId"])
    assert properties["S3KeyPrefix"] == "cloudtrail"
    assert "CloudWatchLogsLogGroupArn" in properties
    assert "CloudWatchLogsRoleArn" in properties


def test_the_log_bucket_admits_this_trail_only(dev: Synth) -> None:
    policies = dev.resources(dev.platform.data, "AWS::S3::BucketPolicy").values()
    statements = {s.get("Sid"): s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["CloudTrailAclCheck"]["Action"] == "s3:GetBucketAcl"
    write = statements["CloudTrailWrite"]
    assert write["Condition"]["StringEquals"] == {
        "aws:SourceArn": TRAIL_ARN,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    assert "cloudtrail/AWSLogs/" in json.dumps(write["Resource"])


def test_the_logs_key_lets_this_trail_encrypt_with_its_encryption_context(dev: Synth) -> None:
    data = dev.platform.data
    keys = dev.resources(data, "AWS::KMS::Key")
    statements = keys[data.get_logical_id(data.logs_key.node.default_child)]["Properties"]["KeyPolicy"][
        "Statement"
    ]
    [encrypt] = [s for s in statements if s.get("Sid") == "AllowThisTrailToEncryptLogFiles"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": TRAIL_ARN}
    assert "kms:EncryptionContext:aws:cloudtrail:arn" in encrypt["Condition"]["StringLike"]


def test_cloudtrail_writes_to_its_log_group_through_a_role_only_this_trail_may_assume(dev: Synth) -> None:
    observability = dev.platform.observability
    [role] = dev.resources(observability, "AWS::IAM::Role").values()
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN
    assert dev.resources(observability, "AWS::IAM::Policy") == {}
    [log_group] = dev.resources(observability, "AWS::Logs::LogGroup").values()
    assert "KmsKeyId" in log_group["Properties"]


def test_data_events_cover_the_data_buckets_and_bedrock_by_default(dev: Synth) -> None:
    selectors = {s["Name"]: s["FieldSelectors"] for s in trail(dev)["AdvancedEventSelectors"]}
    assert selectors["All management events"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    buckets = next(
        f for f in selectors["Objects of the platform's data buckets"] if f["Field"] == "resources.ARN"
    )
    assert len(buckets["StartsWith"]) == 3
    assert all(json.dumps(arn).endswith('-us-east-1/"]]}') for arn in buckets["StartsWith"])
    bedrock_types = {
        f["Equals"][0]
        for name, fields in selectors.items()
        if name.startswith("Bedrock")
        for f in fields
        if f["Field"] == "resources.type"
    }
    assert bedrock_types == set(BEDROCK_DATA_EVENT_TYPES)


@pytest.fixture(scope="module")
def account_owner() -> Template:
    """The Observability stack of a deployment that owns the account-wide settings and pays for no
    data events (no assistant: it needs no AgentCore region); built without the other variants' gates."""
    app = cdk.App(
        context=cdk_context(transaction_search="true", trail_data_events="false", assistant="false")
    )
    platform = build_platform(app, load_config(app.node.get_all_context()))
    return Template.from_stack(platform.observability)


def test_without_data_events_the_trail_records_management_events_only(account_owner: Template) -> None:
    [trail] = account_owner.find_resources("AWS::CloudTrail::Trail").values()
    assert [s["Name"] for s in trail["Properties"]["AdvancedEventSelectors"]] == ["All management events"]
    assert load_config(cdk_context()).audit.trail_data_events is True


def test_each_security_event_has_a_filter_and_an_alarm_that_notifies_the_topic(dev: Synth) -> None:
    observability = dev.platform.observability
    filters = dev.resources(observability, "AWS::Logs::MetricFilter").values()
    patterns = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]["FilterPattern"]
        for f in filters
    }
    assert set(patterns) == {e.construct_id for e in SECURITY_EVENTS}
    assert patterns["KeyDisabledOrScheduledForDeletion"] == (
        "{ ($.eventSource = kms.amazonaws.com) && "
        "(($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"
    )
    topic_id = observability.get_logical_id(observability.security_alarms.topic.node.default_child)
    alarms = [
        a
        for i, a in dev.resources(observability, "AWS::CloudWatch::Alarm").items()
        if i.startswith("SecurityAlarms")
    ]
    assert len(alarms) == len(SECURITY_EVENTS)
    for alarm in alarms:
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [{"Ref": topic_id}]
        assert (properties["Threshold"], properties["EvaluationPeriods"]) == (1, 1)
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["Namespace"] == "GenAiPlatform/Security"


def test_the_alarm_topic_is_encrypted_and_tls_only(dev: Synth) -> None:
    observability = dev.platform.observability
    [topic] = dev.resources(observability, "AWS::SNS::Topic").values()
    assert "LogsKey" in json.dumps(topic["Properties"]["KmsMasterKeyId"])
    [policy] = dev.resources(observability, "AWS::SNS::TopicPolicy").values()
    [deny] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    data = dev.platform.data
    key = dev.resources(data, "AWS::KMS::Key")[data.get_logical_id(data.logs_key.node.default_child)]
    [cloudwatch] = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchAlarmsOfThisAccountToPublish"
    ]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


def test_alarms_are_emailed_only_when_an_address_is_set(dev: Synth, prod: Synth) -> None:
    assert dev.resources(dev.platform.observability, "AWS::SNS::Subscription") == {}
    [subscription] = prod.resources(prod.platform.observability, "AWS::SNS::Subscription").values()
    assert (subscription["Properties"]["Protocol"], subscription["Properties"]["Endpoint"]) == (
        "email",
        "ops@example.com",
    )


# --- workload alarms ---------------------------------------------------------------------------------


def alarms(synth: Synth) -> dict[str, dict]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in synth.resources(
            synth.platform.observability, "AWS::CloudWatch::Alarm"
        ).items()
    }


def constructs_of(stacks: list[cdk.Stack], kind: type) -> list:
    return [c for stack in stacks for c in stack.node.find_all() if isinstance(c, kind)]


# What can fail at run time and must be watched: functions, queues, state machines, endpoints and
# the assistant's harness and gateway, by their CloudFormation types.
WATCHED_TYPES = (
    "AWS::Lambda::Function",
    "AWS::SQS::Queue",
    "AWS::StepFunctions::StateMachine",
    "AWS::SageMaker::Endpoint",
    "AWS::BedrockAgentCore::Harness",
    "AWS::BedrockAgentCore::Gateway",
)
# A cr.Provider's framework function names the handlers it calls in these variables.
PROVIDER_HANDLER_VARIABLES = ("USER_ON_EVENT_FUNCTION_ARN", "USER_IS_COMPLETE_FUNCTION_ARN")


def deploy_time_functions(resources: dict[str, dict]) -> set[str]:
    """The functions that run only while CloudFormation deploys (custom-resource handlers: the CDK's
    bucket deployment, auto-delete and prefix-list lookups, our invocation-logging provider): the
    ServiceToken of a custom resource, and the handlers a provider framework function calls. They
    are exempt from the guard: a failure there fails the deploy, which a person is watching."""

    def target(value: object) -> str | None:
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
        return None

    tokens = {
        target(r["Properties"].get("ServiceToken"))
        for r in resources.values()
        if r["Type"].startswith("Custom::") or r["Type"] == "AWS::CloudFormation::CustomResource"
    } - {None}
    handlers = {
        target(resources[token]["Properties"].get("Environment", {}).get("Variables", {}).get(variable))
        for token in tokens
        for variable in PROVIDER_HANDLER_VARIABLES
    } - {None}
    return tokens | handlers


def watching_observable(resource: IConstruct) -> IConstruct | None:
    """The innermost construct above `resource` that is Observable and has an alarm rule."""
    for scope in reversed(resource.node.scopes[:-1]):
        if isinstance(scope, Observable) and scope.alarm_rules():
            return scope
    return None


def test_nothing_that_can_fail_goes_unwatched(all_variants: list[Synth]) -> None:
    """Guard: every function (but deploy-time ones), queue, state machine, endpoint, harness and
    gateway of the app, found in the templates, lies under an Observable construct with an alarm rule;
    and every such rule of every stack has its alarm. A new workload that does not implement the
    protocol, or a stack left out of the Observability stack's workloads, fails here."""
    for synth in all_variants:
        for stack in synth.platform.stacks:
            resources = synth.templates[stack.stack_name]["Resources"]
            exempt = deploy_time_functions(resources)
            by_logical_id = {
                stack.resolve(c.logical_id): c for c in stack.node.find_all() if isinstance(c, cdk.CfnElement)
            }
            for logical_id, resource in resources.items():
                if resource["Type"] not in WATCHED_TYPES or logical_id in exempt:
                    continue
                where = (
                    f"{synth.config.deployment.profile}: {stack.stack_name}/{logical_id} ({resource['Type']})"
                )
                assert watching_observable(by_logical_id[logical_id]) is not None, f"unwatched: {where}"

        rules = sum(len(o.alarm_rules()) for o in observables_in(synth.platform.stacks))
        observability = synth.platform.observability
        # One alarm per rule, plus Bedrock throttling (account-wide: no workload owns it).
        assert len(observability.workload_alarms.alarms) == rules + 1
        workload_alarms = [
            i
            for i in synth.resources(observability, "AWS::CloudWatch::Alarm")
            if i.startswith("WorkloadAlarms")
        ]
        assert len(workload_alarms) == rules + 1


def test_the_guard_exempts_exactly_the_deploy_time_functions(dev: Synth) -> None:
    exempt = {
        stack.stack_name.removeprefix("GenAiPlatform-dev-"): sorted(
            deploy_time_functions(dev.templates[stack.stack_name]["Resources"])
        )
        for stack in dev.platform.stacks
    }
    assert {name: len(ids) for name, ids in exempt.items() if ids} == {
        "Data": 1,  # S3 auto-delete (dev buckets are destroyed with the stack)
        "Network": 2,  # the S3 prefix-list lookup, the default security group's restriction
        "KnowledgeBase": 3,  # the sample corpus upload; the invocation-logging provider and handler
    }
    functions = constructs_of(dev.platform.stacks, PythonFunctionInVpc)
    workload_ids = {cdk.Stack.of(f).resolve(f.function.node.default_child.logical_id) for f in functions}
    assert not workload_ids & {i for ids in exempt.values() for i in ids}


def test_alarms_keep_the_logical_ids_they_had_when_listed_by_hand(dev: Synth) -> None:
    # A changed logical ID replaces the alarm on deploy (a new name; its history starts again).
    kept = {
        "WorkloadAlarmsAsyncBacklogWithoutCapacityTooLong",
        "WorkloadAlarmsAsyncFailedRequests",
        "WorkloadAlarmsAsyncInvocation5xxErrors",
        "WorkloadAlarmsAsyncInvokeFunctionErrors",
        "WorkloadAlarmsBatchTransformPrepareRunFunctionErrors",
        "WorkloadAlarmsBedrockThrottling",
        "WorkloadAlarmsGatewaySystemErrors",
        "WorkloadAlarmsGatewayThrottles",
        "WorkloadAlarmsHarnessSystemErrors",
        "WorkloadAlarmsHarnessThrottles",
        "WorkloadAlarmsIngestionFunctionErrors",
        "WorkloadAlarmsOperationsToolsErrors",
        "WorkloadAlarmsRealtimeInvocation5xxErrors",
        "WorkloadAlarmsServerlessInvocation5xxErrors",
    }
    # Named after the construct that owns the rule now, the queue pair or the batch runs, rather than
    # the dead-letter queue or the state machine inside it: replaced once, unchanged otherwise.
    renamed = {
        "WorkloadAlarmsIngestionMessagesInDeadLetterQueue",  # was ...IngestionDeadLetterQueue...
        "WorkloadAlarmsAsyncInvokeMessagesInDeadLetterQueue",  # was ...AsyncInvokeDeadLetterQueue...
        "WorkloadAlarmsBatchTransformFailedExecutions",  # was ...BatchTransformStateMachine...
    }
    found = {i[: -len("12345678")] for i in alarms(dev) if i.startswith("WorkloadAlarms")}
    assert found == kept | renamed


def test_every_alarm_of_the_app_has_an_action(all_variants: list[Synth]) -> None:
    for synth in all_variants:
        for stack in synth.platform.stacks:
            for logical_id, alarm in synth.resources(stack, "AWS::CloudWatch::Alarm").items():
                assert alarm["Properties"].get("AlarmActions"), f"{stack.stack_name}/{logical_id}"


def test_every_dead_letter_queue_of_the_app_has_an_alarm(dev: Synth) -> None:
    # Derived from the templates, not from the code under test: every queue that allows redrives.
    expected = sum(
        1
        for stack in dev.platform.stacks
        for queue in dev.resources(stack, "AWS::SQS::Queue").values()
        if "RedriveAllowPolicy" in queue["Properties"]
    )
    watched = [a for a in alarms(dev).values() if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    assert expected == len(watched) == 2
    for alarm in watched:
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_function_endpoint_and_state_machine_has_its_alarm(dev: Synth) -> None:
    # The workload functions; deploy-time helpers (custom-resource handlers) fail the deploy instead.
    functions = constructs_of(dev.platform.stacks, PythonFunctionInVpc)
    found = list(alarms(dev).values())
    assert len([a for a in found if a.get("MetricName") == "Errors"]) == len(functions) == 4
    endpoints = sorted(
        e["Properties"]["EndpointName"]
        for s in dev.platform.stacks
        for e in dev.resources(s, "AWS::SageMaker::Endpoint").values()
    )
    errors = sorted(
        a["Dimensions"][0]["Value"] for a in found if a.get("MetricName") == "Invocation5XXErrors"
    )
    assert endpoints == [
        "GenAiPlatform-dev-async",
        "GenAiPlatform-dev-realtime",
        "GenAiPlatform-dev-serverless",
    ]
    # The real-time endpoint hosts an inference component, which SageMaker reports its invocation
    # metrics under (dimension InferenceComponentName); the others report per endpoint and variant.
    assert errors == [
        "GenAiPlatform-dev-async",
        "GenAiPlatform-dev-realtime-digits",
        "GenAiPlatform-dev-serverless",
    ]
    [component] = [
        a for a in found if a.get("MetricName") == "Invocation5XXErrors" and "digits" in json.dumps(a)
    ]
    assert component["Dimensions"] == [
        {"Name": "InferenceComponentName", "Value": "GenAiPlatform-dev-realtime-digits"}
    ]
    [failed_runs] = [
        a
        for a in found
        if any(m.get("Expression") == "failed + timedOut + aborted" for m in a.get("Metrics", []))
    ]
    assert failed_runs["Threshold"] == 1


def test_async_failures_and_long_waits_and_bedrock_throttling_alarm(dev: Synth) -> None:
    found = {a.get("MetricName"): a for a in alarms(dev).values()}
    assert found["NumberOfMessagesPublished"]["Namespace"] == "AWS/SNS"
    assert found["HasBacklogWithoutCapacity"]["Period"] == 15 * 60
    assert found["HasBacklogWithoutCapacity"]["Statistic"] == "Minimum"
    assert found["InvocationThrottles"]["Namespace"] == "AWS/Bedrock"


# --- dashboard ------------------------------------------------------------------------------------


def dashboard_body(synth: Synth) -> str:
    [dashboard] = synth.resources(synth.platform.observability, "AWS::CloudWatch::Dashboard").values()
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_the_dashboard_covers_every_endpoint_and_queue_of_the_app(dev: Synth) -> None:
    body = dashboard_body(dev)
    # Derived from the templates, not from the dashboard code: every endpoint name and every queue.
    for stack in dev.platform.stacks:
        for endpoint in dev.resources(stack, "AWS::SageMaker::Endpoint").values():
            assert endpoint["Properties"]["EndpointName"] in body
        for logical_id in dev.resources(stack, "AWS::SQS::Queue"):
            # A queue of another stack arrives as a reference to its published name.
            assert logical_id in body, f"{stack.stack_name}/{logical_id}"


def test_the_dashboard_shows_bedrock_by_model_and_the_glue(dev: Synth) -> None:
    body = dashboard_body(dev)
    for text in (
        "{AWS/Bedrock,ModelId} MetricName=",
        "InputTokenCount",
        "InvocationThrottles",
        "AWS/Bedrock/Guardrails",
        "GenAiPlatform/KnowledgeBaseIngestion",
        "ApproximateBacklogSize",
        "ServerlessConcurrentExecutionsUtilization",
        "CopyCount",
        "ApproximateAgeOfOldestMessage",
        "Throttles",
    ):
        assert text in body, text


def test_the_dashboard_has_a_section_per_kind_of_workload_after_bedrock(dev: Synth) -> None:
    sections = dev.platform.observability.dashboard.sections
    assert {"SageMaker endpoints", "Lambda functions", "Queues", "Operations assistant (AgentCore)"} <= set(
        sections
    )
    body = dashboard_body(dev)
    assert body.index("## Bedrock") < min(body.index(f"## {section}") for section in sections)
    # Each heading once: rows of one section are drawn together.
    assert all(body.count(f"## {section}") == 1 for section in sections)


def test_every_log_group_of_the_app_has_a_retention_and_a_key(all_variants: list[Synth]) -> None:
    for synth in all_variants:
        for stack in synth.platform.stacks:
            for logical_id, group in synth.resources(stack, "AWS::Logs::LogGroup").items():
                properties = group["Properties"]
                assert properties["RetentionInDays"] == synth.config.deployment.log_retention_days, logical_id
                assert "KmsKeyId" in properties, f"{stack.stack_name}/{logical_id}"


def test_transaction_search_is_turned_on_only_by_the_owning_deployment_and_never_off(
    account_owner: Template, dev: Synth
) -> None:
    template = account_owner.to_json()["Resources"]
    [search] = [r for r in template.values() if r["Type"] == "AWS::XRay::TransactionSearchConfig"]
    [policy] = [r for r in template.values() if r["Type"] == "AWS::Logs::ResourcePolicy"]
    assert search["Properties"]["IndexingPercentage"] == 1
    assert search["DeletionPolicy"] == policy["DeletionPolicy"] == "Retain"
    document = (
        json.loads(policy["Properties"]["PolicyDocument"])
        if isinstance(policy["Properties"]["PolicyDocument"], str)
        else policy["Properties"]["PolicyDocument"]
    )
    assert "xray.amazonaws.com" in json.dumps(document)
    assert load_config(cdk_context()).audit.transaction_search is False
    assert dev.resources(dev.platform.observability, "AWS::XRay::TransactionSearchConfig") == {}
