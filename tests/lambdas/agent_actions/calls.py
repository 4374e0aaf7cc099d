"""This deployment as the tools' tests see it, and the gateway's side of a call: the context that
names the tool, the error result the model gets, and AWS answers as botocore models them."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

from agent_actions import handler
from agent_actions.deployment import Deployment
from botocore.response import StreamingBody

REALTIME = "genaiplatform-dev-realtime"
COMPONENT = "genaiplatform-dev-digits"
SERVERLESS = "genaiplatform-dev-serverless"
KNOWLEDGE_BASE = "KB12345678"
DATA_SOURCE = "DS12345678"
GUARDRAIL = "gr1a2b3c4d5e"
GUARDRAIL_VERSION = "3"
TARGET = "platform-operations"
DEPLOYMENT = Deployment(
    endpoint_names=(REALTIME, SERVERLESS),
    realtime_endpoint=REALTIME,
    batch_state_machine_arn=None,  # the platform fixture's moto state machine, or a made-up one
    batch_input_prefix="batch/input/",
    knowledge_base_id=KNOWLEDGE_BASE,
    data_source_id=DATA_SOURCE,
    realtime_component=COMPONENT,
    guardrail_id=GUARDRAIL,
    guardrail_version=GUARDRAIL_VERSION,
)


def gateway_context(tool: str, target: str = TARGET) -> SimpleNamespace:
    """The Lambda context of a gateway tool call, as far as the handler reads it: the client
    context's custom fields ("AWS Lambda function targets", Lambda function input format)."""
    custom = {
        "bedrockAgentCoreGatewayId": "platform-gateway-abc123",
        "bedrockAgentCoreTargetId": "TARGET0001",
        "bedrockAgentCoreMessageVersion": "1.0",
        "bedrockAgentCoreAwsRequestId": "8f0a1c2e-0000-4000-8000-000000000001",
        "bedrockAgentCoreMcpMessageId": "24",
        "bedrockAgentCoreToolName": f"{target}___{tool}",
    }
    return SimpleNamespace(client_context=SimpleNamespace(custom=custom, env=None, client=None))


def call(tool: str, **arguments: Any) -> Any:
    """The tool's result for a gateway call with these arguments."""
    return handler.handle(arguments, gateway_context(tool))


def error_text(result: Any) -> str:
    """The text of an error result; fails for anything else."""
    assert isinstance(result, dict), result
    assert result.get("isError") is True, result
    assert set(result) == {"isError", "content"}
    [block] = result["content"]
    assert block["type"] == "text"
    return block["text"]


def prediction(digit: int, probabilities: list[float]) -> StreamingBody:
    answer = json.dumps({"predictions": [{"class": digit, "probabilities": probabilities}]}).encode()
    return StreamingBody(io.BytesIO(answer), len(answer))


def retrieval_result(text: str, uri: str, score: float) -> dict:
    return {
        "content": {"type": "TEXT", "text": text},
        "location": {"type": "S3", "s3Location": {"uri": uri}},
        "score": score,
    }


def guardrail_answer(action: str, outputs: list[str] = ()) -> dict:
    """An ApplyGuardrail response as botocore's model of bedrock-runtime has it."""
    usage = dict.fromkeys(
        (
            "topicPolicyUnits",
            "contentPolicyUnits",
            "wordPolicyUnits",
            "sensitiveInformationPolicyUnits",
            "sensitiveInformationPolicyFreeUnits",
            "contextualGroundingPolicyUnits",
        ),
        1,
    )
    return {
        "usage": usage,
        "action": action,
        "outputs": [{"text": text} for text in outputs],
        "assessments": [],
    }


def guardrail_request(text: str) -> dict:
    return {
        "guardrailIdentifier": GUARDRAIL,
        "guardrailVersion": GUARDRAIL_VERSION,
        "source": "INPUT",
        "content": [{"text": {"text": text}}],
    }


def deployed(**changes: Any) -> Deployment:
    return Deployment(**{**vars(DEPLOYMENT), **changes})
