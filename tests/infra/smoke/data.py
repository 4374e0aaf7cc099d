"""What the smoke tests agree on: the deployment's names and outputs, canned answers, a fake
clock, and how to read the report."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.response import StreamingBody

from infra import smoke

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"  # cdk.json, profiles dev and prod
TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
ACCOUNT = "123456789012"
DOCS = f"genaiplatform-dev-documents-{ACCOUNT}-{REGION}"
INFERENCE = f"genaiplatform-dev-inference-{ACCOUNT}-{REGION}"
KB_ID, DS_ID = "KBSMOKE123", "DSSMOKE456"
HARNESS_ARN = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:harness/GenAiPlatform_dev_operations-AbCdEfGhIj"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/GenAiPlatform-dev-Assistant-InvokePolicy-1A2B3C"
STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:BatchTransformStateMachine-Xyz"
EXECUTION_NAME = f"smoke-{TOKEN}"
EXECUTION_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:BatchTransformStateMachine-Xyz:{EXECUTION_NAME}"
DASHBOARD = f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards/dashboard/GenAiPlatform-dev"

OUTPUTS = {
    "KnowledgeBase": {
        "KnowledgeBaseId": KB_ID,
        "DataSourceId": DS_ID,
        "DocumentsUri": f"s3://{DOCS}/documents/",
    },
    "ModelServing": {
        "RealtimeEndpointName": "GenAiPlatform-dev-realtime",
        "RealtimeInferenceComponentName": "GenAiPlatform-dev-digits",
        "ServerlessEndpointName": "GenAiPlatform-dev-serverless",
    },
    "OfflineInference": {
        "AsyncEndpointName": "GenAiPlatform-dev-async",
        "AsyncInboxUri": f"s3://{INFERENCE}/async/inbox/",
        "AsyncOutputUri": f"s3://{INFERENCE}/async/output/",
        "AsyncFailureUri": f"s3://{INFERENCE}/async/failures/",
        "BatchStateMachineArn": STATE_MACHINE,
        "BatchInputUri": f"s3://{INFERENCE}/batch/input/",
    },
    "Assistant": {"HarnessArn": HARNESS_ARN, "HarnessEndpointName": "live", "InvokePolicyArn": POLICY_ARN},
    "Observability": {"DashboardUrl": DASHBOARD, "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms"},
}
ROLES_IN_ORDER = ("KnowledgeBase", "Assistant", "ModelServing", "OfflineInference", "Observability")

DOC_KEY = f"documents/smoke/smoke-{TOKEN}.md"
SENTENCE = f"The platform smoke test {TOKEN} checks that a new document reaches the knowledge base by itself."
ASYNC_KEY = f"async/inbox/smoke-{TOKEN}.json"
ASYNC_ID = smoke.inference_id(INFERENCE, ASYNC_KEY)
BATCH_PREFIX = f"batch/input/smoke-{TOKEN}/"
UPLOADED = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
BATCH_STARTED = datetime(2026, 11, 25, 10, 5, 7, 250000, tzinfo=UTC)
JOB_NAME = smoke.batch_job_name(EXECUTION_NAME, BATCH_STARTED)
DIGITS = smoke.load_sample_digits()
DIGIT_BODY = json.dumps(DIGITS[smoke.SAMPLE_DIGIT])


def body(data: bytes | str) -> StreamingBody:
    raw = data.encode() if isinstance(data, str) else data
    return StreamingBody(io.BytesIO(raw), len(raw))


def prediction(predicted: int = 7) -> dict[str, Any]:
    probabilities = [0.001] * 10
    probabilities[predicted] = 0.991
    return {"class": predicted, "probabilities": probabilities}


def answer(*predicted: int) -> bytes:
    return json.dumps({"predictions": [prediction(p) for p in predicted]}).encode()


def text(chunk: str, index: int = 0) -> dict:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"text": chunk}}}


def tool_call(index: int, name: str) -> list[dict]:
    return [
        {
            "contentBlockStart": {
                "contentBlockIndex": index,
                "start": {"toolUse": {"toolUseId": "t1", "name": name}},
            }
        },
        {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"toolUse": {"input": "{}"}}}},
        {"contentBlockStop": {"contentBlockIndex": index}},
    ]


class FakeClock:
    """Monotonic time that only sleeping moves: waits are instant and their length is known."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> smoke.Clock:
        return smoke.Clock(monotonic=self.monotonic, sleep=self.sleep)


def summary_rows(out: str) -> dict[str, list[str]]:
    """step -> [result, seconds, detail] from the summary table at the end of the output."""
    lines = out.split("\nstep ", 1)[1].splitlines()[2:]
    rows = {}
    for line in lines:
        parts = line.split(None, 3)
        if parts and parts[0] in smoke.STEPS:
            rows[parts[0]] = parts[1:]
    return rows


def assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 1
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("smoke: ")
    for fragment in expected:
        assert fragment in lines[0], lines[0]
