"""Sends each object put under the inbox prefix to the asynchronous endpoint, without Lambda.

A queued message is an S3 event, in one of the shapes that reach the queue: an EventBridge
"Object Created" event (how this project routes bucket events), or an S3 event notification
(`Records`, and the `s3:TestEvent` S3 sends when such a notification is first configured).

Each object is either sent to the endpoint (`InvokeEndpointAsync`, which reads it from S3
itself: the payload never passes through Lambda) or skipped on purpose with the reason logged:
outside the inbox, empty, larger than asynchronous inference accepts, or of a type the model
does not read. A skipped object would fail the same way on every retry, so it is not retried.
A message that is not an S3 event at all is malformed: it is retried and then lands in the
dead-letter queue for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote_plus

# Asynchronous inference accepts request payloads of up to 1 GB (SageMaker Developer Guide,
# "Asynchronous inference"), and an invocation may run for up to 3600 seconds.
MAX_PAYLOAD_BYTES = 1_000_000_000
MAX_INVOCATION_TIMEOUT_SECONDS = 3600
# What the serving code reads (sagemaker/code/inference.py), by file extension.
CONTENT_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv",
    ".jsonl": "application/jsonlines",
}


class MalformedEventError(ValueError):
    """The message is not an S3 event we can read. It is retried, then goes to the DLQ."""


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int


@dataclass(frozen=True)
class Skipped:
    """An object or message deliberately not sent to the endpoint, and why."""

    reason: str


@dataclass(frozen=True)
class Request:
    input_location: str
    content_type: str
    inference_id: str


def objects_in(body: str) -> list[StoredObject] | Skipped:
    """The objects one queued message is about, or why it carries none."""
    try:
        event = json.loads(body)
    except (TypeError, json.JSONDecodeError) as error:
        raise MalformedEventError(f"message body is not JSON: {error}") from None
    if not isinstance(event, Mapping):
        raise MalformedEventError("message body is not a JSON object")
    if event.get("Event") == "s3:TestEvent":
        return Skipped("S3 test event (sent when a bucket notification is configured): nothing to invoke")
    if event.get("source") == "aws.s3":
        if event.get("detail-type") != "Object Created":
            return Skipped(f"{event.get('detail-type')!r} event: only created objects are invoked")
        detail = event.get("detail")
        return [_stored_object(detail, "bucket", "object", where="detail")]
    if isinstance(event.get("Records"), list):
        found = []
        for number, record in enumerate(event["Records"]):
            if not isinstance(record, Mapping) or not str(record.get("eventName", "")).startswith(
                "ObjectCreated:"
            ):
                raise MalformedEventError(f"Records[{number}] is not an S3 ObjectCreated record")
            found.append(_stored_object(record.get("s3"), "bucket", "object", where=f"Records[{number}].s3"))
        return found
    raise MalformedEventError("not an S3 event: expected an EventBridge event from aws.s3 or S3 Records")


def _stored_object(section: Any, bucket_field: str, object_field: str, *, where: str) -> StoredObject:
    try:
        bucket = section[bucket_field]["name"]
        key = section[object_field]["key"]
        size = section[object_field]["size"]
    except (KeyError, TypeError):
        raise MalformedEventError(f"{where} lacks bucket.name, object.key or object.size") from None
    if not isinstance(bucket, str) or not isinstance(key, str) or not isinstance(size, int) or size < 0:
        raise MalformedEventError(f"{where}: bucket.name and object.key must be text, object.size a count")
    # S3 notifications URL-encode keys (a space arrives as "+"); EventBridge events do not.
    return StoredObject(
        bucket=bucket, key=unquote_plus(key) if where.startswith("Records") else key, size=size
    )


def plan(stored: StoredObject, *, bucket: str, inbox_prefix: str) -> Request | Skipped:
    """Whether and how to send one object to the endpoint."""
    if stored.bucket != bucket or not stored.key.startswith(inbox_prefix):
        return Skipped(f"s3://{stored.bucket}/{stored.key} is outside the inbox s3://{bucket}/{inbox_prefix}")
    if stored.key.endswith("/"):
        return Skipped(f"{stored.key} is a folder marker, not a request")
    if stored.size == 0:
        return Skipped(f"{stored.key} is empty")
    if stored.size > MAX_PAYLOAD_BYTES:
        return Skipped(
            f"{stored.key} has {stored.size} bytes; asynchronous inference takes at most {MAX_PAYLOAD_BYTES}"
        )
    name = stored.key.rsplit("/", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else "(none)"
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        return Skipped(f"{stored.key}: the model reads {', '.join(CONTENT_TYPES)} files, not {extension!r}")
    # A stable id per object, so the endpoint's output and error notifications name what they answer.
    inference_id = hashlib.sha256(f"{stored.bucket}/{stored.key}".encode()).hexdigest()[:64]
    return Request(
        input_location=f"s3://{stored.bucket}/{stored.key}",
        content_type=content_type,
        inference_id=inference_id,
    )


class SageMakerRuntime(Protocol):
    def invoke_endpoint_async(self, **kwargs: Any) -> dict: ...


@dataclass(frozen=True)
class AsyncEndpoint:
    runtime: SageMakerRuntime
    endpoint_name: str
    invocation_timeout_seconds: int

    def invoke(self, request: Request) -> str:
        """Queue the request at the endpoint; returns where its result will be written."""
        response = self.runtime.invoke_endpoint_async(
            EndpointName=self.endpoint_name,
            InputLocation=request.input_location,
            ContentType=request.content_type,
            Accept="application/json",
            InferenceId=request.inference_id,
            InvocationTimeoutSeconds=self.invocation_timeout_seconds,
        )
        return response["OutputLocation"]
