"""Every check in turn, each isolated: one denied or failing call is a row, never a crash."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from infra.preflight.account import check_bootstrap, check_identity
from infra.preflight.availability import check_regions
from infra.preflight.capacity import check_lambda, check_sagemaker_quotas
from infra.preflight.context import (
    FAIL,
    WARN,
    AccessDeniedError,
    Context,
    Row,
    denied_row,
    error_code,
    error_message,
    one_line,
)
from infra.preflight.models import check_models

CHECKS: tuple[tuple[str, Callable[[Context], list[Row]]], ...] = (
    ("CDK bootstrap", check_bootstrap),
    ("Bedrock models", check_models),
    ("SageMaker quotas", check_sagemaker_quotas),
    ("Lambda concurrency", check_lambda),
    ("Regional availability", check_regions),
)


def _describe(error: Exception, *, operation: bool = True) -> str:
    """`Code from Operation: message` for an AWS error, `ClassName: message` for botocore's own."""
    if isinstance(error, ClientError):
        where = f" from {error.operation_name}" if operation else ""
        return f"{error_code(error)}{where}: {error_message(error)}".rstrip(": ")
    return f"{type(error).__name__}: {one_line(str(error), 200)}"


def _error_row(check: str, error: Exception) -> Row:
    """An error nobody expected in one check: a WARN that names it, and the other checks go on."""
    return Row(
        check, WARN, f"could not check: {_describe(error)}", "run again; if it persists, check it by hand"
    )


def run_checks(ctx: Context) -> list[Row]:
    """Every check, each isolated: AccessDenied or another AWS error in one is a WARN row in the
    table. Only a failing GetCallerIdentity (credentials refused or expired, no network) stops the
    rest, which would all fail the same way."""
    try:
        rows = check_identity(ctx)
    except (NoCredentialsError, NoRegionError):
        raise
    except (ClientError, BotoCoreError) as error:
        failed = f"STS GetCallerIdentity failed: {_describe(error, operation=False)}"
        fix = "check the credentials (aws sso login, AWS_PROFILE=...) and the network, then run again"
        return [
            Row("Account and region", FAIL, failed, fix),
            Row("Other checks", WARN, "not run: they need working credentials"),
        ]
    for name, check in CHECKS:
        try:
            rows += check(ctx)
        except (NoCredentialsError, NoRegionError):
            raise
        except AccessDeniedError as error:
            rows.append(denied_row(name, error.action))
        except (ClientError, BotoCoreError) as error:
            rows.append(_error_row(name, error))
    return rows
