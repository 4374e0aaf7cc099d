"""What the queue delivers, read and checked without Lambda: the SQS batch, and the S3 document
events in its messages.

Both shapes S3 can deliver are read: an EventBridge event ("Object Created"/"Object Deleted", which
this platform wires) and an S3 event notification ({"Records": [...]}). Anything else, down to one
field of the wrong type, is malformed: such a message is retried, then lands in the dead-letter queue
for a person to look at. ingestion.py decides what each readable change needs.

(async_invoke/invoke.py has its own copy of the SQS batch check: each function's asset holds only
its own package.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

# No S3 event is older than S3 (launched 2006-03-14), and none is centuries ahead.
EARLIEST_EVENT = datetime(2006, 3, 14, tzinfo=UTC)
LATEST_EVENT = datetime(2200, 1, 1, tzinfo=UTC)
MAX_KEY_BYTES = 1024


class MalformedEventError(ValueError):
    """The message is not an S3 event we can read. It is retried, then goes to the DLQ."""


class NotAnSqsBatchError(ValueError):
    """The invocation's event is not a batch from the queue (an SNS or S3 event wired straight to
    the function, say): no message in it can be answered on its own, so the invocation fails."""


@dataclass(frozen=True)
class DocumentChange:
    bucket: str
    key: str
    change: str  # "created" or "deleted"
    time: datetime


@dataclass(frozen=True)
class Skipped:
    """A message we deliberately do nothing with, and why (logged, counted, then deleted)."""

    reason: str


# --- one message -------------------------------------------------------------------------------


def parse_message(body: str, *, bucket: str, prefix: str) -> list[DocumentChange] | Skipped:
    """The document changes in one SQS message body.

    Reads both shapes S3 can deliver: an EventBridge event ("Object Created"/"Object Deleted",
    which this platform wires) and an S3 event notification ({"Records": [...]}, whose keys are
    URL-encoded: "red flower.pdf" arrives as "red+flower.pdf"). Raises MalformedEventError for anything
    else, down to one field of the wrong type; returns Skipped for S3's setup test event and for
    objects this data source does not own.
    """
    if not isinstance(body, str):
        raise MalformedEventError(f"body is not JSON text but {type(body).__name__}")
    try:
        message = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as error:
        raise MalformedEventError(f"body is not JSON: {_shown(error)}") from None
    if not isinstance(message, dict):
        raise MalformedEventError("body is JSON but not an object")

    if message.get("Event") == "s3:TestEvent":
        return Skipped("S3 test event, sent when a notification configuration is saved")
    if message.get("source") == "aws.s3" and "detail" in message:
        changes = [_from_eventbridge(message)]
    elif isinstance(message.get("Records"), list):
        if not message["Records"]:
            # Nothing to ingest, yet not a message S3 sends: a person should see it, not lose it.
            raise MalformedEventError("S3 event notification with no records")
        changes = [_from_notification(record) for record in message["Records"]]
    else:
        raise MalformedEventError("neither an EventBridge S3 event nor an S3 event notification")

    relevant = [
        c for c in changes if c.bucket == bucket and c.key.startswith(prefix) and not c.key.endswith("/")
    ]
    if not relevant:
        change = changes[0]
        if change.bucket != bucket:
            return Skipped(f"object in bucket {_cut(change.bucket)}, not the documents bucket {bucket}")
        if change.key.endswith("/"):
            return Skipped(f"folder marker {change.key}")
        return Skipped(f"key {change.key} is outside the data source prefix {prefix}")
    return relevant


EVENTBRIDGE_KINDS = {"Object Created": "created", "Object Deleted": "deleted"}


def _from_eventbridge(event: Mapping[str, Any]) -> DocumentChange:
    detail_type = _text(event, "detail-type", what="EventBridge S3 event")
    if detail_type not in EVENTBRIDGE_KINDS:
        raise MalformedEventError(
            f"EventBridge S3 event {_shown(detail_type)} is neither Object Created nor Object Deleted"
        )
    return DocumentChange(
        bucket=_text(event, "detail.bucket.name", what="EventBridge S3 event"),
        key=_object_key(_text(event, "detail.object.key", what="EventBridge S3 event")),
        change=EVENTBRIDGE_KINDS[detail_type],
        time=_timestamp(event.get("time")),
    )


def _from_notification(record: Any) -> DocumentChange:
    if not isinstance(record, Mapping):
        raise MalformedEventError(f"S3 event notification record is {type(record).__name__}, not an object")
    source = record.get("eventSource")
    if source != "aws:s3":
        shown = _cut(source) if isinstance(source, str) else _shown(source)
        raise MalformedEventError(f"record from {shown}, not aws:s3")
    name = _text(record, "eventName", what="S3 event notification")
    if not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
        raise MalformedEventError(f"S3 event {_cut(name)} is not an object creation or removal")
    return DocumentChange(
        bucket=_text(record, "s3.bucket.name", what="S3 event notification"),
        key=_object_key(unquote_plus(_text(record, "s3.object.key", what="S3 event notification"))),
        change="created" if name.startswith("ObjectCreated:") else "deleted",
        time=_timestamp(record.get("eventTime")),
    )


def _text(container: Mapping[str, Any], path: str, *, what: str) -> str:
    """The text at a dotted path ("detail.object.key"): a missing part, or a value of another type,
    is what a hostile or broken message looks like, and makes the message malformed."""
    value: Any = container
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise MalformedEventError(f"{what} without {path}")
        value = value[part]
    if not isinstance(value, str):
        raise MalformedEventError(f"{what} whose {path} is {type(value).__name__}, not text")
    return value


def _object_key(key: str) -> str:
    """S3 keys are 1 to 1024 bytes of UTF-8; anything else names no object."""
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        raise MalformedEventError(f"object key {_shown(key)} is not valid UTF-8") from None
    if not 0 < size <= MAX_KEY_BYTES:
        raise MalformedEventError(f"object key of {size} bytes: S3 keys have 1 to {MAX_KEY_BYTES}")
    return key


def _timestamp(text: Any) -> datetime:
    """An event time that can be compared with job start times: ISO 8601 with a time zone (a naive
    time cannot be compared with Bedrock's), and within S3's lifetime (so the margin added to it
    cannot overflow)."""
    if not isinstance(text, str):
        raise MalformedEventError(f"event time {_shown(text)} is not an ISO 8601 timestamp")
    try:
        time = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise MalformedEventError(f"event time {_shown(text)} is not an ISO 8601 timestamp") from None
    if time.utcoffset() is None:
        raise MalformedEventError(f"event time {_shown(text)} has no time zone")
    if not EARLIEST_EVENT <= time < LATEST_EVENT:
        raise MalformedEventError(
            f"event time {_shown(text)} is not between {EARLIEST_EVENT:%Y-%m-%d} and {LATEST_EVENT:%Y-%m-%d}"
        )
    return time


def _shown(value: Any) -> str:
    """A value for a message or log line, cut short: a hostile message can carry megabytes."""
    return _cut(str(value) if isinstance(value, BaseException) else repr(value))


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# --- the SQS batch -----------------------------------------------------------------------------

SQS_BATCH = "{'Records': [...]} of SQS messages from the queue's event source mapping"


def sqs_records(event: Any) -> list[Mapping[str, Any]]:
    """The records of an SQS batch event; NotAnSqsBatchError, saying what arrived, for any other
    event. Checked before anything else reads the event: a record without a message id cannot be
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
        else:
            message_id_of(record, number)
            continue
        raise NotAnSqsBatchError(f"not an SQS event: expected {SQS_BATCH}; got {got}")
    return records


def message_id_of(record: Any, number: int) -> str:
    """The message id of the batch's record `number`; NotAnSqsBatchError if it has none."""
    message_id = record.get("messageId") if isinstance(record, Mapping) else None
    if not isinstance(message_id, str) or not message_id:
        raise NotAnSqsBatchError(
            f"not an SQS event: expected {SQS_BATCH}; got Records[{number}] without a messageId"
        )
    return message_id
