"""What a batch transform run does, state by state, what its state machine's role needs for it,
and the schedule that starts runs: BatchTransformRuns' parts, kept apart from its resources."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.lambda_contracts import batch_runs

# lambdas/batch_run/runs.py names every job <prefix>-<time>-<hash>: the role may run only those.
JOB_NAME_PREFIX = f"{batch_runs().JOB_NAME_PREFIX}-"
# Per mini-batch: how long the container may take, and how often SageMaker retries it
# (ModelClientConfig: 1-3600 seconds, 0-3 retries).
INVOCATION_TIMEOUT_SECONDS = 600
INVOCATION_RETRIES = 1


@dataclass(frozen=True)
class TransformJob:
    """How each run's transform job runs: `model_name` on `instance_count` x `instance_type`,
    mini-batches of up to `max_payload_mb`, stopped after `timeout`; its output encrypted with
    `output_key`, its volume with `volume_key_arn` (None where the instance type rejects one)."""

    model_name: str
    instance_type: str
    instance_count: int
    max_payload_mb: int
    timeout: cdk.Duration
    output_key: kms.IKey
    volume_key_arn: str | None


@dataclass(frozen=True)
class BatchSchedule:
    """Start a run over `input_prefix` (under INPUT_ROOT) on `expression`, an EventBridge
    Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)"."""

    expression: str
    input_prefix: str


def run_definition(
    scope: Construct, *, prepare_function: lambda_.IFunction, topic: sns.ITopic, job: TransformJob
) -> sfn.IChainable:
    """PrepareRun -> Transform -> NotifySucceeded -> Succeeded; a failure -> NotifyFailed -> Failed;
    an input PrepareRun rejects -> NotifyRejected -> InvalidBatchInput. States are created in `scope`."""

    def notify(state_id: str, subject: str, field: str, path: str) -> tasks.SnsPublish:
        """Publish the run's outcome to `topic`: the execution and `field` from `path`."""
        return tasks.SnsPublish(
            scope,
            state_id,
            topic=topic,
            subject=subject,
            message=sfn.TaskInput.from_object(
                {"execution": sfn.JsonPath.execution_id, field: sfn.JsonPath.object_at(path)}
            ),
            result_path=sfn.JsonPath.DISCARD,
        )

    failed = sfn.Fail(scope, "Failed", error_path="$.error.Error", cause_path="$.error.Cause")
    notify_failed = notify("NotifyFailed", "Batch transform run failed", "error", "$.error").next(failed)
    invalid_input = sfn.Fail(
        scope, "InvalidBatchInput", error="InvalidBatchInput", cause_path="$.error.Cause"
    )

    prepare = tasks.LambdaInvoke(
        scope,
        "PrepareRun",
        lambda_function=prepare_function,
        payload=sfn.TaskInput.from_object(
            {
                "input": sfn.JsonPath.object_at("$$.Execution.Input"),
                "execution_name": sfn.JsonPath.string_at("$$.Execution.Name"),
                "start_time": sfn.JsonPath.string_at("$$.Execution.StartTime"),
            }
        ),
        payload_response_only=True,
        result_path="$.run",
        retry_on_service_exceptions=True,
    )
    prepare.add_catch(
        notify("NotifyRejected", "Batch transform run rejected: invalid input", "error", "$.error").next(
            invalid_input
        ),
        errors=["InvalidBatchInputError"],
        result_path="$.error",
    )
    prepare.add_catch(notify_failed, errors=["States.ALL"], result_path="$.error")

    transform = sfn.CustomState(scope, "Transform", state_json=_transform_state(cdk.Stack.of(scope), job))
    transform.add_catch(notify_failed, errors=["States.ALL"], result_path="$.error")
    notify_succeeded = notify("NotifySucceeded", "Batch transform run succeeded", "job", "$.transform")
    return prepare.next(transform).next(notify_succeeded).next(sfn.Succeed(scope, "Succeeded"))


