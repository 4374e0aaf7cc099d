"""AsyncInvokeGlue: objects created under the endpoint's inbox reach a function through an encrypted
queue, and the function may call InvokeEndpointAsync on that endpoint and nothing more."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms

from infra.constructs.async_endpoint import AsyncInferenceEndpoint
from infra.constructs.async_invoke_glue import AsyncInvokeGlue
from infra.constructs.log_group import LogSettings
from tests.infra.constructs.conftest import statement_with_sid, template_of
from tests.infra.constructs.serving_support import INFERENCE_BUCKET, WORKLOADS, inference_bucket, model_in_vpc


@pytest.fixture
def glue(stack: cdk.Stack, vpc: ec2.Vpc, key: kms.Key, log_settings: LogSettings) -> AsyncInvokeGlue:
    endpoint = AsyncInferenceEndpoint(
        stack,
        "Async",
        endpoint_name="as",
        serving=model_in_vpc(stack, vpc),
        bucket=inference_bucket(stack),
        encryption_key=key,
        log_settings=log_settings,
        max_instances=1,
        max_concurrent_invocations=1,
        backlog_per_instance=1,
    )
    return AsyncInvokeGlue(
        stack,
        "AsyncInvoke",
        endpoint=endpoint,
        invocation_timeout_seconds=900,
        log_settings=log_settings,
        vpc=vpc,
        vpc_subnets=WORKLOADS,
        interface_endpoints=ec2.Peer.ipv4("10.0.0.0/16"),
        reserve_concurrency=False,
    )


def test_objects_created_under_the_inbox_are_queued_encrypted(
    stack: cdk.Stack, glue: AsyncInvokeGlue, key: kms.Key
) -> None:
    [rule] = template_of(stack).find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [INFERENCE_BUCKET]}, "object": {"key": [{"prefix": "async/inbox/"}]}},
    }
    queues = template_of(stack).find_resources("AWS::SQS::Queue").values()
    assert [q["Properties"]["KmsMasterKeyId"] for q in queues] == [stack.resolve(key.key_arn)] * 2


def test_the_function_knows_the_endpoint_and_may_invoke_only_it(
    stack: cdk.Stack, glue: AsyncInvokeGlue
) -> None:
    functions = template_of(stack).find_resources("AWS::Lambda::Function")
    [function] = [f["Properties"] for f in functions.values() if "Handler" in f["Properties"]]
    environment = function["Environment"]["Variables"]
    assert environment["ENDPOINT_NAME"] == "as"
    assert environment["INFERENCE_BUCKET"] == INFERENCE_BUCKET
    assert environment["INBOX_PREFIX"] == "async/inbox/"
    assert environment["INVOCATION_TIMEOUT_SECONDS"] == "900"
    assert function["Handler"] == "async_invoke.handler.lambda_handler"
    assert "ReservedConcurrentExecutions" not in function
    template = template_of(stack)
    invoke = statement_with_sid(template, "InvokeAsyncEndpoint")
    endpoints = template.find_resources("AWS::SageMaker::Endpoint")
    assert invoke == {
        "Sid": "InvokeAsyncEndpoint",
        "Action": "sagemaker:InvokeEndpointAsync",
        "Effect": "Allow",
        "Resource": {"Ref": next(iter(endpoints))},
    }
    assert statement_with_sid(template, "ConsumeObjectEvents")["Action"][0] == "sqs:ReceiveMessage"


def test_the_queue_feeds_the_function_with_partial_batch_responses(
    stack: cdk.Stack, glue: AsyncInvokeGlue
) -> None:
    [mapping] = template_of(stack).find_resources("AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert mapping["Properties"]["BatchSize"] == 10
