"""The knowledge-base step: a new document is ingested by itself, then retrieved."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from infra.ask.errors import one_line
from infra.smoke.deployment import split_s3_uri
from infra.smoke.errors import StepFailedError, WaitTimedOutError
from infra.smoke.runner import POLL_SECONDS, Runner, duration

# The ingestion glue's rule (lambdas/kb_ingestion/ingestion.py COVERAGE_MARGIN): a job covers a
# change only if it started clearly after it, S3's and Bedrock's clocks being different clocks.
COVERAGE_MARGIN = timedelta(seconds=2)
RECENT_JOBS = 25
RETRIEVE_RESULTS = 10
# The index may answer a moment after the job reports COMPLETE: a few tries before failing.
RETRIEVE_ATTEMPTS = 3


class KnowledgeBaseStep(Runner):
    """`knowledge-base`: the document reaches the index by itself and Retrieve finds it."""

    def step_knowledge_base(self) -> str:
        kb = self.deployment.outputs("KnowledgeBase")
        bucket, prefix = split_s3_uri(kb["DocumentsUri"])
        key = f"{prefix}smoke/smoke-{self.token}.md"
        uri = f"s3://{bucket}/{key}"
        sentence = (
            f"The platform smoke test {self.token} checks that a new document reaches the knowledge "
            "base by itself."
        )
        s3 = self.client("s3")
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=f"# Smoke test {self.token}\n\n{sentence}\n".encode(),
            ContentType="text/markdown",
        )
        self.on_cleanup(uri, lambda: self.delete_versions(bucket, key, exact=True))
        uploaded = s3.head_object(Bucket=bucket, Key=key)["LastModified"]
        self.say(f"  put {uri}")

        agent = self.client("bedrock-agent")
        ids = {"knowledgeBaseId": kb["KnowledgeBaseId"], "dataSourceId": kb["DataSourceId"]}

        def probe() -> tuple[dict | None, str]:
            jobs = agent.list_ingestion_jobs(
                **ids, sortBy={"attribute": "STARTED_AT", "order": "DESCENDING"}, maxResults=RECENT_JOBS
            ).get("ingestionJobSummaries", [])
            covering = [job for job in jobs if job["startedAt"] >= uploaded + COVERAGE_MARGIN]
            complete = [job for job in covering if job["status"] == "COMPLETE"]
            if complete:
                return complete[0], f"job {complete[0]['ingestionJobId']} COMPLETE"
            if covering:
                newest = covering[0]
                if newest["status"] == "FAILED":
                    raise StepFailedError(self._failed_job(agent, ids, newest["ingestionJobId"]))
                return None, f"job {newest['ingestionJobId']} {newest['status']}"
            running = [job for job in jobs if job["status"] in ("STARTING", "IN_PROGRESS", "STOPPING")]
            if running:
                return None, (
                    f"job {running[0]['ingestionJobId']} (started before the upload) is "
                    f"{running[0]['status']}; the glue starts one after it"
                )
            return None, "no job started since the upload yet (the glue batches changes for a minute)"

        try:
            job = self.wait("waiting for an ingestion job that started after the upload", POLL_SECONDS, probe)
        except WaitTimedOutError as timeout:
            raise StepFailedError(
                f"no ingestion job that started after the upload completed within "
                f"{duration(self.timeout)} (last: {timeout})"
            ) from None

        runtime = self.client("bedrock-agent-runtime")
        uris: list[str | None] = []
        for attempt in range(RETRIEVE_ATTEMPTS):
            if attempt:
                self.clock.sleep(POLL_SECONDS)
            results = runtime.retrieve(
                knowledgeBaseId=kb["KnowledgeBaseId"],
                retrievalQuery={"text": sentence},
                retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": RETRIEVE_RESULTS}},
            ).get("retrievalResults", [])
            uris = [((result.get("location") or {}).get("s3Location") or {}).get("uri") for result in results]
            if uri in uris:
                return (
                    f"ingestion job {job['ingestionJobId']} indexed it; Retrieve returned it at rank "
                    f"{uris.index(uri) + 1} of {len(uris)}"
                )
        statistics = json.dumps(job.get("statistics", {}), sort_keys=True)
        raise StepFailedError(
            f"ingestion job {job['ingestionJobId']} completed (statistics {statistics}), but Retrieve "
            f"did not return {uri} among {len(uris)} result(s) in {RETRIEVE_ATTEMPTS} tries"
        )

    @staticmethod
    def _failed_job(agent: Any, ids: dict[str, str], job_id: str) -> str:
        reasons = agent.get_ingestion_job(**ids, ingestionJobId=job_id)["ingestionJob"].get("failureReasons")
        shown = one_line("; ".join(reasons), 300) if reasons else "no reason given"
        return f"ingestion job {job_id} (started after the upload) FAILED: {shown}"
