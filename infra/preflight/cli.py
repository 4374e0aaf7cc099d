"""The command line: the profile and its overrides, as the CDK CLI would read them, the clients,
and the exit code."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import NoCredentialsError, NoRegionError, ProfileNotFound

from infra.preflight.context import FAIL, ClientFactory, Context, PreflightError
from infra.preflight.report import render, verdict
from infra.preflight.runner import run_checks

ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = ROOT / "cdk.json"
CDK_OUT = ROOT / "cdk.out"
# As in infra/config/deployment.py and the Makefile: the profile a plain `make deploy` deploys.
DEFAULT_PROFILE = "dev"

NO_CREDENTIALS = (
    "make preflight needs AWS credentials for the account you deploy to (aws configure, AWS_PROFILE=..., "
    "or SSO login); none were found."
)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise PreflightError(f"--context {text!r}: expected name=value, like -c az_count=3")
    return name.strip(), value


def context_overrides(pairs: Iterable[str], cdk_args: Sequence[str] = ()) -> dict[str, str]:
    """`-c name=value` pairs, from --context and from the CDK CLI arguments after `--` (make's
    ARGS, split by the shell as for `cdk deploy`; only their -c/--context pairs count, the rest is
    the CLI's). Later pairs win, as in the CLI."""
    values, words = [*pairs], list(cdk_args)
    for i, word in enumerate(words):
        if word in ("-c", "--context") and i + 1 < len(words):
            values.append(words[i + 1])
        elif word.startswith("--context="):
            values.append(word.split("=", 1)[1])
        elif word.startswith("-c") and len(word) > 2 and not word.startswith("--"):
            values.append(word[2:])
    return dict(_pair(value) for value in values)


def load_context(profile: str, overrides: Mapping[str, str], cdk_json: Path | None = None) -> dict:
    """cdk.json's context plus the overrides: what the CDK CLI hands app.py for the same command."""
    cdk_json = cdk_json or CDK_JSON
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8"))["context"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PreflightError(f"cannot read the context of {cdk_json}: {error}") from None
    if not isinstance(context, dict):
        raise PreflightError(f"the context of {cdk_json} is not an object")
    return {**context, "profile": profile, **overrides}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.preflight",
        description="Check the AWS account before a deploy: bootstrap, model access, quotas, regions.",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help="deployment profile in cdk.json (not an AWS CLI profile: use AWS_PROFILE for that)",
    )
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting override, as with the CDK CLI's -c (repeatable)",
    )
    parser.epilog = (
        "Arguments after -- are CDK CLI arguments (make's ARGS): their -c/--context pairs apply, "
        "the rest is ignored."
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.cdk_args = argv[split + 1 :]
    return args


def _default_clients() -> ClientFactory:
    session = boto3.Session()
    # Read-only calls that answer in well under a second; fail fast rather than hang a deploy.
    config = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
    return lambda service, region: session.client(service, region_name=region, config=config)


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: ClientFactory | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    width: int | None = None,
    cdk_out: Path | None = None,
) -> int:
    """Run the checks and print the table and verdict; returns the exit code (1 if any FAIL).
    Clients can be injected (tests); otherwise boto3 makes them in the config's region with the
    usual credential chain. Problems with the call itself are one line on `err`, exit code 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parse(argv)
    try:
        overrides = context_overrides(args.context, args.cdk_args)
        if clients is None:
            try:
                credentials = boto3.Session().get_credentials()  # before the config: jsii takes seconds
            except ProfileNotFound as error:
                print(f"{error}: check AWS_PROFILE against ~/.aws/config", file=err)
                return 1
            if credentials is None:
                print(NO_CREDENTIALS, file=err)
                return 1
            clients = _default_clients()
        context = load_context(args.profile, overrides)
        from infra.config import ConfigError, load_config  # pydantic and aws-cdk-lib: only when run

        try:
            config = load_config(context)
        except ConfigError as error:
            print(error.message, file=err)
            return 1
        region_source = (
            "from -c" if "region" in overrides else f"profile {config.deployment.profile!r} in cdk.json"
        )
        ctx = Context(config, clients, region_source, cdk_out or CDK_OUT)
        rows = run_checks(ctx)
    except PreflightError as error:
        print(f"preflight: {error}", file=err)
        return 1
    except (NoCredentialsError, NoRegionError):
        print(NO_CREDENTIALS, file=err)
        return 1
    if width is None:
        width = min(max(shutil.get_terminal_size((120, 24)).columns, 100), 180)
    print(f"Preflight of profile {config.deployment.profile!r} in {config.deployment.region}:", file=out)
    print(render(rows, width), file=out)
    print(verdict(rows), file=out)
    return 1 if any(r.status == FAIL for r in rows) else 0
