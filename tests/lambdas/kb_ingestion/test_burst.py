"""A thousand uploads while an ingestion job is already running: nothing is lost, and the
whole burst costs at most two jobs."""

from __future__ import annotations

from infra.constructs.document_ingestion import MAX_RECEIVE_COUNT
from tests.lambdas.kb_ingestion.burst import PREFIX, run_burst


def test_a_burst_of_1000_uploads_is_fully_ingested_with_at_most_two_jobs() -> None:
    result = run_burst(events=1000, batch_size=100)
    assert result.ingested == {f"{PREFIX}runbook {n:04d}.md" for n in range(1000)}
    assert result.lost == 0
    assert result.left_in_queue == 0
    assert result.skipped == 1  # the S3 test event, sent when the notification was configured
    # Every message was deleted only once a job that started after its change had completed.
    assert result.premature == []
    assert 1 <= result.jobs_started <= 2
    # The first wave waits for the earlier job, the second starts one, the third confirms it.
    assert result.waves == 3
    assert result.max_receive_count == 3
    # ... which the deployed queue allows before it gives a message to the dead-letter queue.
    assert result.max_receive_count < MAX_RECEIVE_COUNT
