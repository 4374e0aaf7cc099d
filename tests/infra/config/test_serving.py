"""The serving and offline-inference sections: instance types, images, endpoint and batch limits."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import load_config
from tests.conftest import cdk_context
from tests.infra.config.support import assert_one_problem_mentioning, problems

CPU_IMAGE = "pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker"
GPU_IMAGE = "pytorch-inference:2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker"
# The asynchronous and batch modes on a type every region offers, to test the real-time one alone.
CPU_OFFLINE = {
    "async_instance_type": "ml.m5.xlarge",
    "batch_instance_type": "ml.m5.xlarge",
    "assistant": "false",
}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"realtime_instance_type": "inf2.xlarge"},
            ["realtime_instance_type = 'inf2.xlarge' (from -c)", "ml.<family>.<size>"],
        ),
        (
            {"realtime_instance_type": "ml.inf2.2xlarge"},
            ["does not accept it for real-time", "ml.inf2.8xlarge", "ml.inf2.xlarge"],
        ),
        (
            {"realtime_instance_type": "ml.p5.48xlarge"},
            ["the ml.p5 family is not in this project's table", "ml.inf2, ml.trn1"],
        ),
        # ml.inf2 is left out of ap-northeast-2 in the table (no Neuron containers listed there).
        (
            {"realtime_instance_type": "ml.inf2.xlarge", "region": "ap-northeast-2", **CPU_OFFLINE},
            ["ml.inf2 is not offered in ap-northeast-2", "us-east-2"],
        ),
        (
            {"realtime_instance_type": "ml.trn1.2xlarge", "region": "eu-west-1", **CPU_OFFLINE},
            ["ml.trn1 is not offered in eu-west-1", "us-west-2"],
        ),
        ({"realtime_max_instances": 0}, ["realtime_max_instances = 0", "a whole number from 1 to 100"]),
        ({"realtime_target_concurrency": "many"}, ["realtime_target_concurrency = 'many'", "from 1 to 1000"]),
        ({"data_capture_percentage": 101}, ["data_capture_percentage = 101", "from 0 to 100"]),
        (
            {"serverless_memory_mb": 1500},
            ["serverless_memory_mb = 1500", "1024, 2048, 3072, 4096, 5120, 6144"],
        ),
        ({"serverless_memory_mb": 8192}, ["serverless_memory_mb = 8192", "1 GB steps"]),
        ({"serverless_max_concurrency": 201}, ["serverless_max_concurrency = 201", "from 1 to 200"]),
        (
            {"serverless_provisioned_concurrency": 6},
            [
                "serverless_provisioned_concurrency = 6",
                "must not exceed serverless_max_concurrency (5)",
                "1 to 5",
            ],
        ),
        (
            {"serving_image_neuron": CPU_IMAGE},
            ["serving_image_neuron", "pytorch-inference-neuronx:<tag>", "neuron instances"],
        ),
        ({"serving_image_cpu": GPU_IMAGE}, ["serving_image_cpu", "is not a cpu image", "'-cpu-'"]),
        (
            {"serving_image_gpu": "nginx:latest"},
            ["serving_image_gpu = 'nginx:latest'", "pytorch-inference:<tag>"],
        ),
    ],
)
def test_each_serving_rule_names_the_setting_the_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    assert_one_problem_mentioning(overrides, expected)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"async_instance_type": "ml.inf2.3xlarge"},
            ["async_instance_type = 'ml.inf2.3xlarge' (from -c)", "real-time and asynchronous"],
        ),
        ({"async_max_instances": 0}, ["async_max_instances = 0", "from 1 to 100"]),
        (
            {"async_max_concurrent_invocations": 1001},
            ["async_max_concurrent_invocations = 1001", "from 1 to 1000"],
        ),
        ({"async_backlog_per_instance": 0}, ["async_backlog_per_instance = 0", "from 1 to 1000"]),
        (
            {"async_invocation_timeout_seconds": 3601},
            ["async_invocation_timeout_seconds = 3601", "from 1 to 3600"],
        ),
        # ml.m5d hosts endpoints but does not run batch transform.
        (
            {"batch_instance_type": "ml.m5d.large"},
            [
                "batch_instance_type = 'ml.m5d.large'",
                "the ml.m5d family does not run batch transform",
                "ml.inf2",
            ],
        ),
        ({"batch_instance_count": 0}, ["batch_instance_count = 0", "from 1 to 100"]),
        ({"batch_max_payload_mb": 101}, ["batch_max_payload_mb = 101", "from 1 to 100"]),
        ({"batch_timeout_minutes": 1}, ["batch_timeout_minutes = 1", "from 5 to 2880"]),
        (
            {"batch_schedule": "every day"},
            ["batch_schedule = 'every day'", "rate(1 day)", "cron(0 2 * * ? *)"],
        ),
        ({"batch_schedule": "cron(0 2 * * ?)"}, ["batch_schedule = 'cron(0 2 * * ?)'", "six cron fields"]),
        (
            {"batch_schedule_input_prefix": "input/"},
            ["batch_schedule_input_prefix = 'input/'", "under batch/input/"],
        ),
    ],
)
def test_each_async_and_batch_rule_names_the_setting_the_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    assert_one_problem_mentioning(overrides, expected)


def test_valid_schedules_are_accepted() -> None:
    def schedule(**overrides: Any) -> str | None:
        return load_config(cdk_context(**overrides)).offline_inference.batch_schedule

    assert schedule(batch_schedule="rate(1 day)") == "rate(1 day)"
    assert schedule(batch_schedule=" cron(0 2 * * ? *) ") == "cron(0 2 * * ? *)"
    assert schedule() is None


def test_a_region_without_a_deep_learning_containers_registry_is_refused() -> None:
    # il-central-1 also lacks the default embedding model and S3 Vectors: three problems, one each.
    found = problems(region="il-central-1")
    [registry] = [p for p in found if "Deep Learning Containers" in p]
    assert registry.startswith("region = 'il-central-1'")
    assert "us-east-1" in registry


def test_the_instance_family_picks_the_image_that_serves_it() -> None:
    serving = load_config(cdk_context()).serving
    assert serving.image("ml.inf2.xlarge") == serving.image_neuron
    assert serving.image("ml.trn1.2xlarge") == serving.image_neuron
    assert serving.image("ml.g5.xlarge") == serving.image_gpu
    assert serving.image("ml.m5.large") == serving.image_cpu
    assert serving.image(None) == serving.image_cpu  # serverless


def test_every_family_in_the_table_has_sizes_sagemaker_accepts() -> None:
    from infra.sagemaker_hosting import FAMILIES, accepted_instance_types

    for family in FAMILIES.values():
        sizes = [t for t in accepted_instance_types("hosting") if t.startswith(family.name + ".")]
        assert sizes, family.name
        for size in family.devices:
            assert f"{family.name}.{size}" in accepted_instance_types("hosting")
