"""The platform fixture of the tools' tests: this deployment in moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace

import boto3
import pytest
from agent_actions import handler
from moto import mock_aws

from tests.lambdas.agent_actions.calls import REALTIME, deployed


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """This deployment in moto (the real-time endpoint, the batch state machine) with a client for
    each service the tools call; the Stubber answers where moto has no API."""
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        sagemaker.create_model(
            ModelName="digits",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2"},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="digits-config",
            ProductionVariants=[
                {
                    "VariantName": "all",
                    "ModelName": "digits",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=REALTIME, EndpointConfigName="digits-config")
        stepfunctions = boto3.client("stepfunctions", region_name="us-east-1")
        machine = stepfunctions.create_state_machine(
            name="batch",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        clients = SimpleNamespace(
            sagemaker=sagemaker,
            runtime=boto3.client("sagemaker-runtime", region_name="us-east-1"),
            stepfunctions=stepfunctions,
            bedrock_agent=boto3.client("bedrock-agent", region_name="us-east-1"),
            bedrock_agent_runtime=boto3.client("bedrock-agent-runtime", region_name="us-east-1"),
            bedrock_runtime=boto3.client("bedrock-runtime", region_name="us-east-1"),
        )
        monkeypatch.setattr(handler, "deployment", deployed(batch_state_machine_arn=machine))
        monkeypatch.setattr(handler, "clients", clients)
        yield SimpleNamespace(machine=machine, **vars(clients))
