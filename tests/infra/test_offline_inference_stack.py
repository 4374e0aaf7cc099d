"""OfflineInferenceStack: the asynchronous endpoint, its glue, and the batch transform runs."""

from __future__ import annotations

import json

from tests.conftest import Synth


def resources(synth: Synth, resource_type: str) -> dict[str, dict]:
    return synth.resources(synth.platform.offline_inference, resource_type)


def one(synth: Synth, resource_type: str, name_part: str) -> dict:
    [properties] = [r["Properties"] for i, r in resources(synth, resource_type).items() if name_part in i]
    return properties


def statements(synth: Synth, policy_name_part: str) -> dict[str, dict]:
    policy = one(synth, "AWS::IAM::ManagedPolicy", policy_name_part)
    return {s.get("Sid"): s for s in policy["PolicyDocument"]["Statement"]}


def definition(synth: Synth) -> dict:
    """The state machine's definition, with CloudFormation tokens replaced by their names."""
    machine = one(synth, "AWS::StepFunctions::StateMachine", "StateMachine")
    parts = machine["DefinitionString"]["Fn::Join"][1]
    return json.loads(
        "".join(p if isinstance(p, str) else f"<{json.dumps(p)}>".replace('"', "'") for p in parts)
    )


# --- asynchronous ------------------------------------------------------------------------------------


def test_async_config_writes_encrypted_results_and_notifies_both_topics(dev: Synth) -> None:
    config = one(dev, "AWS::SageMaker::EndpointConfig", "Async")
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    assert json.dumps(output["S3OutputPath"]).endswith('/async/output/"]]}')
    assert json.dumps(output["S3FailurePath"]).endswith('/async/failures/"]]}')
    assert "ModelsKey" in json.dumps(output["KmsKeyId"])
    notification = output["NotificationConfig"]
    assert "SuccessTopic" in json.dumps(notification["SuccessTopic"])
    assert "ErrorTopic" in json.dumps(notification["ErrorTopic"])
    client = config["AsyncInferenceConfig"]["ClientConfig"]
    assert (
        client["MaxConcurrentInvocationsPerInstance"]
        == dev.config.offline_inference.async_max_concurrent_invocations
    )
    [variant] = config["ProductionVariants"]
    assert variant["InstanceType"] == "ml.inf2.xlarge"
    for topic in resources(dev, "AWS::SNS::Topic").values():
        assert "ModelsKey" in json.dumps(topic["Properties"]["KmsMasterKeyId"])


def test_async_scales_between_zero_and_the_maximum_on_backlog(dev: Synth, cpu: Synth) -> None:
    target = one(dev, "AWS::ApplicationAutoScaling::ScalableTarget", "Async")
    assert target["ResourceId"] == "endpoint/GenAiPlatform-dev-async/variant/AllTraffic"
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 1)
    assert one(cpu, "AWS::ApplicationAutoScaling::ScalableTarget", "Async")["MaxCapacity"] == 4

    tracking = one(dev, "AWS::ApplicationAutoScaling::ScalingPolicy", "BacklogPerInstance")
    configuration = tracking["TargetTrackingScalingPolicyConfiguration"]
    metric = configuration["CustomizedMetricSpecification"]
    assert (metric["Namespace"], metric["MetricName"]) == (
        "AWS/SageMaker",
        "ApproximateBacklogSizePerInstance",
    )
    assert metric["Dimensions"] == [{"Name": "EndpointName", "Value": "GenAiPlatform-dev-async"}]
    assert configuration["TargetValue"] == dev.config.offline_inference.async_backlog_per_instance


def test_a_backlog_with_no_instance_starts_one(dev: Synth) -> None:
    step = one(dev, "AWS::ApplicationAutoScaling::ScalingPolicy", "AsyncScaleOutFromZero")
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    alarm = one(dev, "AWS::CloudWatch::Alarm", "BacklogWithoutCapacity")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SageMaker", "HasBacklogWithoutCapacity")
    assert alarm["Dimensions"] == [{"Name": "EndpointName", "Value": "GenAiPlatform-dev-async"}]
    assert alarm["Threshold"] == 1
    [action] = alarm["AlarmActions"]
    assert "AsyncScaleOutFromZero" in action["Ref"]


