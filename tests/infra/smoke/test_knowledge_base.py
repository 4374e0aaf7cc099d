"""The knowledge-base step."""

from __future__ import annotations

from datetime import timedelta

from infra import smoke
from tests.infra.smoke.data import DASHBOARD, DOC_KEY, DOCS, DS_ID, KB_ID, UPLOADED, summary_rows
from tests.infra.smoke.stubs import Aws

# Knowledge base


def test_knowledge_base_waits_on_one_line_for_a_job_that_started_after_the_upload(aws: Aws) -> None:
    aws.stacks("KnowledgeBase", "Observability")
    aws.knowledge_base_passes()
    aws.document_cleaned()

    code, out, _ = aws.run("--only", "knowledge-base")

    assert code == 0
    assert aws.clock.sleeps == [15, 15]
    waiting = [line for line in out.split("\n") if "waiting for an ingestion job" in line]
    assert len(waiting) == 1  # one line, rewritten with \r (which str.splitlines would split on)
    states = waiting[0].split("\r")[1:]
    label = "  waiting for an ingestion job that started after the upload"
    assert [state.rstrip() for state in states] == [
        f"{label}: 0 s of at most 20 min 00 s, "
        "no job started since the upload yet (the glue batches changes for a minute)",
        f"{label}: 15 s of at most 20 min 00 s, job NEW IN_PROGRESS",
        f"{label}: 30 s of at most 20 min 00 s, job NEW COMPLETE",
    ]
    assert f"  put s3://{DOCS}/{DOC_KEY}" in out


def test_a_job_that_started_within_the_coverage_margin_does_not_count(aws: Aws) -> None:
    aws.stacks("KnowledgeBase", "Observability")
    aws.knowledge_base_uploads()
    aws.jobs(("EARLY", "COMPLETE", UPLOADED + timedelta(seconds=1)))
    aws.jobs(("LATER", "COMPLETE", UPLOADED + timedelta(seconds=3)), ("EARLY", "COMPLETE", UPLOADED))
    aws.retrieved(f"s3://{DOCS}/{DOC_KEY}")
    aws.document_cleaned()

    code, out, _ = aws.run("--only", "knowledge-base")

    assert code == 0
    assert "ingestion job LATER indexed it" in summary_rows(out)["knowledge-base"][2]


def test_a_failed_ingestion_job_fails_the_step_with_its_reason_and_the_document_is_still_deleted(
    aws: Aws,
) -> None:
    aws.stacks("KnowledgeBase", "Observability")
    aws.knowledge_base_uploads()
    started = UPLOADED + timedelta(seconds=65)
    aws.jobs(("BAD", "FAILED", started))
    aws.bedrock_agent.add_response(
        "get_ingestion_job",
        {
            "ingestionJob": {
                "knowledgeBaseId": KB_ID,
                "dataSourceId": DS_ID,
                "ingestionJobId": "BAD",
                "status": "FAILED",
                "startedAt": started,
                "updatedAt": started,
                "failureReasons": ["Access denied to\nthe KMS key"],
            }
        },
        {"knowledgeBaseId": KB_ID, "dataSourceId": DS_ID, "ingestionJobId": "BAD"},
    )
    aws.document_cleaned()

    code, out, _ = aws.run("--only", "knowledge-base")

    assert code == 1
    result, _, detail = summary_rows(out)["knowledge-base"]
    assert result == "FAIL"
    assert "ingestion job BAD (started after the upload) FAILED: Access denied to the KMS key" in detail
    assert "the GenAiPlatform-dev-KnowledgeBase stack's Ingestion function log group" in detail
    assert f"Dashboard: {DASHBOARD}" in out
    assert f"  s3://{DOCS}/{DOC_KEY}: deleted 1 version(s)" in out


def test_a_document_retrieve_does_not_find_fails_after_a_few_tries(aws: Aws) -> None:
    aws.stacks("KnowledgeBase", "Observability")
    aws.knowledge_base_uploads()
    aws.jobs(("NEW", "COMPLETE", UPLOADED + timedelta(seconds=70)))
    for _ in range(smoke.RETRIEVE_ATTEMPTS):
        aws.retrieved(f"s3://{DOCS}/documents/platform-overview.md")
    aws.document_cleaned()

    code, out, _ = aws.run("--only", "knowledge-base")

    assert code == 1
    detail = summary_rows(out)["knowledge-base"][2]
    assert f"Retrieve did not return s3://{DOCS}/{DOC_KEY} among 1 result(s) in 3 tries" in detail
    assert '"numberOfNewDocumentsIndexed": 1' in detail


def test_ingestion_that_never_comes_times_out_at_the_bound(aws: Aws) -> None:
    aws.stacks("KnowledgeBase", "Observability")
    aws.knowledge_base_uploads()
    running = ("OTHER", "IN_PROGRESS", UPLOADED - timedelta(minutes=3))
    for _ in range(5):  # at 0, 15, 30, 45 and 60 s of a one-minute bound
        aws.jobs(running)
    aws.document_cleaned()

    code, out, _ = aws.run("--only", "knowledge-base", "--timeout-minutes", "1")

    assert code == 1
    detail = summary_rows(out)["knowledge-base"][2]
    assert "no ingestion job that started after the upload completed within 1 min 00 s" in detail
    assert "job OTHER (started before the upload) is IN_PROGRESS; the glue starts one after it" in detail
    assert sum(aws.clock.sleeps) == 60
