"""batch_transform_definition: a run's states (prepare, transform, notify; a bad input fails clearly),
the statements its role needs, and the schedule that starts runs."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from infra.constructs.batch_transform_definition import (
    JOB_NAME_PREFIX,
    BatchSchedule,
    TransformJob,
    jobs_arn,
    run_definition,
    run_statements,
    schedule_runs,
)
from infra.lambda_contracts import batch_runs
from tests.infra.constructs.conftest import template_of

FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:prepare"
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:results"


def job(
    key: kms.IKey, volume_key_arn: str | None = "arn:aws:kms:us-east-1:111122223333:key/volume"
) -> TransformJob:
    return TransformJob(
        model_name="digits-batch",
        instance_type="ml.m5.xlarge",
        instance_count=2,
        max_payload_mb=6,
        timeout=cdk.Duration.minutes(120),
        output_key=key,
        volume_key_arn=volume_key_arn,
    )


def states(stack: cdk.Stack, transform_job: TransformJob) -> dict:
    """The definition as a state machine renders it, with tokens replaced by their JSON."""
    function = lambda_.Function.from_function_arn(stack, "Prepare", FUNCTION_ARN)
    topic = sns.Topic.from_topic_arn(stack, "Topic", TOPIC_ARN)
    definition = run_definition(stack, prepare_function=function, topic=topic, job=transform_job)
    sfn.StateMachine(stack, "StateMachine", definition_body=sfn.DefinitionBody.from_chainable(definition))
    [machine] = template_of(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    rendered = machine["Properties"]["DefinitionString"]
    if isinstance(rendered, dict):
        rendered = "".join(
            p if isinstance(p, str) else json.dumps(p).replace('"', "'") for p in rendered["Fn::Join"][1]
        )
    return json.loads(rendered)


def test_a_run_prepares_transforms_and_notifies(stack: cdk.Stack, key: kms.Key) -> None:
    definition = states(stack, job(key))
    assert definition["StartAt"] == "PrepareRun"
    found = definition["States"]
    prepare = found["PrepareRun"]
    assert prepare["Next"] == "Transform"
    assert prepare["Resource"] == FUNCTION_ARN  # the payload itself: payload_response_only
    assert prepare["Parameters"] == {
        "input.$": "$$.Execution.Input",
        "execution_name.$": "$$.Execution.Name",
        "start_time.$": "$$.Execution.StartTime",
    }
    assert found["Transform"]["Next"] == "NotifySucceeded"
    assert found["NotifySucceeded"]["Next"] == "Succeeded"
    assert found["NotifyFailed"]["Next"] == "Failed"
    for name in ("NotifySucceeded", "NotifyFailed", "NotifyRejected"):
        assert found[name]["Resource"].endswith(":states:::sns:publish")
        assert found[name]["Parameters"]["TopicArn"] == TOPIC_ARN
        assert found[name]["ResultPath"] is None  # the run's state goes on unchanged


def test_a_bad_input_fails_the_run_with_its_own_error(stack: cdk.Stack, key: kms.Key) -> None:
    found = states(stack, job(key))["States"]
    invalid, other = found["PrepareRun"]["Catch"]
    assert invalid == {
        "ErrorEquals": ["InvalidBatchInputError"],
        "ResultPath": "$.error",
        "Next": "NotifyRejected",
    }
    assert found["NotifyRejected"]["Next"] == "InvalidBatchInput"
    assert found["InvalidBatchInput"] == {
        "Type": "Fail",
        "Error": "InvalidBatchInput",
        "CausePath": "$.error.Cause",
    }
    assert other["ErrorEquals"] == ["States.ALL"]
    assert other["Next"] == "NotifyFailed"


def test_the_transform_job_is_line_split_multi_record_encrypted_and_bounded(
    stack: cdk.Stack, key: kms.Key
) -> None:
    transform = states(stack, job(key))["States"]["Transform"]
    assert transform["Resource"].endswith(":states:::sagemaker:createTransformJob.sync")
    assert transform["TimeoutSeconds"] == 7200
    parameters = transform["Parameters"]
    assert parameters["ModelName"] == "digits-batch"
    assert (
        parameters["BatchStrategy"],
        parameters["MaxPayloadInMB"],
        parameters["MaxConcurrentTransforms"],
    ) == (
        "MultiRecord",
        6,
        1,
    )
    assert parameters["TransformInput"]["SplitType"] == "Line"
    assert parameters["TransformOutput"]["AssembleWith"] == "Line"
    assert "Key" in parameters["TransformOutput"]["KmsKeyId"]
    assert parameters["TransformResources"] == {
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 2,
        "VolumeKmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/volume",
    }
    assert transform["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailed"}
    ]


def test_no_volume_key_where_the_instance_type_rejects_one(stack: cdk.Stack, key: kms.Key) -> None:
    resources = states(stack, job(key, volume_key_arn=None))["States"]["Transform"]["Parameters"]
    assert "VolumeKmsKeyId" not in resources["TransformResources"]


def test_the_role_may_run_only_this_projects_jobs(stack: cdk.Stack, key: kms.Key) -> None:
    assert f"{batch_runs().JOB_NAME_PREFIX}-" == JOB_NAME_PREFIX
    function = lambda_.Function.from_function_arn(stack, "Prepare", FUNCTION_ARN)
    topic = sns.Topic.from_topic_arn(stack, "Topic", TOPIC_ARN)
    found = {s.sid: s for s in run_statements(stack, prepare_function=function, topic=topic, keys=[key])}
    assert set(found) == {
        "PrepareRun",
        "TransformJobs",
        "TransformJobTags",
        "TransformJobEvents",
        "Notify",
        "EncryptedTopicAndHistory",
        "ExecutionLogDelivery",
        "Tracing",
    }
    assert stack.resolve(found["TransformJobs"].resources) == [stack.resolve(jobs_arn(stack))]
    assert (
        stack.resolve(jobs_arn(stack))["Fn::Join"][1][-1]
        == f":sagemaker:us-east-1:111122223333:transform-job/{JOB_NAME_PREFIX}*"
    )
    assert found["PrepareRun"].resources == [FUNCTION_ARN]
    assert found["Notify"].resources == [TOPIC_ARN]
    assert stack.resolve(found["EncryptedTopicAndHistory"].resources) == [stack.resolve(key.key_arn)]
    for statement in found.values():
        assert all("*" not in action for action in statement.actions)


def test_a_schedule_starts_runs_over_its_prefix_with_a_role_that_may_only_start_them(
    stack: cdk.Stack,
) -> None:
    prefix = "batch/input/nightly/"
    machine_arn = "arn:aws:states:us-east-1:111122223333:stateMachine:runs"
    schedule_runs(stack, state_machine_arn=machine_arn, schedule=BatchSchedule("rate(1 day)", prefix))
    template = template_of(stack)
    [schedule] = template.find_resources("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == "rate(1 day)"
    assert schedule["Properties"]["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Properties"]["Target"]["Arn"] == machine_arn
    assert json.loads(schedule["Properties"]["Target"]["Input"]) == {"input_prefix": prefix}
    [policy] = template.find_resources("AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": machine_arn}
    ]