def test_async_runs_in_the_vpc_isolated_with_a_role_scoped_to_its_prefixes(dev: Synth, gpu: Synth) -> None:
    model = one(dev, "AWS::SageMaker::Model", "AsyncModel")
    assert model["EnableNetworkIsolation"] is True
    assert "Workloads" in json.dumps(model["VpcConfig"]["Subnets"])
    found = statements(dev, "AsyncModel")
    assert json.dumps(found["ReadRequests"]["Resource"]).endswith('/async/inbox/*"]]}')
    written = json.dumps(found["WriteResponses"]["Resource"])
    assert "/async/output/*" in written
    assert "/async/failures/*" in written
    notified = sorted(ref["Ref"] for ref in found["Notify"]["Resource"])
    assert notified[0].startswith("AsyncErrorTopic")
    assert notified[1].startswith("AsyncSuccessTopic")
    assert "ModelsKey" in json.dumps(one(dev, "AWS::SageMaker::EndpointConfig", "Async")["KmsKeyId"])
    # g5 has local NVMe storage: no volume key.
    assert "KmsKeyId" not in one(gpu, "AWS::SageMaker::EndpointConfig", "Async")


def test_objects_in_the_inbox_reach_the_glue_through_an_encrypted_queue(dev: Synth) -> None:
    [rule] = [r["Properties"] for i, r in resources(dev, "AWS::Events::Rule").items() if "InboxObjects" in i]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "async/inbox/"}]}
    queues = [q["Properties"] for i, q in resources(dev, "AWS::SQS::Queue").items() if "AsyncInvoke" in i]
    assert len(queues) == 2
    for queue in queues:
        assert "ModelsKey" in json.dumps(queue["KmsMasterKeyId"])
    function = one(dev, "AWS::Lambda::Function", "AsyncInvokeFunction")
    environment = function["Environment"]["Variables"]
    assert environment["ENDPOINT_NAME"] == "GenAiPlatform-dev-async"
    assert environment["INBOX_PREFIX"] == "async/inbox/"
    assert environment["INVOCATION_TIMEOUT_SECONDS"] == str(
        dev.config.offline_inference.async_invocation_timeout_seconds
    )
    assert function["Handler"] == "async_invoke.handler.lambda_handler"
    mapping = one(dev, "AWS::Lambda::EventSourceMapping", "AsyncInvoke")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    invoke = statements(dev, "AsyncInvokeFunction")["InvokeAsyncEndpoint"]
    assert invoke["Action"] == "sagemaker:InvokeEndpointAsync"
    assert "AsyncEndpoint" in json.dumps(invoke["Resource"])


def test_the_vpc_gains_the_endpoints_the_glue_calls(dev: Synth) -> None:
    assert "sagemaker.runtime" in dev.platform.network.interface_endpoints.services


# --- batch -----------------------------------------------------------------------------------------


def test_the_run_checks_its_input_first_and_fails_clearly_on_a_bad_one(dev: Synth) -> None:
    states = definition(dev)["States"]
    assert definition(dev)["StartAt"] == "PrepareRun"
    prepare = states["PrepareRun"]
    assert prepare["Parameters"] == {
        "input.$": "$$.Execution.Input",
        "execution_name.$": "$$.Execution.Name",
        "start_time.$": "$$.Execution.StartTime",
    }
    [invalid, other] = prepare["Catch"]
    assert invalid["ErrorEquals"] == ["InvalidBatchInputError"]
    assert states[invalid["Next"]]["Next"] == "InvalidBatchInput"
    assert states["InvalidBatchInput"] == {
        "Type": "Fail",
        "Error": "InvalidBatchInput",
        "CausePath": "$.error.Cause",
    }
    assert other["ErrorEquals"] == ["States.ALL"]
    assert prepare["Next"] == "Transform"


