"""Checks the input of a batch-transform run and names the run, without Lambda.

The state machine calls this first, so that a bad input fails the execution at once with a
message saying what is wrong, instead of a transform job that fails minutes later.

Input (the execution's input):
    {"input_prefix": "batch/input/<folder>/",            required
     "content_type": "application/jsonlines" | "text/csv"} optional, JSON Lines by default

Output: the transform job's name and S3 locations, for the next state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Protocol

INPUT_ROOT = "batch/input/"
OUTPUT_ROOT = "batch/output/"
# What the model reads one record per line of (sagemaker/code/inference.py).
CONTENT_TYPES = ("application/jsonlines", "text/csv")
PREFIX = re.compile(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/")
# CreateTransformJob: TransformJobName matches ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
JOB_NAME_PREFIX = "digits"


class InvalidBatchInputError(ValueError):
    """The execution input cannot start a run. Its name is the error the state machine catches."""


class ObjectLister(Protocol):
    def list_objects_v2(self, **kwargs: Any) -> dict: ...


def job_name(execution_name: str, start_time: str) -> str:
    """`digits-20261124T210355-1a2b3c4d`: unique per execution, sortable by start, valid for SageMaker."""
    stamp = re.sub(r"[^0-9T]", "", start_time.split(".")[0])[:15]
    digest = hashlib.sha256(execution_name.encode()).hexdigest()[:8]
    return f"{JOB_NAME_PREFIX}-{stamp}-{digest}"


def prepare_run(
    execution_input: Any, *, execution_name: str, start_time: str, bucket: str, s3: ObjectLister
) -> dict[str, str]:
    if not isinstance(execution_input, Mapping):
        raise InvalidBatchInputError(
            'the input must be a JSON object like {"input_prefix": "batch/input/day-1/"}'
        )
    unknown = sorted(set(execution_input) - {"input_prefix", "content_type"})
    if unknown:
        raise InvalidBatchInputError(
            f"unknown input field(s) {', '.join(unknown)}; allowed: input_prefix, content_type"
        )
    prefix = execution_input.get("input_prefix")
    if not isinstance(prefix, str) or not prefix.startswith(INPUT_ROOT) or not PREFIX.fullmatch(prefix):
        raise InvalidBatchInputError(
            f"input_prefix = {prefix!r}: must be a key prefix under {INPUT_ROOT} ending in / "
            f"(e.g. {INPUT_ROOT}day-1/), of letters, digits and !_.*'()-"
        )
    content_type = execution_input.get("content_type", CONTENT_TYPES[0])
    if content_type not in CONTENT_TYPES:
        raise InvalidBatchInputError(
            f"content_type = {content_type!r}: must be one of {', '.join(CONTENT_TYPES)}"
        )
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    if not listed.get("KeyCount"):
        raise InvalidBatchInputError(f"input_prefix = {prefix!r}: no objects under s3://{bucket}/{prefix}")
    name = job_name(execution_name, start_time)
    return {
        "job_name": name,
        "input_uri": f"s3://{bucket}/{prefix}",
        "output_uri": f"s3://{bucket}/{OUTPUT_ROOT}{name}/",
        "content_type": content_type,
    }
