"""sagemaker_scaling: a scalable target from zero, with Application Auto Scaling's own role, and the
alarm-driven step that leaves zero."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch

from infra.constructs.sagemaker_scaling import scalable_from_zero, scale_out_from_zero
from tests.infra.constructs.conftest import template_of


def target(stack: cdk.Stack) -> appscaling.ScalableTarget:
    endpoint = cdk.CfnResource(stack, "Endpoint", type="AWS::SageMaker::Endpoint", properties={})
    return scalable_from_zero(
        stack,
        "Copies",
        resource_id="inference-component/c",
        scalable_dimension="sagemaker:inference-component:DesiredCopyCount",
        max_capacity=3,
        after=endpoint,
    )


def test_the_target_scales_from_zero_with_the_service_linked_role_once_its_resource_exists(
    stack: cdk.Stack,
) -> None:
    target(stack)
    [resource] = template_of(stack).find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    properties = resource["Properties"]
    assert (properties["MinCapacity"], properties["MaxCapacity"]) == (0, 3)
    assert properties["ServiceNamespace"] == "sagemaker"
    assert properties["ResourceId"] == "inference-component/c"
    assert "RoleARN" not in properties  # the service-linked role, created on first use
    assert resource["DependsOn"] == ["Endpoint"]
    assert template_of(stack).find_resources("AWS::IAM::Role") == {}


def test_an_alarm_at_one_or_more_adds_one_unit(stack: cdk.Stack) -> None:
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures")
    action, alarm = scale_out_from_zero(
        stack,
        target=target(stack),
        aggregation=appscaling.MetricAggregationType.MAXIMUM,
        cooldown=cdk.Duration.minutes(1),
        alarm_id="NoCapacityAlarm",
        alarm_description="no copy",
        metric=metric,
        evaluation_periods=1,
        datapoints_to_alarm=None,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    template = template_of(stack)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "Cooldown": 60,
                "MetricAggregationType": "Maximum",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        },
    )
    [properties] = [a["Properties"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()]
    assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmActions"] == [{"Ref": stack.get_logical_id(action.node.default_child)}]
    assert alarm.node.id == "NoCapacityAlarm"
