"""SageMaker: the endpoints that serve the model, and the asynchronous and batch inference over S3."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationInfo, field_validator

from infra.config.problems import Problem
from infra.config.rules import Context, Section, WholeNumber, whole_number
from infra.lambda_contracts import batch_runs
from infra.regions import USABLE_AZS
from infra.sagemaker_hosting import (
    FAMILIES,
    IMAGE_REPOSITORIES,
    Accelerator,
    Mode,
    accepted_instance_types,
    dlc_account,
    family_of,
    family_regions,
)

# Where batch runs read their input and write their output, under the inference bucket.
# (lambdas/batch_run/runs.py defines them: the function checks a run's input against the same root.)
BATCH_INPUT_ROOT: str = batch_runs().INPUT_ROOT
BATCH_OUTPUT_ROOT: str = batch_runs().OUTPUT_ROOT

# Serverless endpoint memory sizes SageMaker accepts (ProductionVariantServerlessConfig).
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
MODE_NAMES: dict[str, str] = {
    "hosting": "real-time and asynchronous endpoints",
    "transform": "batch transform",
}


def instance_type_problem(value: str, mode: Mode, region: str | None) -> str | None:
    """Format, API acceptance, family table and (given a region) the region, for one instance type."""
    if not isinstance(value, str) or not re.fullmatch(r"ml\.[a-z0-9-]+\.[a-z0-9]+", value):
        return "must be a SageMaker instance type like ml.inf2.xlarge (ml.<family>.<size>)"
    family = family_of(value)
    if family is None:
        return (
            f"the {value.rsplit('.', 1)[0]} family is not in this project's table "
            f"(infra/sagemaker_hosting.py); families: {', '.join(FAMILIES)}"
        )
    if value not in accepted_instance_types(mode):
        sizes = sorted(t for t in accepted_instance_types(mode) if t.startswith(family.name + "."))
        if not sizes:
            offered = [
                f for f in FAMILIES if any(t.startswith(f + ".") for t in accepted_instance_types(mode))
            ]
            return f"the {family.name} family does not run {MODE_NAMES[mode]}; families: {', '.join(offered)}"
        return f"SageMaker does not accept it for {MODE_NAMES[mode]}; sizes: {', '.join(sizes)}"
    regions = family_regions(family, frozenset(USABLE_AZS))
    if region and region not in regions:
        return (
            f"{family.name} is not offered in {region} (infra/sagemaker_hosting.py); "
            f"regions: {', '.join(sorted(regions))}"
        )
    return None


def _has_images(region: str | None) -> bool:
    """Whether the region has the Deep Learning Containers registry (unknown region: assume so)."""
    return region is None or dlc_account(region) is not None


class ServingSection(Section):
    """The real-time and serverless endpoints, and the images every SageMaker workload runs.

    Images: AWS Deep Learning Containers, `repository:tag`, one per kind of hardware; the instance
    type's family picks which one serves (validation keeps each tag in its slot, so a Neuron
    instance always gets the neuronx image).
    """

    SECTION = "serving"

    image_cpu: str = "pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker"
    image_gpu: str = "pytorch-inference:2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker"
    image_neuron: str = "pytorch-inference-neuronx:2.9.0-neuronx-py312-sdk2.27.1-ubuntu24.04"
    realtime_instance_type: str = "ml.inf2.xlarge"
    # Managed instance scaling runs 0 to this many instances; one model copy per instance.
    realtime_max_instances: WholeNumber(1, 100) = 1
    # Target tracking keeps this many concurrent requests per model copy.
    realtime_target_concurrency: WholeNumber(1, 1000) = 4
    # Share of real-time requests and responses captured to the inference bucket; 0 turns it off.
    # Off by default: the SageMaker documentation does not say whether data capture works on an
    # endpoint that hosts inference components (this one does, to scale to zero), and Model
    # Monitor, which reads the captures, is closed to new customers.
    data_capture_percentage: WholeNumber(0, 100) = 0
    # Serverless endpoint limits, from the SageMaker API (ProductionVariantServerlessConfig).
    serverless_memory_mb: int = 2048
    serverless_max_concurrency: WholeNumber(1, 200) = 5
    serverless_provisioned_concurrency: WholeNumber(1, 200) | None = None

    @field_validator("serverless_memory_mb", mode="before")
    @classmethod
    def _serverless_memory_mb(cls, value: Any) -> int:
        allowed = "one of 1024, 2048, 3072, 4096, 5120, 6144 (1 GB steps)"
        try:
            memory = whole_number(value, SERVERLESS_MEMORY_MB[0], SERVERLESS_MEMORY_MB[-1])
        except ValueError:
            raise ValueError(f"must be {allowed}") from None
        if memory not in SERVERLESS_MEMORY_MB:
            raise ValueError(f"must be {allowed}")
        return memory

    @field_validator("image_cpu", "image_gpu", "image_neuron", mode="before")
    @classmethod
    def _image(cls, value: Any, info: ValidationInfo) -> str:
        kind: Accelerator = {"image_cpu": "cpu", "image_gpu": "gpu"}.get(info.field_name or "", "neuron")
        repository, marker = IMAGE_REPOSITORIES[kind]
        if not isinstance(value, str) or not re.fullmatch(
            rf"{re.escape(repository)}:[\w][\w.-]{{0,127}}", value
        ):
            raise ValueError(
                f"must be `{repository}:<tag>`, an AWS Deep Learning Containers image for {kind} instances"
            )
        if marker not in value:
            raise ValueError(f"is not a {kind} image: its tag must contain {marker!r} ({repository}:<tag>)")
        return value

    def checks(self, context: Context) -> Iterator[Problem]:
        if not _has_images(context.region):
            yield Problem(
                "aws-cdk-lib knows no AWS Deep Learning Containers registry there, so the SageMaker "
                "endpoints have no image; regions: "
                + ", ".join(r for r in sorted(USABLE_AZS) if dlc_account(r) is not None),
                value=context.region,
                loc=("deployment", "region"),
            )
            return
        if found := instance_type_problem(self.realtime_instance_type, "hosting", context.region):
            yield self.problem("realtime_instance_type", found)
        provisioned, maximum = self.serverless_provisioned_concurrency, self.serverless_max_concurrency
        if provisioned is not None and provisioned > maximum:
            yield self.problem(
                "serverless_provisioned_concurrency",
                f"must not exceed serverless_max_concurrency ({maximum}); allowed: 1 to {maximum}, "
                "or leave it out",
            )

    def image(self, instance_type: str | None) -> str:
        """The `repository:tag` that serves on `instance_type` (None: serverless, which is CPU)."""
        family = family_of(instance_type) if instance_type else None
        kind = family.accelerator if family else "cpu"
        return {"cpu": self.image_cpu, "gpu": self.image_gpu, "neuron": self.image_neuron}[kind]


class OfflineInferenceSection(Section):
    """SageMaker asynchronous inference (S3 in, S3 out) and batch transform."""

    SECTION = "offline_inference"

    # Limits from the SageMaker API: MaxConcurrentInvocationsPerInstance 1-1000;
    # InvokeEndpointAsync's InvocationTimeoutSeconds 1-3600 (an hour, the most asynchronous
    # inference allows).
    async_instance_type: str = "ml.inf2.xlarge"
    async_max_instances: WholeNumber(1, 100) = 1
    async_max_concurrent_invocations: WholeNumber(1, 1000) = 4
    # Target tracking keeps this many queued requests per instance.
    async_backlog_per_instance: WholeNumber(1, 1000) = 5
    async_invocation_timeout_seconds: WholeNumber(1, 3600) = 900
    # Batch transform. MaxPayloadInMB is 1-100 and, times MaxConcurrentTransforms (1 here), at
    # most 100; the run's timeout bounds the Step Functions task.
    batch_instance_type: str = "ml.inf2.xlarge"
    batch_instance_count: WholeNumber(1, 100) = 1
    batch_max_payload_mb: WholeNumber(1, 100) = 6
    batch_timeout_minutes: WholeNumber(5, 2880) = 120
    # An EventBridge Scheduler expression (rate(...) or cron(...)) to run the batch on its own;
    # none: runs start only when someone starts one.
    batch_schedule: str | None = None
    batch_schedule_input_prefix: str = "batch/input/scheduled/"

    @field_validator("batch_schedule", mode="before")
    @classmethod
    def _batch_schedule(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        rate = r"rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)"
        # Six fields: minutes hours day-of-month month day-of-week year.
        cron = r"cron\(\s*\S+(\s+\S+){5}\s*\)"
        if not isinstance(value, str) or not re.fullmatch(f"{rate}|{cron}", value.strip()):
            raise ValueError(
                "must be an EventBridge Scheduler expression like rate(1 day) or cron(0 2 * * ? *) "
                "(six cron fields), or left out for no schedule"
            )
        return value.strip()

    @field_validator("batch_schedule_input_prefix", mode="before")
    @classmethod
    def _batch_schedule_input_prefix(cls, value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(
            rf"{re.escape(BATCH_INPUT_ROOT)}[A-Za-z0-9!_.*'()/-]*/", value
        ):
            raise ValueError(
                f"must be a key prefix under {BATCH_INPUT_ROOT} ending in / (e.g. {BATCH_INPUT_ROOT}daily/)"
            )
        return value

    def checks(self, context: Context) -> Iterator[Problem]:
        if not _has_images(context.region):  # the serving section says so, once
            return
        for setting, mode in (("async_instance_type", "hosting"), ("batch_instance_type", "transform")):
            if found := instance_type_problem(getattr(self, setting), mode, context.region):
                yield self.problem(setting, found)
