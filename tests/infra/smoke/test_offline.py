"""The async and batch steps, and the names they share with the glue code."""

from __future__ import annotations

import json

from infra import smoke
from tests.infra.smoke.data import (
    ASYNC_ID,
    ASYNC_KEY,
    BATCH_PREFIX,
    BATCH_STARTED,
    EXECUTION_NAME,
    INFERENCE,
    JOB_NAME,
    prediction,
    summary_rows,
)
from tests.infra.smoke.stubs import Aws

# Asynchronous endpoint


def test_the_async_output_is_found_by_the_inference_id_the_glue_gives_the_request(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.async_passes()
    aws.async_cleaned()

    code, out, _ = aws.run("--only", "async")

    assert code == 0
    assert f"  put s3://{INFERENCE}/{ASYNC_KEY} (inference id {ASYNC_ID[:12]}...)" in out


def test_an_async_failure_object_fails_the_step_with_its_text(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.async_puts()
    aws.listed(INFERENCE, f"async/output/{ASYNC_ID}")
    failure = f"async/failures/{ASYNC_ID}-error.out"
    aws.listed(INFERENCE, f"async/failures/{ASYNC_ID}", failure)
    aws.got(INFERENCE, failure, b"Received client error (415): content type not supported")
    aws.deleted(INFERENCE, f"async/failures/{ASYNC_ID}", failure)
    aws.deleted(INFERENCE, f"async/output/{ASYNC_ID}")
    aws.deleted(INFERENCE, ASYNC_KEY, ASYNC_KEY)

    code, out, _ = aws.run("--only", "async")

    detail = summary_rows(out)["async"][2]
    assert code == 1
    assert f"the endpoint wrote a failure, s3://{INFERENCE}/{failure}: Received client error (415)" in detail
    assert "AsyncInvoke function log group" in detail
    assert "/aws/sagemaker/Endpoints/GenAiPlatform-dev-async" in detail


def test_access_denied_putting_the_request_is_the_one_line_detail_and_nothing_is_left(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.s3.add_client_error(
        "put_object", service_error_code="AccessDenied", service_message="Access Denied", http_status_code=403
    )

    code, out, _ = aws.run("--only", "async")

    assert code == 1
    assert summary_rows(out)["async"][2] == "access denied calling PutObject: Access Denied"
    assert "cleanup" not in out


# Batch


def test_a_batch_run_succeeds_and_its_predictions_are_read_back(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.batch_passes()
    aws.batch_cleaned()

    code, out, _ = aws.run("--only", "batch")

    assert code == 0
    assert f"  started execution {EXECUTION_NAME}" in out
    assert aws.clock.sleeps == [15]


def test_a_batch_output_of_the_wrong_length_fails(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.batch_starts()
    run = {"job_name": JOB_NAME, "output_uri": f"s3://{INFERENCE}/batch/output/{JOB_NAME}/"}
    aws.execution("SUCCEEDED", output=json.dumps({"run": run}))
    out_key = f"batch/output/{JOB_NAME}/digits.jsonl.out"
    aws.listed(INFERENCE, f"batch/output/{JOB_NAME}/", out_key)
    aws.got(INFERENCE, out_key, (json.dumps(prediction(0)) + "\n").encode())
    aws.batch_cleaned()

    code, out, _ = aws.run("--only", "batch")

    assert code == 1
    assert "expected 10 prediction(s), got 1" in summary_rows(out)["batch"][2]


def test_a_failed_batch_execution_fails_with_its_error_and_cause(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.batch_starts()
    aws.execution("FAILED", error="InvalidBatchInput", cause="input_prefix = 'batch/input/x/': no objects")
    aws.batch_cleaned("FAILED")

    code, out, _ = aws.run("--only", "batch")

    detail = summary_rows(out)["batch"][2]
    assert code == 1
    assert f"execution {EXECUTION_NAME} FAILED: InvalidBatchInput: input_prefix = 'batch/input/x/'" in detail
    assert "Step Functions console" in detail


def test_a_batch_run_past_the_bound_is_stopped_in_cleanup(aws: Aws) -> None:
    aws.stacks("OfflineInference", "Observability")
    aws.batch_starts()
    for _ in range(5):
        aws.execution("RUNNING")
    aws.batch_cleaned("RUNNING")

    code, out, _ = aws.run("--only", "batch", "--timeout-minutes", "1")

    assert code == 1
    assert f"execution {EXECUTION_NAME} still RUNNING after 1 min 00 s" in summary_rows(out)["batch"][2]
    assert "stopped the execution (and with it the transform job); deleted 1 version(s)" in out


# What the smoke test must agree on with the code it tests


def test_the_inference_id_is_the_one_the_async_glue_gives(aws: Aws) -> None:
    from async_invoke.invoke import StoredObject, plan

    request = plan(StoredObject(INFERENCE, ASYNC_KEY, 600), bucket=INFERENCE, inbox_prefix="async/inbox/")
    assert request.inference_id == ASYNC_ID


def test_the_batch_output_folder_is_the_one_the_prepare_function_names() -> None:
    from batch_run.runs import job_name

    start_time = "2026-11-25T10:05:07.250Z"  # $$.Execution.StartTime, for BATCH_STARTED
    assert smoke.batch_job_name(EXECUTION_NAME, BATCH_STARTED) == job_name(EXECUTION_NAME, start_time)


def test_the_batch_input_and_execution_name_pass_the_prepare_functions_checks() -> None:
    from batch_run.runs import PREFIX, _checked_input

    assert PREFIX.fullmatch(BATCH_PREFIX)
    assert _checked_input({"input_prefix": BATCH_PREFIX}) == (BATCH_PREFIX, "application/jsonlines")
    assert len(EXECUTION_NAME) <= 80
