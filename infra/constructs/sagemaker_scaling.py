"""Application Auto Scaling for SageMaker, down to zero and back: what the real-time and the
asynchronous endpoints share."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct


def scalable_from_zero(
    scope: Construct,
    construct_id: str,
    *,
    resource_id: str,
    scalable_dimension: str,
    max_capacity: int,
    after: IConstruct,
) -> appscaling.ScalableTarget:
    """A SageMaker scalable target from 0 to `max_capacity`, registered once `after` exists."""
    target = appscaling.ScalableTarget(
        scope,
        construct_id,
        service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
        resource_id=resource_id,
        scalable_dimension=scalable_dimension,
        min_capacity=0,
        max_capacity=max_capacity,
        # Application Auto Scaling acts through its service-linked role for SageMaker, which it
        # creates on first use when the target names no role: no role of ours to keep. (The L2
        # construct would create a role; given this one, its RoleARN is then left out.)
        role=iam.Role.from_role_arn(
            scope,
            "AutoScalingServiceLinkedRole",
            f"arn:{cdk.Aws.PARTITION}:iam::{cdk.Aws.ACCOUNT_ID}:role/aws-service-role/"
            "sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
        ),
    )
    target.node.default_child.add_property_deletion_override("RoleARN")
    target.node.add_dependency(after)
    return target


def scale_out_from_zero(
    scope: Construct,
    *,
    target: appscaling.ScalableTarget,
    aggregation: appscaling.MetricAggregationType,
    cooldown: cdk.Duration,
    alarm_id: str,
    alarm_description: str,
    metric: cloudwatch.IMetric,
    evaluation_periods: int,
    datapoints_to_alarm: int | None,
    treat_missing_data: cloudwatch.TreatMissingData,
) -> tuple[appscaling.StepScalingAction, cloudwatch.Alarm]:
    """AWS's recipe for leaving zero: at zero capacity target tracking has no per-instance or
    per-copy metric to act on, so an alarm on `metric` (>= 1) drives a step policy that adds one."""
    action = appscaling.StepScalingAction(
        scope,
        "ScaleOutFromZero",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metric_aggregation_type=aggregation,
        cooldown=cooldown,
    )
    action.add_adjustment(adjustment=1, lower_bound=0)
    alarm = cloudwatch.Alarm(
        scope,
        alarm_id,
        alarm_description=alarm_description,
        metric=metric,
        threshold=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
    )
    alarm.add_alarm_action(cw_actions.ApplicationScalingAction(action))
    return action, alarm
