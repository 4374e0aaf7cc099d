"""The batch run's input check, against moto's S3: each kind of bad input, with its message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from batch_run import handler
from batch_run.runs import InvalidBatchInputError, job_name, prepare_run
from moto import mock_aws

BUCKET = "genaiplatform-dev-inference-123456789012-us-east-1"
START = "2026-11-24T21:03:55.123Z"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key="batch/input/day-1/part-0.jsonl", Body=b"[0]\n")
        yield client


def prepare(execution_input: Any, s3: Any) -> dict[str, str]:
    return prepare_run(execution_input, execution_name="run-42", start_time=START, bucket=BUCKET, s3=s3)


def test_a_good_input_names_a_unique_job_and_its_locations(s3: Any) -> None:
    run = prepare({"input_prefix": "batch/input/day-1/"}, s3)
    assert run == {
        "job_name": job_name("run-42", START),
        "input_uri": f"s3://{BUCKET}/batch/input/day-1/",
        "output_uri": f"s3://{BUCKET}/batch/output/{run['job_name']}/",
        "content_type": "application/jsonlines",
    }
    assert (
        prepare({"input_prefix": "batch/input/day-1/", "content_type": "text/csv"}, s3)["content_type"]
        == "text/csv"
    )


def test_job_names_are_valid_for_sagemaker_and_differ_per_execution() -> None:
    names = {job_name(f"execution-{n}", START) for n in range(100)}
    assert len(names) == 100
    for name in names:
        assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name), name
        assert name.startswith("digits-20261124T210355-")


@pytest.mark.parametrize(
    ("execution_input", "message"),
    [
        ("batch/input/day-1/", "must be a JSON object"),
        ({}, "input_prefix = None: must be a key prefix under batch/input/"),
        ({"input_prefix": "documents/day-1/"}, "input_prefix = 'documents/day-1/'"),
        ({"input_prefix": "batch/input/day-1"}, "ending in /"),
        ({"input_prefix": "batch/input/../x/"}, "input_prefix = 'batch/input/../x/'"),
        ({"input_prefix": "batch/input/day 1/"}, "letters, digits"),
        ({"input_prefix": "batch/input/day-1/", "content_type": "image/png"}, "content_type = 'image/png'"),
        ({"input_prefix": "batch/input/day-1/", "instances": 3}, "unknown input field(s) instances"),
        ({"input_prefix": "batch/input/empty/"}, "no objects under s3://"),
    ],
)
def test_a_bad_input_is_refused_with_what_is_wrong(execution_input: Any, message: str, s3: Any) -> None:
    with pytest.raises(InvalidBatchInputError, match=re.escape(message)):
        prepare(execution_input, s3)


class LambdaContext:
    function_name = "batch-run"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:batch-run"
    aws_request_id = "request-1"


def test_the_handler_passes_the_state_machine_context_through(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFERENCE_BUCKET", BUCKET)
    monkeypatch.setattr(handler, "clients", SimpleNamespace(s3=s3))
    event = {"input": {"input_prefix": "batch/input/day-1/"}, "execution_name": "run-42", "start_time": START}
    assert handler.lambda_handler(event, LambdaContext())["job_name"] == job_name("run-42", START)
    with pytest.raises(InvalidBatchInputError, match="called without"):
        handler.lambda_handler({"input_prefix": "batch/input/day-1/"}, LambdaContext())