def test_the_transform_job_runs_line_split_multi_record_with_a_bounded_timeout(
    dev: Synth, cpu: Synth
) -> None:
    transform = definition(dev)["States"]["Transform"]
    assert transform["Resource"] == "arn:aws:states:::sagemaker:createTransformJob.sync"
    assert transform["TimeoutSeconds"] == dev.config.offline_inference.batch_timeout_minutes * 60
    parameters = transform["Parameters"]
    assert parameters["TransformJobName.$"] == "$.run.job_name"
    assert parameters["BatchStrategy"] == "MultiRecord"
    assert parameters["MaxPayloadInMB"] == dev.config.offline_inference.batch_max_payload_mb
    assert parameters["MaxPayloadInMB"] * parameters["MaxConcurrentTransforms"] <= 100
    assert parameters["TransformInput"]["SplitType"] == "Line"
    assert parameters["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri.$"] == "$.run.input_uri"
    assert parameters["TransformOutput"]["S3OutputPath.$"] == "$.run.output_uri"
    assert parameters["TransformOutput"]["AssembleWith"] == "Line"
    assert "ModelsKey" in parameters["TransformOutput"]["KmsKeyId"]
    assert parameters["TransformResources"]["InstanceType"] == "ml.inf2.xlarge"
    assert "ModelsKey" in parameters["TransformResources"]["VolumeKmsKeyId"]
    assert "BatchModel" in parameters["ModelName"]
    assert transform["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "NotifyFailed"}
    ]
    resources_cpu = definition(cpu)["States"]["Transform"]["Parameters"]["TransformResources"]
    assert (resources_cpu["InstanceType"], resources_cpu["InstanceCount"]) == ("ml.m5.xlarge", 2)


def test_every_outcome_is_published(dev: Synth) -> None:
    states = definition(dev)["States"]
    for name in ("NotifySucceeded", "NotifyFailed", "NotifyRejected"):
        assert states[name]["Resource"].endswith(":states:::sns:publish")
        assert "ResultsTopic" in states[name]["Parameters"]["TopicArn"]
    assert states["Transform"]["Next"] == "NotifySucceeded"
    assert states["NotifySucceeded"]["Next"] == "Succeeded"
    assert states["NotifyFailed"]["Next"] == "Failed"


def test_the_state_machine_logs_traces_and_encrypts(dev: Synth) -> None:
    machine = one(dev, "AWS::StepFunctions::StateMachine", "StateMachine")
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert "StateMachineKey" in json.dumps(machine["EncryptionConfiguration"]["KmsKeyId"])


def test_the_state_machine_role_holds_only_what_a_run_needs(dev: Synth) -> None:
    found = statements(dev, "BatchTransformPolicy")
    assert found["TransformJobs"]["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:aws:sagemaker:us-east-1:", {"Ref": "AWS::AccountId"}, ":transform-job/digits-*"],
        ]
    }
    assert json.dumps(found["TransformJobEvents"]["Resource"]).endswith(
        ':rule/StepFunctionsGetEventsForSageMakerTransformJobsRule"]]}'
    )
    assert "PrepareRunFunction" in json.dumps(found["PrepareRun"]["Resource"])
    for statement in found.values():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)


def test_the_batch_model_reads_inputs_and_writes_outputs_only(dev: Synth) -> None:
    found = statements(dev, "BatchModel")
    assert json.dumps(found["ReadBatchInputs"]["Resource"]).endswith('/batch/input/*"]]}')
    assert json.dumps(found["WriteBatchOutputs"]["Resource"]).endswith('/batch/output/*"]]}')
    assert found["ListBatchInputs"]["Condition"] == {"StringLike": {"s3:prefix": "batch/input/*"}}


def test_a_schedule_exists_only_when_set(dev: Synth, cpu: Synth) -> None:
    assert resources(dev, "AWS::Scheduler::Schedule") == {}
    schedule = one(cpu, "AWS::Scheduler::Schedule", "Schedule")
    assert schedule["ScheduleExpression"] == "rate(1 day)"
    assert json.loads(schedule["Target"]["Input"]) == {"input_prefix": "batch/input/scheduled/"}
    assert "StateMachine" in json.dumps(schedule["Target"]["Arn"])
