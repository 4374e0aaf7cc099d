"""The command line: which steps, how long a wait may take, the clients, and the exit code."""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from infra.ask.deployment import DEFAULT_PROFILE, load_region
from infra.ask.errors import AskError, code_and_message, no_credentials_hint, one_line
from infra.naming import PROJECT
from infra.smoke.deployment import STEPS, boto3_clients, find_deployment
from infra.smoke.errors import SmokeError
from infra.smoke.predictions import load_sample_digits
from infra.smoke.report import summary
from infra.smoke.runner import Clock
from infra.smoke.steps import Smoke

DEFAULT_TIMEOUT_MINUTES = 20
MAX_TIMEOUT_MINUTES = 240


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.smoke",
        description="Try every component of the deployed stacks, then delete what was created.",
    )
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help="deployment profile in cdk.json (not an AWS CLI profile: use AWS_PROFILE for that)",
    )
    parser.add_argument("--only", help=f"comma-separated steps to run, of: {', '.join(STEPS)}")
    parser.add_argument(
        "--timeout-minutes",
        type=int,
        default=DEFAULT_TIMEOUT_MINUTES,
        help=f"bound on each wait (ingestion, a copy from zero, async output, batch run); default "
        f"{DEFAULT_TIMEOUT_MINUTES}",
    )
    return parser.parse_args(argv)


def _selected_steps(only: str | None) -> list[str]:
    if only is None:
        return list(STEPS)
    wanted = [step.strip() for step in only.split(",") if step.strip()]
    unknown = [step for step in wanted if step not in STEPS]
    if unknown or not wanted:
        raise SmokeError(f"--only {only!r}: steps are {', '.join(STEPS)} (comma-separated)")
    return [step for step in STEPS if step in wanted]  # always in the order above


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: Callable[[str], Any] | None = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    token: str | None = None,
) -> int:
    """Run the smoke test; returns the exit code. Clients (a factory: service name -> client), the
    clock and the run's unique token can be injected (tests). Every problem that stops the run
    before its steps is one line on `err`, exit code 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parse(argv)
    try:
        steps = _selected_steps(args.only)
        if not 1 <= args.timeout_minutes <= MAX_TIMEOUT_MINUTES:
            raise SmokeError(f"--timeout-minutes {args.timeout_minutes}: must be 1 to {MAX_TIMEOUT_MINUTES}")
        try:
            region = load_region(args.profile)
        except AskError as error:
            raise SmokeError(str(error)) from None
        digits = load_sample_digits()
        clients = clients or boto3_clients(region)
        deployment = find_deployment(clients("cloudformation"), args.profile, region, steps)
    except SmokeError as error:
        print(f"smoke: {error}", file=err)
        return 1
    except (NoCredentialsError, NoRegionError):
        print(f"smoke: {no_credentials_hint()}", file=err)
        return 1
    except ClientError as error:
        code, message = code_and_message(error)
        print(f"smoke: {code} from {error.operation_name}: {one_line(message, 300)}", file=err)
        return 1
    except BotoCoreError as error:  # endpoint unreachable, SSO token expired, ...
        print(f"smoke: {one_line(str(error), 300)}", file=err)
        return 1

    smoke = Smoke(
        deployment,
        clients,
        out=out,
        clock=clock or Clock(),
        timeout_seconds=args.timeout_minutes * 60,
        token=token or str(uuid.uuid4()),
        digits=digits,
    )
    out.write(
        f"Smoke test of {PROJECT}-{args.profile} in {region} (run {smoke.token}; each wait at most "
        f"{args.timeout_minutes} min)\n"
    )
    try:
        results, problems = smoke.run(steps)
    except KeyboardInterrupt:  # cleanup has run (Smoke.run's finally)
        print("smoke: interrupted; what the steps created was cleaned up", file=err)
        return 130
    out.write("\n" + summary(results))
    if any(r.result == "FAIL" for r in results):
        out.write(f"Dashboard: {deployment.dashboard_url or '(the Observability stack is not deployed)'}\n")
    if problems:
        out.write("Not cleaned up (delete by hand):\n" + "".join(f"  {p}\n" for p in problems))
    return 1 if any(r.result == "FAIL" for r in results) else 0
