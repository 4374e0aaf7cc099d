"""Batch transform runs of the model over an S3 prefix, orchestrated by Step Functions."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.batch_transform_definition import (
    JOB_NAME_PREFIX,
    BatchSchedule,
    TransformJob,
    jobs_arn,
    run_definition,
    run_statements,
    schedule_runs,
)
from infra.constructs.encryption import create_key
from infra.constructs.log_group import EncryptedLogGroup, LogSettings
from infra.constructs.observability import FIVE_MINUTES, ROW_HEIGHT, AlarmRule, DashboardRow
from infra.constructs.serving_model import ServingModel
from infra.constructs.vpc_function import PythonFunctionInVpc
from infra.lambda_contracts import batch_runs
from infra.policy import acknowledge, acknowledge_synchronous_function, nag_arn

__all__ = ["INPUT_ROOT", "JOB_NAME_PREFIX", "OUTPUT_ROOT", "BatchSchedule", "BatchTransformRuns"]

# Where runs read and write in the bucket: lambdas/batch_run/runs.py checks inputs against the same.
INPUT_ROOT: str = batch_runs().INPUT_ROOT
OUTPUT_ROOT: str = batch_runs().OUTPUT_ROOT
SECTION = "State machines"


class BatchTransformRuns(Construct):
    """A state machine that runs one batch transform job per execution:

        PrepareRun (Lambda: check the input, name the job) -> Transform (CreateTransformJob.sync)
          -> NotifySucceeded -> Succeeded
        any failure -> NotifyFailed -> Failed (InvalidBatchInput names what is wrong with the input)

    Start it with {"input_prefix": "batch/input/<folder>/"} (and optionally "content_type":
    "text/csv"). Each line of each input object in `bucket` is one record; records are sent in
    mini-batches of up to `max_payload_mb` (MultiRecord, split by line) and the output is one line
    per record under batch/output/<job name>/, encrypted with `encryption_key`. The transform runs
    on `instance_count` instances of the model's type, in the model's VPC subnets,
    network-isolated, and is stopped if it runs past `timeout`. Idle cost: nothing; instances
    exist only during a job. The execution history is encrypted with a key of its own
    (`key_alias`), removed with `removal_policy`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        serving: ServingModel,
        bucket: s3.IBucket,
        encryption_key: kms.IKey,
        log_settings: LogSettings,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        interface_endpoints: ec2.IPeer,
        s3_prefix_list: ec2.IPeer,
        instance_count: int,
        max_payload_mb: int,
        timeout: cdk.Duration,
        key_alias: str,
        removal_policy: cdk.RemovalPolicy,
        reserve_concurrency: bool = True,
        schedule: BatchSchedule | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if serving.instance_type is None:
            raise ValueError(f"{self.node.path}: the model needs an instance type")

        # The job reads the input prefix (listing it first) and writes its own output folder.
        inputs, outputs = bucket.arn_for_objects(f"{INPUT_ROOT}*"), bucket.arn_for_objects(f"{OUTPUT_ROOT}*")
        list_inputs = iam.PolicyStatement(
            sid="ListBatchInputs",
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": f"{INPUT_ROOT}*"}},
        )
        serving.allow(
            list_inputs,
            iam.PolicyStatement(sid="ReadBatchInputs", actions=["s3:GetObject"], resources=[inputs]),
            iam.PolicyStatement(sid="WriteBatchOutputs", actions=["s3:PutObject"], resources=[outputs]),
        )
        volume_key = serving.use_key(encryption_key)  # a transform job has no endpoint config
        acknowledge(
            serving.policy,
            "A batch run reads whatever objects the caller put under batch/input/<folder>/ and writes "
            "one output object per input under batch/output/<job>/: the wildcards are those prefixes.",
            *(f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(arn)}]" for arn in (inputs, outputs)),
        )

        self.topic = sns.Topic(
            self,
            "ResultsTopic",
            display_name="Batch transform results",
            master_key=encryption_key,
            enforce_ssl=True,
        )
        self.prepare_function = PythonFunctionInVpc(
            self,
            "PrepareRunFunction",
            reserve_concurrency=reserve_concurrency,
            interface_endpoints=interface_endpoints,
            package="batch_run",
            description="Checks a batch run's input and names its transform job",
            timeout=cdk.Duration.seconds(30),
            max_concurrency=5,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            log_settings=log_settings,
            environment={"INFERENCE_BUCKET": bucket.bucket_name, "POWERTOOLS_SERVICE_NAME": "batch-run"},
            statements=[list_inputs],
            s3_prefix_list=s3_prefix_list,
        )
        acknowledge_synchronous_function(
            self.prepare_function.function,
            "Step Functions invokes this function synchronously and handles its errors in the state "
            "machine (a bad input fails the execution with the message).",
        )

        job = TransformJob(
            model_name=serving.model_name,
            instance_type=serving.instance_type,
            instance_count=instance_count,
            max_payload_mb=max_payload_mb,
            timeout=timeout,
            output_key=encryption_key,
            volume_key_arn=volume_key,
        )
        self.state_machine = self._state_machine(job, encryption_key, log_settings, key_alias, removal_policy)
        if schedule is not None:
            schedule_runs(self, state_machine_arn=self.state_machine_arn, schedule=schedule)

    def _state_machine(
        self,
        job: TransformJob,
        encryption_key: kms.IKey,
        log_settings: LogSettings,
        key_alias: str,
        removal_policy: cdk.RemovalPolicy,
    ) -> sfn.StateMachine:
        definition = run_definition(
            self, prepare_function=self.prepare_function.function, topic=self.topic, job=job
        )
        log_group = EncryptedLogGroup(self, "ExecutionLogs", settings=log_settings).log_group
        # The state machine's own key, in this stack: Step Functions needs its key policy to name
        # this state machine, which a key in another stack could only do through a reference cycle.
        key = create_key(
            self,
            "StateMachineKey",
            alias=key_alias,
            description="Batch transform state machine: execution history and data",
            removal_policy=removal_policy,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Batch transform runs state machine",
        )
        stack = cdk.Stack.of(self)
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Batch transform runs: prepare, transform, notify, log",
            roles=[role],
            statements=run_statements(
                stack,
                prepare_function=self.prepare_function.function,
                topic=self.topic,
                keys=[encryption_key, key],
            ),
        )
        acknowledge(
            policy,
            "CloudWatch Logs delivery and X-Ray actions support no resource-level permissions (the "
            "Step Functions logging and tracing documentation grants them on '*'), and the Step "
            "Functions guide grants the .sync integration's sagemaker:ListTags on '*'; the transform "
            "actions are held to this project's job names, the managed rule to its one name.",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{nag_arn(jobs_arn(stack))}]",
        )
        state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=role.without_policy_updates(),
            # The longest run, plus time to prepare and notify.
            timeout=job.timeout.plus(cdk.Duration.minutes(10)),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
        )
        # Step Functions checks the role's permissions when it creates the state machine; the role
        # itself it waits for through `RoleArn: Fn::GetAtt` (a DependsOn on it: cfn-lint W3005).
        state_machine.node.default_child.add_override(
            "DependsOn", [stack.get_logical_id(policy.node.default_child)]
        )
        return state_machine

    @property
    def state_machine_arn(self) -> str:
        return self.state_machine.state_machine_arn

    def grant_start_execution(self, policy: iam.ManagedPolicy) -> None:
        """Let the holders of `policy` start a run (states:StartExecution on the state machine)."""
        policy.add_statements(
            iam.PolicyStatement(
                sid=f"Start{''.join(c for c in self.node.id if c.isalnum())}Runs",
                actions=["states:StartExecution"],
                resources=[self.state_machine_arn],
            )
        )

    # --- metrics and Observable -----------------------------------------------------------------

    def metric_failed_executions(self) -> cloudwatch.MathExpression:
        """Executions that failed, timed out or were aborted, summed over five minutes."""
        machine = self.state_machine
        return cloudwatch.MathExpression(
            expression="failed + timedOut + aborted",
            using_metrics={
                "failed": machine.metric_failed(statistic="Sum", period=FIVE_MINUTES),
                "timedOut": machine.metric_timed_out(statistic="Sum", period=FIVE_MINUTES),
                "aborted": machine.metric_aborted(statistic="Sum", period=FIVE_MINUTES),
            },
            period=FIVE_MINUTES,
        )

    def alarm_rules(self) -> Sequence[AlarmRule]:
        return [
            AlarmRule(
                "FailedExecutions",
                self.metric_failed_executions(),
                f"An execution of {self.state_machine.node.path} failed, timed out or was aborted",
            )
        ]

    def dashboard_rows(self) -> Sequence[DashboardRow]:
        machine = self.state_machine
        path = machine.node.path
        return [
            DashboardRow(
                SECTION,
                [
                    cloudwatch.GraphWidget(
                        title=f"{path}: executions",
                        left=[
                            machine.metric_started(statistic="Sum", period=FIVE_MINUTES, label="started"),
                            machine.metric_succeeded(statistic="Sum", period=FIVE_MINUTES, label="succeeded"),
                            machine.metric_failed(statistic="Sum", period=FIVE_MINUTES, label="failed"),
                        ],
                        width=24,
                        height=ROW_HEIGHT,
                    )
                ],
            )
        ]
