"""The async and batch steps: a request through the async inbox, and a batch run of the state
machine; each finds its output where the glue code names it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from infra.ask.errors import one_line
from infra.smoke.deployment import split_s3_uri
from infra.smoke.errors import SmokeError, StepFailedError, WaitTimedOutError
from infra.smoke.predictions import (
    JSON,
    JSON_LINES,
    SAMPLE_DIGIT,
    parse_json_answer,
    parse_json_lines_answer,
    shown_body,
)
from infra.smoke.runner import POLL_SECONDS, Runner, duration


def inference_id(bucket: str, key: str) -> str:
    """The id the async glue gives the request for s3://bucket/key (lambdas/async_invoke/invoke.py
    plan): the endpoint's output and failure objects are named after it."""
    return hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()[:64]


def batch_job_name(execution_name: str, start: datetime) -> str:
    """The transform job's name for an execution, as lambdas/batch_run/runs.py job_name makes it
    from the execution's name and start time: its output goes to batch/output/<job name>/."""
    stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return f"digits-{stamp}-{hashlib.sha256(execution_name.encode()).hexdigest()[:8]}"


class OfflineSteps(Runner):
    """`async` and `batch`: predictions written to S3, found by the names the glue gives them."""

    def step_async(self) -> str:
        offline = self.deployment.outputs("OfflineInference")
        bucket, inbox = split_s3_uri(offline["AsyncInboxUri"])
        output_bucket, output_prefix = split_s3_uri(offline["AsyncOutputUri"])
        failure_bucket, failure_prefix = split_s3_uri(offline["AsyncFailureUri"])
        key = f"{inbox}smoke-{self.token}.json"
        request_id = inference_id(bucket, key)
        s3 = self.client("s3")
        s3.put_object(
            Bucket=bucket, Key=key, Body=json.dumps(self.digits[SAMPLE_DIGIT]).encode(), ContentType=JSON
        )
        self.on_cleanup(f"s3://{bucket}/{key}", lambda: self.delete_versions(bucket, key, exact=True))
        # Registered now: an output that arrives after a timeout is still deleted at the end.
        self.on_cleanup(
            f"s3://{output_bucket}/{output_prefix}{request_id}*",
            lambda: self.delete_versions(output_bucket, output_prefix + request_id),
        )
        self.on_cleanup(
            f"s3://{failure_bucket}/{failure_prefix}{request_id}*",
            lambda: self.delete_versions(failure_bucket, failure_prefix + request_id),
        )
        self.say(f"  put s3://{bucket}/{key} (inference id {request_id[:12]}...)")

        # SageMaker names the answer after the request's InferenceId, <id>.out under the output
        # path and <id>-error.out under the failure path (as seen in use; the API reference only
        # says InvokeEndpointAsync returns the two locations): listing by the id as a prefix
        # finds either spelling.
        def probe() -> tuple[tuple[str, str, str] | None, str]:
            for kind, where, prefix in (
                ("output", output_bucket, output_prefix),
                ("failure", failure_bucket, failure_prefix),
            ):
                found = s3.list_objects_v2(Bucket=where, Prefix=prefix + request_id).get("Contents", [])
                if found:
                    return (kind, where, found[0]["Key"]), ""
            return None, "no output yet (from zero instances, the endpoint takes minutes to start one)"

        try:
            kind, where, found_key = self.wait("waiting for the output", POLL_SECONDS, probe)
        except WaitTimedOutError:
            raise StepFailedError(
                f"no output under {offline['AsyncOutputUri']} nor failure under "
                f"{offline['AsyncFailureUri']} named {request_id[:12]}... within {duration(self.timeout)}"
            ) from None
        body = s3.get_object(Bucket=where, Key=found_key)["Body"].read()
        if kind == "failure":
            raise StepFailedError(
                f"the endpoint wrote a failure, s3://{where}/{found_key}: {shown_body(body)}"
            )
        [(predicted, confidence)] = parse_json_answer(body, 1)
        return f"s3://{where}/{found_key}: digit {SAMPLE_DIGIT} -> class {predicted} (p={confidence:.3f})"

    def step_batch(self) -> str:
        offline = self.deployment.outputs("OfflineInference")
        bucket, root = split_s3_uri(offline["BatchInputUri"])
        input_prefix = f"{root}smoke-{self.token}/"
        key = f"{input_prefix}digits.jsonl"
        lines = [json.dumps(self.digits[digit]) for digit in sorted(self.digits)]
        s3 = self.client("s3")
        s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode(), ContentType=JSON_LINES)
        self.on_cleanup(f"s3://{bucket}/{input_prefix}", lambda: self.delete_versions(bucket, input_prefix))
        self.say(f"  put s3://{bucket}/{key} ({len(lines)} digits)")

        sfn = self.client("stepfunctions")
        name = f"smoke-{self.token}"
        started = sfn.start_execution(
            stateMachineArn=offline["BatchStateMachineArn"],
            name=name,
            input=json.dumps({"input_prefix": input_prefix}),
        )
        arn = started["executionArn"]
        # batch_run/runs.py writes the output under batch/output/<job name>/; the name is known now.
        output_prefix = f"batch/output/{batch_job_name(name, started['startDate'])}/"
        self.on_cleanup(
            f"execution {name} and s3://{bucket}/{output_prefix}",
            lambda: self._end_batch(arn, bucket, output_prefix),
        )
        self.say(f"  started execution {name}")

        def probe() -> tuple[dict | None, str]:
            execution = sfn.describe_execution(executionArn=arn)
            status = execution["status"]
            return (None if status == "RUNNING" else execution), status

        try:
            execution = self.wait("waiting for the execution", POLL_SECONDS, probe)
        except WaitTimedOutError as timeout:
            raise StepFailedError(
                f"execution {name} still {timeout} after {duration(self.timeout)} (stopped in cleanup; a "
                "transform job on a fresh instance takes several minutes)"
            ) from None
        if execution["status"] != "SUCCEEDED":
            cause = one_line(str(execution.get("cause") or ""), 300)
            raise StepFailedError(
                f"execution {name} {execution['status']}: {execution.get('error') or 'no error'}"
                + (f": {cause}" if cause else "")
            )
        try:
            run = json.loads(execution.get("output") or "{}")["run"]
            output_bucket, output_prefix = split_s3_uri(run["output_uri"])
            job = run["job_name"]
        except (ValueError, KeyError, TypeError, SmokeError):
            raise StepFailedError(
                f"execution {name} succeeded without run.output_uri in its output"
            ) from None
        found = [
            item["Key"]
            for item in s3.list_objects_v2(Bucket=output_bucket, Prefix=output_prefix).get("Contents", [])
            if item["Key"].endswith(".out")
        ]
        if not found:
            raise StepFailedError(
                f"transform job {job} wrote no .out object under s3://{output_bucket}/{output_prefix}"
            )
        body = s3.get_object(Bucket=output_bucket, Key=found[0])["Body"].read()
        predictions = parse_json_lines_answer(body, len(lines))
        right = sum(
            predicted == digit for (predicted, _), digit in zip(predictions, sorted(self.digits), strict=True)
        )
        return (
            f"execution SUCCEEDED; transform job {job} wrote {len(predictions)} predictions "
            f"({right} of {len(lines)} sample digits right) to s3://{output_bucket}/{found[0]}"
        )

    def _end_batch(self, arn: str, bucket: str, output_prefix: str) -> str:
        sfn = self.client("stepfunctions")
        stopped = ""
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn, error="SmokeTestCleanup", cause="make smoke ran out of time")
            stopped = "stopped the execution (and with it the transform job); "
        return stopped + self.delete_versions(bucket, output_prefix)
