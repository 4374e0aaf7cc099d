"""Test doubles for the ingestion glue.

moto has no bedrock-agent ingestion jobs (measured: no start_ingestion_job, no data sources), so
single calls are checked with botocore's Stubber (tests/lambdas/kb_ingestion/test_sync.py). A
burst needs a service with state that changes over time, which a Stubber's fixed queue of
responses cannot be: `FakeIngestionJobs` plays Bedrock's rules (one job at a time per data
source, ConflictException otherwise) on a clock the test moves, and validates every request
against botocore's own bedrock-agent API model, as the real client would.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

_MODEL = botocore.session.get_session().get_service_model("bedrock-agent")


class FakeIngestionJobs:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.jobs: list[dict[str, Any]] = []
        self.started_by_us = 0
        self.conflicts = 0
        self._ids = (f"JOB{n:04d}" for n in itertools.count())
        self._tokens: dict[str, str] = {}

    # --- the test's controls -------------------------------------------------------------

    def add_job(self, status: str, started_at: datetime) -> str:
        job_id = next(self._ids)
        self.jobs.append({"ingestionJobId": job_id, "status": status, "startedAt": started_at})
        return job_id

    def finish_running_jobs(self) -> None:
        for job in self.jobs:
            if job["status"] in ("STARTING", "IN_PROGRESS"):
                job["status"] = "COMPLETE"

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    # --- the bedrock-agent API ------------------------------------------------------------

    def list_ingestion_jobs(self, **params: Any) -> dict[str, Any]:
        validate_parameters(params, _MODEL.operation_model("ListIngestionJobs").input_shape)
        newest_first = sorted(self.jobs, key=lambda job: job["startedAt"], reverse=True)
        summaries = [
            {
                **job,
                "knowledgeBaseId": params["knowledgeBaseId"],
                "dataSourceId": params["dataSourceId"],
                "updatedAt": self.now,
            }
            for job in newest_first[: params.get("maxResults", 10)]
        ]
        return {"ingestionJobSummaries": summaries}

    def start_ingestion_job(self, **params: Any) -> dict[str, Any]:
        validate_parameters(params, _MODEL.operation_model("StartIngestionJob").input_shape)
        token = params.get("clientToken")
        if token in self._tokens:  # idempotent retry of the same request
            return {"ingestionJob": {"ingestionJobId": self._tokens[token], "status": "STARTING"}}
        if any(job["status"] in ("STARTING", "IN_PROGRESS", "STOPPING") for job in self.jobs):
            self.conflicts += 1
            raise ClientError(
                {"Error": {"Code": "ConflictException", "Message": "An ingestion job is already running"}},
                "StartIngestionJob",
            )
        job_id = self.add_job("STARTING", self.now)
        self.started_by_us += 1
        if token:
            self._tokens[token] = job_id
        return {"ingestionJob": {"ingestionJobId": job_id, "status": "STARTING"}}
