"""BatchTransformRuns: the model's role reads inputs and writes outputs only, the state machine logs,
traces and encrypts with a key of its own, callers get a start grant, and failed runs alarm."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms

from infra.constructs.batch_transform_runs import (
    INPUT_ROOT,
    OUTPUT_ROOT,
    BatchSchedule,
    BatchTransformRuns,
)
from infra.constructs.log_group import LogSettings
from infra.constructs.serving_model import ServingModel
from tests.infra.constructs.conftest import template_of
from tests.infra.constructs.serving_support import (
    INFERENCE_BUCKET,
    WORKLOADS,
    grantee,
    inference_bucket,
    model_in_vpc,
    policy_statements,
)


def runs(
    stack: cdk.Stack,
    model: ServingModel,
    vpc: ec2.Vpc,
    key: kms.IKey,
    log_settings: LogSettings,
    schedule: BatchSchedule | None = None,
) -> BatchTransformRuns:
    return BatchTransformRuns(
        stack,
        "BatchTransform",
        serving=model,
        bucket=inference_bucket(stack),
        encryption_key=key,
        log_settings=log_settings,
        vpc=vpc,
        vpc_subnets=WORKLOADS,
        interface_endpoints=ec2.Peer.ipv4("10.0.0.0/16"),
        s3_prefix_list=ec2.Peer.prefix_list("pl-63a5400a"),
        instance_count=2,
        max_payload_mb=6,
        timeout=cdk.Duration.minutes(120),
        key_alias="alias/test/batch-runs",
        removal_policy=cdk.RemovalPolicy.DESTROY,
        schedule=schedule,
    )


@pytest.fixture
def model(stack: cdk.Stack, vpc: ec2.Vpc) -> ServingModel:
    return model_in_vpc(stack, vpc, instance_type="ml.m5.xlarge")


@pytest.fixture
def batch(
    stack: cdk.Stack, model: ServingModel, vpc: ec2.Vpc, key: kms.Key, log_settings: LogSettings
) -> BatchTransformRuns:
    return runs(stack, model, vpc, key, log_settings)


def machine(stack: cdk.Stack) -> dict:
    [resource] = template_of(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    return resource


def test_the_model_role_lists_and_reads_inputs_and_writes_outputs_only(
    stack: cdk.Stack, batch: BatchTransformRuns, model: ServingModel
) -> None:
    found = policy_statements(stack, model.policy)
    assert (INPUT_ROOT, OUTPUT_ROOT) == ("batch/input/", "batch/output/")
    assert found["ListBatchInputs"]["Condition"] == {"StringLike": {"s3:prefix": "batch/input/*"}}
    assert str(found["ListBatchInputs"]["Resource"]).endswith(f":s3:::{INFERENCE_BUCKET}']]}}")
    assert str(found["ReadBatchInputs"]["Resource"]).endswith("/batch/input/*']]}")
    assert str(found["WriteBatchOutputs"]["Resource"]).endswith("/batch/output/*']]}")
    assert {"UseModelsKey", "VolumeKeyGrant"} <= set(found)  # m5 is EBS-only


def test_the_state_machine_logs_traces_and_encrypts_with_its_own_key(
    stack: cdk.Stack, batch: BatchTransformRuns
) -> None:
    properties = machine(stack)["Properties"]
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert "StateMachineKey" in str(properties["EncryptionConfiguration"]["KmsKeyId"])
    template_of(stack).has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/test/batch-runs"})
    # The longest job plus ten minutes to prepare and notify.
    assert '"TimeoutSeconds":7800' in str(properties["DefinitionString"])


def test_the_state_machine_role_holds_the_run_statements_and_is_created_first(
    stack: cdk.Stack, batch: BatchTransformRuns, key: kms.Key
) -> None:
    template = template_of(stack)
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    [(policy_id, policy)] = [(i, p) for i, p in policies.items() if i.startswith("BatchTransformPolicy")]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert "PrepareRunFunction" in str(statements["PrepareRun"]["Resource"])
    assert "ResultsTopic" in str(statements["Notify"]["Resource"])
    assert statements["EncryptedTopicAndHistory"]["Resource"][0] == stack.resolve(key.key_arn)
    assert "StateMachineKey" in str(statements["EncryptedTopicAndHistory"]["Resource"][1])
    assert machine(stack)["DependsOn"] == [policy_id]
    [role] = [
        r for i, r in template.find_resources("AWS::IAM::Role").items() if i.startswith("BatchTransformRole")
    ]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"
    }


def test_the_definition_runs_the_models_type_and_the_given_count(
    stack: cdk.Stack, batch: BatchTransformRuns
) -> None:
    definition = str(machine(stack)["Properties"]["DefinitionString"])
    assert '"InstanceType":"ml.m5.xlarge","InstanceCount":2' in definition
    assert '"MaxPayloadInMB":6' in definition


def test_the_prepare_function_lists_inputs_in_the_vpc(stack: cdk.Stack, batch: BatchTransformRuns) -> None:
    functions = template_of(stack).find_resources("AWS::Lambda::Function")
    [function] = [f["Properties"] for f in functions.values() if "Handler" in f["Properties"]]
    assert function["Environment"]["Variables"]["INFERENCE_BUCKET"] == INFERENCE_BUCKET
    assert function["Handler"] == "batch_run.handler.lambda_handler"
    assert function["ReservedConcurrentExecutions"] == 5


def test_grant_start_execution_names_the_state_machine(stack: cdk.Stack, batch: BatchTransformRuns) -> None:
    policy = grantee(stack)
    batch.grant_start_execution(policy)
    assert policy_statements(stack, policy)["StartBatchTransformRuns"] == {
        "Sid": "StartBatchTransformRuns",
        "Action": "states:StartExecution",
        "Effect": "Allow",
        "Resource": stack.resolve(batch.state_machine_arn),
    }


def test_a_schedule_exists_only_when_given(
    stack: cdk.Stack, model: ServingModel, vpc: ec2.Vpc, key: kms.Key, log_settings: LogSettings
) -> None:
    batch = runs(
        stack, model, vpc, key, log_settings, schedule=BatchSchedule("rate(1 day)", "batch/input/daily/")
    )
    [schedule] = template_of(stack).find_resources("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["Target"]["Arn"] == stack.resolve(batch.state_machine_arn)


def test_no_schedule_by_default(stack: cdk.Stack, batch: BatchTransformRuns) -> None:
    assert template_of(stack).find_resources("AWS::Scheduler::Schedule") == {}


def test_a_failed_timed_out_or_aborted_run_alarms(stack: cdk.Stack, batch: BatchTransformRuns) -> None:
    [rule] = batch.alarm_rules()
    assert rule.name == "FailedExecutions"
    assert (
        rule.description
        == "An execution of UnderTest/BatchTransform/StateMachine failed, timed out or was aborted"
    )
    assert rule.metric.expression == "failed + timedOut + aborted"
    used = {
        name: (m.metric_name, m.statistic, m.period.to_minutes())
        for name, m in rule.metric.using_metrics.items()
    }
    assert used == {
        "failed": ("ExecutionsFailed", "Sum", 5),
        "timedOut": ("ExecutionsTimedOut", "Sum", 5),
        "aborted": ("ExecutionsAborted", "Sum", 5),
    }


def test_its_dashboard_row_shows_executions_started_succeeded_and_failed(
    stack: cdk.Stack, batch: BatchTransformRuns
) -> None:
    [row] = batch.dashboard_rows()
    assert row.section == "State machines"
    [widget] = row.widgets
    rendered = stack.resolve(widget.to_json())[0]["properties"]
    assert rendered["title"] == "UnderTest/BatchTransform/StateMachine: executions"
    assert [m[1] for m in rendered["metrics"]] == [
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
    ]
