"""Cleanup: whatever happens, every version of what a step created goes."""

from __future__ import annotations

import io

from infra import smoke
from tests.infra.smoke.data import (
    ASYNC_ID,
    ASYNC_KEY,
    DIGITS,
    DOC_KEY,
    DOCS,
    INFERENCE,
    REGION,
    TOKEN,
    summary_rows,
)
from tests.infra.smoke.stubs import Aws

# Cleanup


def test_cleanup_runs_when_a_step_fails_and_reports_what_it_could_not_delete(aws: Aws) -> None:
    aws.stacks("KnowledgeBase", "OfflineInference", "Observability")
    aws.knowledge_base_passes()
    aws.async_puts()
    aws.listed(INFERENCE, f"async/output/{ASYNC_ID}", f"async/output/{ASYNC_ID}.out")
    aws.got(INFERENCE, f"async/output/{ASYNC_ID}.out", b"not json")
    # cleanup, newest first: the async failure and output, the request, then the document
    aws.deleted(INFERENCE, f"async/failures/{ASYNC_ID}")
    aws.deleted(INFERENCE, f"async/output/{ASYNC_ID}", f"async/output/{ASYNC_ID}.out")
    aws.deleted(INFERENCE, ASYNC_KEY, ASYNC_KEY)
    aws.s3.add_client_error(
        "list_object_versions",
        service_error_code="AccessDenied",
        service_message="not allowed: s3:ListBucketVersions",
        http_status_code=403,
        expected_params={"Bucket": DOCS, "Prefix": DOC_KEY},
    )

    code, out, _ = aws.run("--only", "knowledge-base,async")

    rows = summary_rows(out)
    assert code == 1
    assert (rows["knowledge-base"][0], rows["async"][0]) == ("PASS", "FAIL")
    assert out.split("Not cleaned up (delete by hand):\n", 1)[1] == (
        f"  s3://{DOCS}/{DOC_KEY}: AccessDenied from ListObjectVersions: not allowed: s3:ListBucketVersions\n"
    )


def test_ctrl_c_during_a_step_still_cleans_up(aws: Aws) -> None:
    aws.stacks("KnowledgeBase", "Observability")
    aws.knowledge_base_uploads()
    aws.jobs()  # nothing yet; Ctrl-C while waiting for the next poll
    aws.document_cleaned()

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    aws.clock.sleep = interrupt  # type: ignore[method-assign]

    code, out, err = aws.run("--only", "knowledge-base")

    assert code == 130
    assert err == "smoke: interrupted; what the steps created was cleaned up\n"
    assert f"  s3://{DOCS}/{DOC_KEY}: deleted 1 version(s)" in out


def test_delete_versions_pages_and_removes_delete_markers_too(aws: Aws) -> None:
    s3 = aws.stubs["s3"]
    s3.add_response(
        "list_object_versions",
        {
            "Versions": [{"Key": "batch/input/a/x.jsonl", "VersionId": "1"}],
            "IsTruncated": True,
            "NextKeyMarker": "batch/input/a/x.jsonl",
            "NextVersionIdMarker": "1",
        },
        {"Bucket": INFERENCE, "Prefix": "batch/input/a/"},
    )
    s3.add_response(
        "list_object_versions",
        {"DeleteMarkers": [{"Key": "batch/input/a/y.jsonl", "VersionId": "2"}], "IsTruncated": False},
        {
            "Bucket": INFERENCE,
            "Prefix": "batch/input/a/",
            "KeyMarker": "batch/input/a/x.jsonl",
            "VersionIdMarker": "1",
        },
    )
    s3.add_response(
        "delete_objects",
        {},
        {
            "Bucket": INFERENCE,
            "Delete": {
                "Objects": [
                    {"Key": "batch/input/a/x.jsonl", "VersionId": "1"},
                    {"Key": "batch/input/a/y.jsonl", "VersionId": "2"},
                ],
                "Quiet": True,
            },
        },
    )
    run = smoke.Smoke(
        smoke.Deployment("dev", REGION, {}),
        aws.clients.__getitem__,
        out=io.StringIO(),
        clock=aws.clock.clock(),
        timeout_seconds=60,
        token=TOKEN,
        digits=DIGITS,
    )
    with s3:
        assert run.delete_versions(INFERENCE, "batch/input/a/") == "deleted 2 version(s)"
        s3.assert_no_pending_responses()
