"""The glue that sends every object put into the async inbox to the asynchronous endpoint.

S3 object created under async/inbox/ of the inference bucket
  -> EventBridge rule -> SQS queue (KMS, dead-letter queue)   (see object_event_queue.py)
  -> Lambda in the VPC (lambdas/async_invoke): InvokeEndpointAsync, partial batch responses
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.async_endpoint import AsyncInferenceEndpoint
from infra.constructs.log_group import LogSettings
from infra.constructs.object_event_queue import queue_object_events
from infra.constructs.vpc_function import PythonFunctionInVpc

FUNCTION_TIMEOUT = cdk.Duration.seconds(30)
# At least six times the function timeout, as AWS asks of a queue that feeds Lambda.
VISIBILITY_TIMEOUT = cdk.Duration.minutes(3)
MAX_RECEIVE_COUNT = 5
MAX_CONCURRENCY = 2
METRICS_NAMESPACE = "GenAiPlatform/AsyncInvoke"


class AsyncInvokeGlue(Construct):
    """Sends each object created under `endpoint`'s inbox to it with InvokeEndpointAsync.

    The queue and its dead-letter queue are encrypted with the endpoint's key. The function runs
    in `vpc_subnets` of `vpc`, reaching SageMaker's runtime API through `interface_endpoints`;
    it waits up to `invocation_timeout_seconds` per request (InvokeEndpointAsync's
    InvocationTimeoutSeconds, 1-3600).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: AsyncInferenceEndpoint,
        invocation_timeout_seconds: int,
        log_settings: LogSettings,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        interface_endpoints: ec2.IPeer,
        reserve_concurrency: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        key = endpoint.encryption_key
        events = queue_object_events(
            self,
            rule_id="InboxObjects",
            description="Objects created under the async inference inbox",
            bucket_name=endpoint.bucket.bucket_name,
            prefix=endpoint.inbox_prefix,
            detail_types=["Object Created"],
            key=key,
            key_name="models key",
            key_statement_sid="AllowEventBridgeToEncryptInboxEventsForTheQueue",
            visibility_timeout=VISIBILITY_TIMEOUT,
            max_receive_count=MAX_RECEIVE_COUNT,
        )
        self.queue, self.dead_letter_queue = events.queue, events.dead_letter_queue

        self.function = PythonFunctionInVpc(
            self,
            "Function",
            reserve_concurrency=reserve_concurrency,
            interface_endpoints=interface_endpoints,
            package="async_invoke",
            description="Sends objects put into the async inbox to the asynchronous endpoint",
            timeout=FUNCTION_TIMEOUT,
            max_concurrency=MAX_CONCURRENCY,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            log_settings=log_settings,
            environment={
                "ENDPOINT_NAME": endpoint.endpoint_name,
                "INFERENCE_BUCKET": endpoint.bucket.bucket_name,
                "INBOX_PREFIX": endpoint.inbox_prefix,
                "INVOCATION_TIMEOUT_SECONDS": str(invocation_timeout_seconds),
                "POWERTOOLS_SERVICE_NAME": "async-invoke",
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
            statements=[
                # The request object SageMaker reads with the endpoint's own role: the function
                # needs no S3 or KMS permission, only the call.
                iam.PolicyStatement(
                    sid="InvokeAsyncEndpoint",
                    actions=["sagemaker:InvokeEndpointAsync"],
                    resources=[endpoint.endpoint_arn],
                ),
                *events.consumer_statements(key),
            ],
        )
        events.feed(self.function.function, batch_size=10, max_concurrency=MAX_CONCURRENCY)
