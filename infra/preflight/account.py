"""Checks 1 and 2: the account and region the credentials reach, and the CDK bootstrap there."""

from __future__ import annotations

import json
import re
from pathlib import Path

from botocore.exceptions import ClientError

from infra.preflight.context import (
    FAIL,
    OK,
    WARN,
    AccessDeniedError,
    Context,
    Row,
    call,
    denied_row,
    error_code,
    error_message,
)

# --- CDK bootstrap -----------------------------------------------------------------------------
BOOTSTRAP_STACK = "CDKToolkit"
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
# What the synthesized stacks require: aws-cdk-lib 2.275's default synthesizer writes
# `requiresBootstrapStackVersion: 6` on every stack and asset manifest (cdk.out/manifest.json) and a
# CheckBootstrapVersion rule that rejects versions 1-5 in every template. (The lookup role asks for
# 8, but only context lookups use it, and this app makes none.) When cdk.out exists, its manifest
# is read instead, so a newer aws-cdk-lib raises the bar by itself. A test synthesizes a stack to
# keep this number true.
REQUIRED_BOOTSTRAP_VERSION = 6
# The version the pinned CDK CLI (package.json, aws-cdk 2.1148.1) bootstraps to: its
# lib/api/bootstrap/bootstrap-template.yaml. Older ones deploy this app but miss later fixes (the
# staging bucket's protections among them), so they are a WARN. A test reads the template.
CLI_BOOTSTRAP_VERSION = 33
# Stack states in which the bootstrap resources are there and usable.
_USABLE_STACK = re.compile(r"(CREATE|UPDATE|IMPORT)_COMPLETE|UPDATE_ROLLBACK_COMPLETE")


# --- 1. account and region ---------------------------------------------------------------------


def check_identity(ctx: Context) -> list[Row]:
    """The account the credentials belong to is where the CDK deploys when the config names none;
    when it names one, a mismatch would fail the deploy (or, worse, succeed in the wrong account)."""
    identity = call(ctx.client("sts"), "get_caller_identity")
    ctx.account = identity["Account"]
    deployment = ctx.config.deployment
    arn = identity.get("Arn", "?")
    where = f"account {ctx.account} ({arn}), region {deployment.region} ({ctx.region_source})"
    if deployment.account and deployment.account != ctx.account:
        return [
            Row(
                "Account and region",
                FAIL,
                f"the credentials are for account {ctx.account}, the config deploys to {deployment.account}",
                f"use credentials for {deployment.account} (AWS_PROFILE=...), or -c account={ctx.account}",
            )
        ]
    pinned = (
        "matches the config's account" if deployment.account else "the config pins no account: deploys here"
    )
    return [Row("Account and region", OK, f"{where}; {pinned}")]


# --- 2. CDK bootstrap --------------------------------------------------------------------------


def required_bootstrap_version(cdk_out: Path) -> tuple[int, str]:
    """The bootstrap version the stacks require, and where that number comes from: a synthesized
    cloud assembly if there is one (stacks and asset manifests; not the lookup role, unused here),
    else what aws-cdk-lib's default synthesizer writes."""
    try:
        artifacts = json.loads((cdk_out / "manifest.json").read_text(encoding="utf-8"))["artifacts"]
    except (OSError, ValueError, KeyError, TypeError):
        return REQUIRED_BOOTSTRAP_VERSION, "aws-cdk-lib's default synthesizer"
    versions = [
        int(artifact["properties"]["requiresBootstrapStackVersion"])
        for artifact in artifacts.values()
        if isinstance(artifact, dict)
        and artifact.get("type") in ("aws:cloudformation:stack", "cdk:asset-manifest")
        and isinstance(artifact.get("properties"), dict)
        and str(artifact["properties"].get("requiresBootstrapStackVersion", "")).isdigit()
    ]
    if not versions:
        return REQUIRED_BOOTSTRAP_VERSION, "aws-cdk-lib's default synthesizer"
    return max(versions), f"{cdk_out.name}/manifest.json"


def check_bootstrap(ctx: Context) -> list[Row]:
    """`cdk deploy` uploads assets to the bootstrap bucket and deploys through its roles; without
    the stack, or with a version older than the stacks require, it stops before the first stack."""
    region, label = ctx.config.deployment.region, "CDK bootstrap"
    fix = f"npx cdk bootstrap aws://{ctx.account or 'ACCOUNT'}/{region}"
    required, source = required_bootstrap_version(ctx.cdk_out)
    status_note, denied = "", []
    try:
        stacks = call(ctx.client("cloudformation"), "describe_stacks", StackName=BOOTSTRAP_STACK)["Stacks"]
    except AccessDeniedError as error:
        denied.append(error.action)
    except ClientError as error:
        if not (error_code(error) == "ValidationError" and "does not exist" in error_message(error)):
            raise
        # Bootstrapped through StackSets or with --toolkit-stack-name, the stack has another name;
        # what the deploy needs is the version parameter (and the roles it names), checked below.
        status_note = f" (no stack named {BOOTSTRAP_STACK}: bootstrapped under another name?)"
    else:
        stack_status = stacks[0].get("StackStatus", "")
        if stack_status.endswith("_IN_PROGRESS"):
            return [Row(label, WARN, f"{BOOTSTRAP_STACK} is {stack_status}", "wait for it, then run again")]
        if not _USABLE_STACK.fullmatch(stack_status):
            return [
                Row(
                    label,
                    FAIL,
                    f"{BOOTSTRAP_STACK} is {stack_status}",
                    f"fix or delete the stack, then {fix}",
                )
            ]
        status_note = f" ({BOOTSTRAP_STACK} {stack_status})"
    try:
        parameter = call(ctx.client("ssm"), "get_parameter", Name=BOOTSTRAP_VERSION_PARAMETER)["Parameter"]
    except AccessDeniedError as error:
        return [denied_row(label, ", ".join([*denied, error.action]))]
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return [
                Row(
                    label,
                    FAIL,
                    f"{BOOTSTRAP_VERSION_PARAMETER} not found{status_note}: bootstrapped with another "
                    "qualifier, or not at all",
                    fix,
                )
            ]
        raise
    value = str(parameter.get("Value", ""))
    if not value.isdigit():
        return [Row(label, FAIL, f"{BOOTSTRAP_VERSION_PARAMETER} is {value!r}, not a version", fix)]
    version = int(value)
    if version < required:
        return [
            Row(
                label,
                FAIL,
                f"version {version}{status_note}; the stacks need {required} or later ({source})",
                fix,
            )
        ]
    if denied:
        return [
            Row(
                label,
                WARN,
                f"version {version} (needs {required}); the stack's state not checked: {denied[0]} denied",
                f"allow {denied[0]} to these credentials",
            )
        ]
    if version < CLI_BOOTSTRAP_VERSION:
        return [
            Row(
                label,
                WARN,
                f"version {version}{status_note}: deploys (needs {required}), but older than the pinned CDK "
                f"CLI's template ({CLI_BOOTSTRAP_VERSION})",
                fix,
            )
        ]
    return [Row(label, OK, f"version {version}{status_note}; the stacks need {required} or later ({source})")]
