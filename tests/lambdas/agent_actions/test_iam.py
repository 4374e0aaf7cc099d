"""agent_actions' role, proven against its code: each tool runs through the handler as the gateway
calls it, with the deployment the stack describes in the function's environment (moto plays
SageMaker and Step Functions; the Stubber answers the calls moto cannot: an endpoint's prediction,
ingestion jobs, retrieval, the guardrail), and every authorization AWS checks for the calls it
makes is allowed by the role as synthesized."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import boto3
import pytest
from agent_actions import handler
from agent_actions.deployment import Deployment
from agent_actions.tools import TOOLS
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from tests.lambdas.agent_actions.calls import gateway_context, guardrail_answer, retrieval_result
from tests.support.aws_calls import AwsCall, AwsCallRecorder, authorizations
from tests.support.functions import DeployedFunction
from tests.support.iam import Templates, assert_allowed

HANDLER = "agent_actions.handler.lambda_handler"
TOOL_NAMES = [tool["name"] for tool in TOOLS]
# Every boto3 call in lambdas/agent_actions/actions.py.
OPERATIONS_IN_CODE = {
    ("sagemaker", "DescribeEndpoint"),  # list_endpoints, describe_endpoint
    ("sagemaker-runtime", "InvokeEndpoint"),  # send_test_prediction
    ("stepfunctions", "StartExecution"),  # start_batch_transform
    ("bedrock-agent", "ListIngestionJobs"),  # ingestion_jobs
    ("bedrock-agent-runtime", "Retrieve"),  # search_knowledge_base
    ("bedrock-runtime", "ApplyGuardrail"),  # search_knowledge_base, with a guardrail configured
}


@pytest.fixture(scope="module")
def function(templates: Templates) -> DeployedFunction:
    """The app's one function that runs this package, wherever the stacks put it."""
    [(stack, logical_id)] = [
        (stack, logical_id)
        for stack, logical_id, resource in templates.resources("AWS::Lambda::Function")
        if resource["Properties"].get("Handler") == HANDLER
    ]
    return DeployedFunction.from_templates(templates, stack, logical_id)


def tool_arguments(tool: str, env: dict[str, str]) -> dict:
    """Arguments each tool accepts (the deployment's own names from `env`). A new tool with a
    required parameter must be added here: without it, it answers an error result."""
    return {
        "describe_endpoint": {"endpoint_name": env["REALTIME_ENDPOINT_NAME"]},
        "send_test_prediction": {"digit": 7},
        "start_batch_transform": {"input_prefix": f"{env['BATCH_INPUT_PREFIX']}day-1/"},
        "ingestion_jobs": {"limit": 3},
        "search_knowledge_base": {"query": "How does the real-time endpoint scale to zero?"},
    }.get(tool, {})


@pytest.fixture
def run_tool(
    function: DeployedFunction, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], list[AwsCall]]]:
    """Runs one tool as the gateway would call it; returns the AWS calls it made."""
    env = function.environment
    with mock_aws():
        # The test's setup, made before any recorder: the real-time endpoint and the batch state machine.
        sagemaker = boto3.client("sagemaker")
        sagemaker.create_model(
            ModelName="digits",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2"},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="digits",
            ProductionVariants=[
                {
                    "VariantName": "all",
                    "ModelName": "digits",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=env["REALTIME_ENDPOINT_NAME"], EndpointConfigName="digits")
        boto3.client("stepfunctions").create_state_machine(
            name=env["BATCH_STATE_MACHINE_ARN"].rsplit(":", 1)[1],
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )
        deployment = Deployment.from_environment(env)
        monkeypatch.setattr(handler, "deployment", deployment)

        def run(tool: str) -> list[AwsCall]:
            with AwsCallRecorder() as recorder:
                monkeypatch.setattr(handler, "clients", handler.Clients())  # made by the code, so recorded
                with (
                    Stubber(handler.clients.runtime) as runtime,
                    Stubber(handler.clients.bedrock_agent) as bedrock,
                    Stubber(handler.clients.bedrock_agent_runtime) as knowledge_bases,
                    Stubber(handler.clients.bedrock_runtime) as guardrails,
                ):
                    if tool == "send_test_prediction":
                        runtime.add_response("invoke_endpoint", {"Body": prediction(7)})
                    if tool == "ingestion_jobs":
                        bedrock.add_response("list_ingestion_jobs", {"ingestionJobSummaries": [job(env)]})
                    if tool == "search_knowledge_base":
                        knowledge_bases.add_response("retrieve", {"retrievalResults": [passage()]})
                        if deployment.passage_guardrail():
                            guardrails.add_response("apply_guardrail", guardrail_answer("NONE"))
                    result = handler.handle(tool_arguments(tool, env), gateway_context(tool))
            # The tool succeeded: its calls all went through.
            assert not (isinstance(result, dict) and "isError" in result), result
            return recorder.calls

        yield run


def prediction(digit: int) -> StreamingBody:
    answer = json.dumps({"predictions": [{"class": digit, "probabilities": [0.1] * 10}]}).encode()
    return StreamingBody(io.BytesIO(answer), len(answer))


def job(env: dict[str, str]) -> dict:
    started = datetime(2026, 11, 24, 10, tzinfo=UTC)
    return {
        "knowledgeBaseId": env["KNOWLEDGE_BASE_ID"],
        "dataSourceId": env["DATA_SOURCE_ID"],
        "ingestionJobId": "JOB0000001",
        "status": "COMPLETE",
        "startedAt": started,
        "updatedAt": started,
    }


def passage() -> dict:
    return retrieval_result("Set the minimum copies to 0.", "s3://documents/documents/guide.md", 0.8)


def test_the_tools_make_every_call_the_code_can_make(run_tool: Callable[[str], list[AwsCall]]) -> None:
    made = {(call.service, call.operation) for tool in TOOL_NAMES for call in run_tool(tool)}
    assert made == OPERATIONS_IN_CODE


@pytest.mark.parametrize(
    "tool",
    [name for name in TOOL_NAMES],
)
def test_the_role_allows_what_each_tool_calls(
    tool: str, run_tool: Callable[[str], list[AwsCall]], function: DeployedFunction, templates: Templates
) -> None:
    assert_allowed(authorizations(run_tool(tool), templates), function.statements)
