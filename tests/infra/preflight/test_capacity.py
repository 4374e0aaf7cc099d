"""SageMaker quotas and Lambda concurrency against what the stacks start and reserve."""

from __future__ import annotations

from infra import preflight
from tests.infra.preflight.stubs import (
    ENDPOINT_QUOTA,
    ROOT,
    SERVERLESS_QUOTA,
    TRANSFORM_QUOTA,
    Aws,
    quota,
    row,
    status,
)


def test_a_quota_too_low_fails_and_names_the_quota_and_the_number(aws: Aws) -> None:
    aws.healthy(skip=("quotas",))
    aws.quotas(endpoint=0)
    code, out, _ = aws.run("--profile", "dev")
    assert code == 1
    line = row(out, "SageMaker ml.inf2.xlarge endpoints")
    assert status(out, "SageMaker ml.inf2.xlarge endpoints") == "FAIL"
    assert f"{ENDPOINT_QUOTA}: 0; needs 2" in line
    assert f"Service Quotas > Amazon SageMaker > {ENDPOINT_QUOTA}: request an increase to 2" in line
    assert status(out, "SageMaker ml.inf2.xlarge batch") == "OK"
    assert out.rstrip().splitlines()[-1].startswith("Preflight: 1 FAIL, 0 WARN")


def test_real_time_and_async_on_different_types_need_one_each_and_scaling_short_of_the_maximum_warns(
    aws: Aws,
) -> None:
    aws.healthy(skip=("quotas",))
    aws.stubs["service-quotas"].add_response(
        "list_service_quotas",
        {
            "Quotas": [
                quota(ENDPOINT_QUOTA, 1),
                quota("ml.m5.large for endpoint usage", 2),
                quota(TRANSFORM_QUOTA, 4),
                quota(SERVERLESS_QUOTA, 10),
            ]
        },
        {"ServiceCode": "sagemaker"},
    )
    code, out, _ = aws.run(
        "--profile", "dev", "-c", "async_instance_type=ml.m5.large", "-c", "async_max_instances=3",
        "--context", "batch_instance_count=4",
    )  # fmt: skip
    assert code == 0
    assert status(out, "SageMaker ml.inf2.xlarge endpoints") == "OK"
    assert f"{ENDPOINT_QUOTA}: 1; needs 1 (real-time 1 at deploy, up to 1)" in out
    async_row = row(out, "SageMaker ml.m5.large endpoints")
    assert status(out, "SageMaker ml.m5.large endpoints") == "WARN"
    assert "scaling stops at 2" in async_row
    assert "request an increase to 3" in async_row
    assert f"{TRANSFORM_QUOTA}: 4; needs 4 (each batch run uses 4)" in out


def test_a_quota_without_an_applied_value_falls_back_to_the_aws_default(aws: Aws) -> None:
    aws.healthy(skip=("quotas",))
    stub = aws.stubs["service-quotas"]
    stub.add_response(
        "list_service_quotas",
        {"Quotas": [quota(ENDPOINT_QUOTA, 2), quota(SERVERLESS_QUOTA, 10)]},
        {"ServiceCode": "sagemaker"},
    )
    stub.add_response(
        "list_aws_default_service_quotas",
        {"Quotas": [quota(TRANSFORM_QUOTA, 0), quota(ENDPOINT_QUOTA, 0)]},
        {"ServiceCode": "sagemaker"},
    )
    code, out, _ = aws.run("--profile", "dev")
    assert code == 1
    assert f"{TRANSFORM_QUOTA}: 0 (AWS default); needs 1" in row(out, "SageMaker ml.inf2.xlarge batch")
    assert status(out, "SageMaker ml.inf2.xlarge endpoints") == "OK"  # the applied value wins


# --- Lambda concurrency ------------------------------------------------------------------------


def test_prod_reserving_concurrency_needs_a_quota_of_118(aws: Aws) -> None:
    aws.healthy(skip=("lambda",))
    aws.lambda_limits(10)
    code, out, _ = aws.run("--profile", "prod")
    assert code == 1
    line = row(out, "Lambda concurrency")
    assert (
        "quota 10; reserve_lambda_concurrency needs 118 (100 stay unreserved + 18 the stacks reserve)" in line
    )
    assert "Service Quotas > AWS Lambda > Concurrent executions: request an increase to 118" in line


def test_reservations_elsewhere_in_the_account_warn(aws: Aws) -> None:
    aws.healthy(skip=("lambda",))
    aws.lambda_limits(1000, unreserved=110)
    code, out, _ = aws.run("--profile", "prod")
    assert code == 0
    assert status(out, "Lambda concurrency") == "WARN"
    assert "other functions already reserve 890" in row(out, "Lambda concurrency")


def test_a_new_accounts_quota_of_10_warns_when_nothing_is_reserved(aws: Aws) -> None:
    aws.healthy(skip=("lambda",))
    aws.lambda_limits(10)
    code, out, _ = aws.run("--profile", "dev")
    assert code == 0
    assert status(out, "Lambda concurrency") == "WARN"
    assert "the deploy works (nothing is reserved), but functions may throttle" in out


def test_the_reserved_total_is_the_one_the_readme_states() -> None:
    # tests/infra/test_knowledge_base_stack.py ties the README to the prod templates.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"prod reserves {preflight.RESERVED_CONCURRENCY_PROD} concurrent executions" in readme
