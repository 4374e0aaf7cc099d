"""Sends each object put under the inbox prefix to the asynchronous endpoint, without Lambda.

A queued message is an S3 event, in one of the shapes that reach the queue: an EventBridge
"Object Created" event (how this project routes bucket events), or an S3 event notification
(`Records`, and the `s3:TestEvent` S3 sends when such a notification is first configured).

Each object is either sent to the endpoint (`InvokeEndpointAsync`, which reads it from S3
itself: the payload never passes through Lambda) or skipped on purpose with the reason logged:
outside the inbox, empty, larger than asynchronous inference accepts, or of a type the model
does not read. A skipped object would fail the same way on every retry, so it is not retried.
A message that is not an S3 event at all is malformed: it is retried and then lands in the
dead-letter queue for a person to look at. An invocation whose event is not an SQS batch at all
fails with NotAnSqsBatchError before anything is read or called.

(kb_ingestion/events.py has its own copy of the SQS batch check: each function's asset holds
only its own package.)
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
# InvokeEndpointAsync's InputLocation ("s3://bucket/key") has at most 1024 characters; an S3 key
# at most 1024 bytes.
MAX_INPUT_LOCATION = 1024
MAX_KEY_BYTES = 1024
# What the serving code reads (sagemaker/code/inference.py), by file extension.
CONTENT_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv",
    ".jsonl": "application/jsonlines",
}

# The detail-types S3 sends to EventBridge (EventBridge events reference, "Amazon Simple Storage
# Service events"): any other is no S3 event.
S3_DETAIL_TYPES = frozenset(
    {
        "Async Copy Completion",
        "Object Created",
        "Object Deleted",
        "Object Restore Initiated",
        "Object Restore Completed",
        "Object Restore Expired",
        "Object Tags Added",
        "Object Tags Deleted",
        "Object ACL Updated",
        "Object Storage Class Changed",
        "Object Access Tier Changed",
    }
)


class MalformedEventError(ValueError):
    """The message is not an S3 event we can read. It is retried, then goes to the DLQ."""


class NotAnSqsBatchError(ValueError):
    """The invocation's event is not a batch from the queue (an SNS or S3 event wired straight to
    the function, say): no message in it can be answered on its own, so the invocation fails."""


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
    """The objects one queued message is about, or why it carries none. Anything that is not an S3
    event, down to one field of the wrong type, raises MalformedEventError."""
    if not isinstance(body, str):
        raise MalformedEventError(f"message body is not JSON text but {type(body).__name__}")
    try:
        event = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as error:
        raise MalformedEventError(f"message body is not JSON: {_cut(str(error))}") from None
    if not isinstance(event, Mapping):
        raise MalformedEventError("message body is not a JSON object")
    if event.get("Event") == "s3:TestEvent":
        return Skipped("S3 test event (sent when a bucket notification is configured): nothing to invoke")
    if event.get("source") == "aws.s3":
        detail_type = event.get("detail-type")
        if not isinstance(detail_type, str) or detail_type not in S3_DETAIL_TYPES:
            raise MalformedEventError(
                f"EventBridge event from aws.s3 with detail-type {_shown(detail_type)}, not one S3 sends"
            )
        if detail_type != "Object Created":
            return Skipped(f"{detail_type!r} event: only created objects are invoked")
        return [_stored_object(event.get("detail"), where="detail", url_encoded=False)]
    if isinstance(event.get("Records"), list):
        if not event["Records"]:
            # Nothing to invoke, yet not a message S3 sends: a person should see it, not lose it.
            raise MalformedEventError("S3 event notification with no records")
        found = []
        for number, record in enumerate(event["Records"]):
            if (
                not isinstance(record, Mapping)
                or record.get("eventSource") != "aws:s3"
                or not isinstance(record.get("eventName"), str)
                or not record["eventName"].startswith("ObjectCreated:")
            ):
                raise MalformedEventError(f"Records[{number}] is not an S3 ObjectCreated record")
            found.append(_stored_object(record.get("s3"), where=f"Records[{number}].s3", url_encoded=True))
        return found
    raise MalformedEventError("not an S3 event: expected an EventBridge event from aws.s3 or S3 Records")


def _stored_object(section: Any, *, where: str, url_encoded: bool) -> StoredObject:
    try:
        bucket = section["bucket"]["name"]
        key = section["object"]["key"]
        size = section["object"]["size"]
    except (KeyError, TypeError, IndexError):
        raise MalformedEventError(f"{where} lacks bucket.name, object.key or object.size") from None
    # bool is an int to Python, not a size to S3.
    if (
        not isinstance(bucket, str)
        or not isinstance(key, str)
        or not isinstance(size, int)
        or isinstance(size, bool)
        or size < 0
    ):
        raise MalformedEventError(f"{where}: bucket.name and object.key must be text, object.size a count")
    # S3 notifications URL-encode keys (a space arrives as "+"); EventBridge events do not.
    key = unquote_plus(key) if url_encoded else key
    try:
        key_bytes = len(key.encode())
    except UnicodeEncodeError:
        raise MalformedEventError(f"{where}: object.key {_shown(key)} is not valid UTF-8") from None
    if not bucket or not 0 < key_bytes <= MAX_KEY_BYTES:
        raise MalformedEventError(
            f"{where}: names no object (bucket {_shown(bucket)}, a key of {key_bytes} bytes; S3 keys have "
            f"1 to {MAX_KEY_BYTES})"
        )
    return StoredObject(bucket=bucket, key=key, size=size)


def _shown(value: Any) -> str:
    """A value for a message or log line, cut short: a hostile message can carry megabytes."""
    return _cut(repr(value))


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# --- the SQS batch -----------------------------------------------------------------------------

SQS_BATCH = "{'Records': [...]} of SQS messages from the queue's event source mapping"


def sqs_records(event: Any) -> list[Mapping[str, Any]]:
    """The records of an SQS batch event; NotAnSqsBatchError, saying what arrived, for any other
    event. Checked before anything reads the event: a record without a message id cannot be
    reported as a batch item failure (Lambda would retry the whole batch for it)."""
    if not isinstance(event, Mapping):
        raise NotAnSqsBatchError(f"not an SQS event: expected {SQS_BATCH}; got {type(event).__name__}")
    records = event.get("Records")
    if not isinstance(records, list):
        got = (
            f"Records of type {type(records).__name__}"
            if "Records" in event
            else f"an event with keys {_cut(', '.join(sorted(map(str, event))))}"
        )
        raise NotAnSqsBatchError(f"not an SQS event: expected {SQS_BATCH}; got {got}")
    if not records:  # the event source mapping never invokes with an empty batch
        raise NotAnSqsBatchError(f"not an SQS event: expected {SQS_BATCH}; got an empty Records list")
    for number, record in enumerate(records):
        if not isinstance(record, Mapping):
            got = f"Records[{number}] of type {type(record).__name__}"
        elif (source := record.get("eventSource", record.get("EventSource"))) != "aws:sqs":
            got = f"Records[{number}] from {_shown(source)}"  # SNS spells it EventSource
        elif not isinstance(record.get("messageId"), str) or not record["messageId"]:
            got = f"Records[{number}] without a messageId"
        else:
            continue
        raise NotAnSqsBatchError(f"not an SQS event: expected {SQS_BATCH}; got {got}")
    return records


def plan(stored: StoredObject, *, bucket: str, inbox_prefix: str) -> Request | Skipped:
    """Whether and how to send one object to the endpoint."""
    if stored.bucket != bucket or not stored.key.startswith(inbox_prefix):
        return Skipped(
            f"s3://{_cut(stored.bucket)}/{stored.key} is outside the inbox s3://{bucket}/{inbox_prefix}"
        )
    if stored.key.endswith("/"):
        return Skipped(f"{stored.key} is a folder marker, not a request")
    if stored.size == 0:
        return Skipped(f"{stored.key} is empty")
    if stored.size > MAX_PAYLOAD_BYTES:
        return Skipped(
            f"{stored.key} has {stored.size} bytes; asynchronous inference takes at most {MAX_PAYLOAD_BYTES}"
        )
    input_location = f"s3://{stored.bucket}/{stored.key}"
    if len(input_location) > MAX_INPUT_LOCATION:
        return Skipped(
            f"{input_location[:60]}... has {len(input_location)} characters; "
            f"asynchronous inference takes at most {MAX_INPUT_LOCATION}"
        )
    name = stored.key.rsplit("/", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else "(none)"
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        return Skipped(f"{stored.key}: the model reads {', '.join(CONTENT_TYPES)} files, not {extension!r}")
    # A stable id per object, so the endpoint's output and error notifications name what they answer.
    inference_id = hashlib.sha256(f"{stored.bucket}/{stored.key}".encode()).hexdigest()[:64]
    return Request(
        input_location=input_location,
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