def _transform_state(stack: cdk.Stack, job: TransformJob) -> dict:
    resources = {"InstanceType": job.instance_type, "InstanceCount": job.instance_count}
    if job.volume_key_arn is not None:
        # The caller (this state machine) needs no kms:CreateGrant for the volume key: the SageMaker
        # API permissions reference asks it of CreateTransformJob's caller only where the model's
        # role lacks it, and ServingModel.use_key grants it to that role (VolumeKeyGrant).
        resources["VolumeKmsKeyId"] = job.volume_key_arn
    return {
        "Type": "Task",
        # .sync: the state waits for the job to finish and fails if the job fails.
        "Resource": f"arn:{stack.partition}:states:::sagemaker:createTransformJob.sync",
        "TimeoutSeconds": int(job.timeout.to_seconds()),
        "Parameters": {
            "TransformJobName.$": "$.run.job_name",
            "ModelName": job.model_name,
            "BatchStrategy": "MultiRecord",
            "MaxPayloadInMB": job.max_payload_mb,
            # MaxPayloadInMB x MaxConcurrentTransforms may not exceed 100 MB.
            "MaxConcurrentTransforms": 1,
            "ModelClientConfig": {
                "InvocationsTimeoutInSeconds": INVOCATION_TIMEOUT_SECONDS,
                "InvocationsMaxRetries": INVOCATION_RETRIES,
            },
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.run.input_uri"}},
                "ContentType.$": "$.run.content_type",
                "SplitType": "Line",
                "CompressionType": "None",
            },
            "TransformOutput": {
                "S3OutputPath.$": "$.run.output_uri",
                "Accept": "application/jsonlines",
                "AssembleWith": "Line",
                "KmsKeyId": job.output_key.key_arn,
            },
            "TransformResources": resources,
        },
        "ResultSelector": {
            "TransformJobName.$": "$.TransformJobName",
            "TransformJobStatus.$": "$.TransformJobStatus",
            "TransformOutput.$": "$.TransformOutput",
        },
        "ResultPath": "$.transform",
    }


def jobs_arn(stack: cdk.Stack) -> str:
    """The ARN pattern of every transform job a run may start (this project's job names)."""
    account = f"{stack.partition}:sagemaker:{stack.region}:{stack.account}"
    return f"arn:{account}:transform-job/{JOB_NAME_PREFIX}*"


def run_statements(
    stack: cdk.Stack,
    *,
    prepare_function: lambda_.IFunction,
    topic: sns.ITopic,
    keys: list[kms.IKey],
) -> list[iam.PolicyStatement]:
    """What the state machine's role needs to run the definition: invoke `prepare_function`, run
    and watch the job, publish to `topic` (and encrypt with `keys`: the topic's and the
    execution history's), deliver its logs and traces."""
    return [
        iam.PolicyStatement(
            sid="PrepareRun", actions=["lambda:InvokeFunction"], resources=[prepare_function.function_arn]
        ),
        # What the Step Functions Developer Guide lists for createTransformJob.sync ("IAM
        # policies for calling Amazon SageMaker AI"): the job calls, and tagging, because the
        # .sync integration tags the job it starts and reads the tags back. ListTags the guide
        # grants on "*"; the rest is held to this project's job names.
        iam.PolicyStatement(
            sid="TransformJobs",
            actions=[
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
                "sagemaker:AddTags",
            ],
            resources=[jobs_arn(stack)],
        ),
        iam.PolicyStatement(sid="TransformJobTags", actions=["sagemaker:ListTags"], resources=["*"]),
        iam.PolicyStatement(
            # How .sync learns that the job finished: a rule that Step Functions manages.
            sid="TransformJobEvents",
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[
                f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/"
                "StepFunctionsGetEventsForSageMakerTransformJobsRule"
            ],
        ),
        iam.PolicyStatement(sid="Notify", actions=["sns:Publish"], resources=[topic.topic_arn]),
        iam.PolicyStatement(
            sid="EncryptedTopicAndHistory",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=[key.key_arn for key in keys],
        ),
        iam.PolicyStatement(
            sid="ExecutionLogDelivery",
            actions=[
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            resources=["*"],
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
    ]


def schedule_runs(scope: Construct, *, state_machine_arn: str, schedule: BatchSchedule) -> None:
    """Start a run on `schedule.expression` over its input prefix (EventBridge Scheduler), with a
    role of its own in `scope` that may start executions of `state_machine_arn` only."""
    role = iam.Role(
        scope,
        "ScheduleRole",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
        ),
        description="Starts scheduled batch transform runs",
    )
    iam.ManagedPolicy(
        scope,
        "SchedulePolicy",
        roles=[role],
        statements=[iam.PolicyStatement(actions=["states:StartExecution"], resources=[state_machine_arn])],
    )
    scheduler.CfnSchedule(
        scope,
        "Schedule",
        description=f"Batch transform over {schedule.input_prefix}",
        schedule_expression=schedule.expression,
        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
        target=scheduler.CfnSchedule.TargetProperty(
            arn=state_machine_arn,
            role_arn=role.role_arn,
            input=f'{{"input_prefix": "{schedule.input_prefix}"}}',
        ),
    )
