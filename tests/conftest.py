"""Shared fixtures: each configuration variant is synthesized once per test session.

Every synth goes through the same `build_platform` as app.py, with cdk.json's context (feature
flags and profiles) plus the overrides of the variant, and with the policy gates on: a variant
that breaks a cdk-nag pack or a Control Tower rule fails at fixture setup.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.config import AppConfig, load_config
from infra.platform import Platform, build_platform
from infra.synth_summary import stack_templates
from infra.validation_report import unacknowledged_findings
from tests.support.assemblies import AssemblyCache

ROOT = Path(__file__).resolve().parents[1]


def cdk_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context with overrides, as the CLI would hand it to the app."""
    return {**json.loads((ROOT / "cdk.json").read_text())["context"], **overrides}


@dataclass
class Synth:
    """One synthesized variant of the app."""

    config: AppConfig
    platform: Platform
    outdir: Path
    templates: dict[str, dict]

    def template(self, stack: cdk.Stack) -> Template:
        return Template.from_json(self.templates[stack.stack_name])

    def resources(self, stack: cdk.Stack, resource_type: str) -> dict[str, dict]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack.stack_name]["Resources"].items()
            if resource["Type"] == resource_type
        }


def synthesize(
    outdir: Path,
    customize: Callable[[Platform], None] | None = None,
    *,
    assemblies: AssemblyCache | None = None,
    **overrides: Any,
) -> Synth:
    """Build the app for `overrides` and synthesize it into `outdir`, with every policy gate.

    Given `assemblies`, a variant whose inputs are unchanged since an earlier run reuses that run's
    cloud assembly (templates, validation report) instead of synthesizing again; its construct tree
    is still built here, for the tests that ask it for logical IDs and resolved values.
    """
    app = cdk.App(context=cdk_context(**overrides), outdir=str(outdir))
    config = load_config(app.node.get_all_context())
    platform = build_platform(app, config)
    if customize is not None:
        customize(platform)
    reusable = assemblies is not None and customize is None
    if not (reusable and assemblies.find(overrides, outdir)):
        app.synth()
        if reusable:
            assemblies.keep(overrides, outdir)
    # The same gate as app.py: a plugin can report success while listing findings.
    assert unacknowledged_findings(outdir) == []
    return Synth(config=config, platform=platform, outdir=outdir, templates=stack_templates(outdir))


@pytest.fixture(scope="session")
def assemblies(pytestconfig: pytest.Config) -> AssemblyCache | None:
    """Cloud assemblies of earlier runs, by a digest of every input (None without pytest's cache)."""
    if getattr(pytestconfig, "cache", None) is None:
        return None
    return AssemblyCache(pytestconfig.cache.mkdir("cloud-assemblies"))


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    """The default: the dev profile as cdk.json defines it."""
    return synthesize(tmp_path_factory.mktemp("dev"), assemblies=assemblies)


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    return synthesize(
        tmp_path_factory.mktemp("prod"),
        assemblies=assemblies,
        profile="prod",
        account="123456789012",
        alarm_email="ops@example.com",
    )


@pytest.fixture(scope="session")
def egress(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    """dev with internet egress, given as the CLI gives it: a string."""
    return synthesize(tmp_path_factory.mktemp("egress"), assemblies=assemblies, internet_egress="true")


@pytest.fixture(scope="session")
def opensearch(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    """dev with the knowledge base's vectors in OpenSearch Serverless instead of S3 Vectors."""
    return synthesize(
        tmp_path_factory.mktemp("opensearch"), assemblies=assemblies, vector_store="opensearch_serverless"
    )


@pytest.fixture(scope="session")
def gpu(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    """dev with every SageMaker mode on a GPU type with local NVMe storage (no volume key)."""
    return synthesize(
        tmp_path_factory.mktemp("gpu"),
        assemblies=assemblies,
        realtime_instance_type="ml.g5.xlarge",
        async_instance_type="ml.g5.xlarge",
        batch_instance_type="ml.g5.xlarge",
    )


@pytest.fixture(scope="session")
def cpu(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    """dev with the SageMaker modes on CPU types, data capture on, provisioned serverless
    concurrency, a daily batch schedule, and the assistant on Amazon Nova Lite."""
    return synthesize(
        tmp_path_factory.mktemp("cpu"),
        assemblies=assemblies,
        realtime_instance_type="ml.m5.large",
        realtime_max_instances="3",
        data_capture_percentage="25",
        serverless_provisioned_concurrency="2",
        async_instance_type="ml.c5.xlarge",
        async_max_instances="4",
        batch_instance_type="ml.m5.xlarge",
        batch_instance_count="2",
        batch_schedule="rate(1 day)",
        assistant_model_id="amazon.nova-lite-v1:0",
    )


@pytest.fixture(scope="session")
def eu(tmp_path_factory: pytest.TempPathFactory, assemblies: AssemblyCache | None) -> Synth:
    """The default settings in eu-central-1: EU inference profile, AgentCore's EU AZ IDs."""
    return synthesize(tmp_path_factory.mktemp("eu"), assemblies=assemblies, region="eu-central-1")


@pytest.fixture(scope="session")
def all_variants(
    dev: Synth, prod: Synth, egress: Synth, opensearch: Synth, gpu: Synth, cpu: Synth, eu: Synth
) -> list[Synth]:
    return [dev, prod, egress, opensearch, gpu, cpu, eu]


# The whole-app variants are session fixtures, built once per test process. With the suite spread
# over processes (pytest-xdist, --dist loadgroup), the tests of the dev variant share one process and
# the tests of the other variants another, so each variant is synthesized at most twice (dev) and the
# tests that need no whole app spread over what is left.
DEV_FIXTURES = {"dev", "templates"}
OTHER_VARIANT_FIXTURES = {"prod", "egress", "opensearch", "gpu", "cpu", "eu", "all_variants"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & OTHER_VARIANT_FIXTURES:
            item.add_marker(pytest.mark.xdist_group("variants"))
        elif fixtures & DEV_FIXTURES:
            item.add_marker(pytest.mark.xdist_group("dev"))
