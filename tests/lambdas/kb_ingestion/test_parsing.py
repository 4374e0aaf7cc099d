"""Every shape of message the queue can hold, and what the glue makes of it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from kb_ingestion.events import DocumentChange, MalformedEventError, Skipped, parse_message

from tests.lambdas.kb_ingestion.burst import BUCKET, PREFIX, s3_event_bodies


def eventbridge(detail_type: str = "Object Created", bucket: str = BUCKET, key: str = f"{PREFIX}a.md") -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-11-24T10:00:00Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {"key": key},
                "reason": "PutObject",
            },
        }
    )


def parse(body: str) -> list[DocumentChange] | Skipped:
    return parse_message(body, bucket=BUCKET, prefix=PREFIX)


def test_eventbridge_created_and_deleted_events() -> None:
    [created] = parse(eventbridge())
    assert created == DocumentChange(
        BUCKET, f"{PREFIX}a.md", "created", datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    [deleted] = parse(eventbridge("Object Deleted"))
    assert deleted.change == "deleted"


def test_s3_notifications_from_moto_decode_url_encoded_keys_and_skip_the_test_event() -> None:
    test_event, upload = s3_event_bodies([f"{PREFIX}My Report (v2)+final.pdf"])
    assert parse(test_event) == Skipped("S3 test event, sent when a notification configuration is saved")
    assert "My+Report" in upload  # what S3 sends
    [change] = parse(upload)
    assert change.key == f"{PREFIX}My Report (v2)+final.pdf"  # what the bucket holds
    assert change.change == "created"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            eventbridge(bucket="someone-elses-bucket"),
            "object in bucket someone-elses-bucket, not the documents bucket",
        ),
        (
            eventbridge(key="images/cat.png"),
            "key images/cat.png is outside the data source prefix documents/",
        ),
        (eventbridge(key=f"{PREFIX}drafts/"), "folder marker documents/drafts/"),
    ],
)
def test_objects_this_data_source_does_not_own_are_skipped_with_a_reason(body: str, reason: str) -> None:
    skipped = parse(body)
    assert isinstance(skipped, Skipped)
    assert skipped.reason.startswith(reason)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{not json", "body is not JSON"),
        (None, "body is not JSON"),
        ("[1, 2]", "body is JSON but not an object"),
        ('{"hello": "world"}', "neither an EventBridge S3 event nor an S3 event notification"),
        (
            eventbridge("Object Restore Completed"),
            "EventBridge S3 event 'Object Restore Completed' is neither Object Created nor Object Deleted",
        ),
        (
            json.dumps({"source": "aws.s3", "detail": {}, "detail-type": "Object Created", "time": "x"}),
            "EventBridge S3 event without detail.bucket.name",
        ),
        (
            eventbridge().replace("2026-11-24T10:00:00Z", "yesterday"),
            "event time 'yesterday' is not an ISO 8601",
        ),
        (json.dumps({"Records": [{"eventSource": "aws:sns"}]}), "record from aws:sns, not aws:s3"),
        (
            json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectTagging:Put"}]}),
            "S3 event ObjectTagging:Put is not an object creation or removal",
        ),
    ],
)
def test_unreadable_messages_raise_a_clear_error(body: str, error: str) -> None:
    with pytest.raises(MalformedEventError, match="^" + re.escape(error)):
        parse(body)
