"""What every check shares: the rows it makes, the context it reads, and how it calls AWS."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from infra.config import AppConfig

ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
OK, WARN, FAIL = "OK", "WARN", "FAIL"
_SEVERITY = {OK: 0, WARN: 1, FAIL: 2}

ClientFactory = Callable[[str, str], Any]
"""(service name, region) -> a boto3 client; tests inject stubbed ones."""


class PreflightError(Exception):
    """A problem with how preflight was called: one line, no traceback, exit code 1."""


class AccessDeniedError(Exception):
    """The credentials may not make this call: the row becomes a WARN, the other checks run on."""

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(action)


@dataclass(frozen=True)
class Row:
    check: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class Context:
    """What every check may read: the validated config, the clients, and what STS said."""

    config: AppConfig
    clients: ClientFactory
    region_source: str
    cdk_out: Path
    account: str = ""

    def client(self, service: str) -> Any:
        return self.clients(service, self.config.deployment.region)


# --- calling AWS -------------------------------------------------------------------------------


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "Error")


def error_message(error: ClientError) -> str:
    return one_line(str(error.response.get("Error", {}).get("Message") or ""), 200)


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def call(client: Any, operation: str, **params: Any) -> dict:
    """One API call; AccessDenied becomes `AccessDeniedError("<iam prefix>:<Action>")`, which names the
    permission to ask for. Other errors are the caller's to handle, or the runner's."""
    try:
        return getattr(client, operation)(**params)
    except ClientError as error:
        if error_code(error) in ACCESS_DENIED:
            raise AccessDeniedError(
                f"{client.meta.service_model.signing_name}:{error.operation_name}"
            ) from None
        raise


def paginate(client: Any, operation: str, key: str, **params: Any) -> list[dict]:
    """Every item of a paginated list call; AccessDenied raises `AccessDeniedError`, as in `call`."""
    items: list[dict] = []
    token: str | None = None
    while True:
        page = call(client, operation, **params, **({"NextToken": token} if token else {}))
        items += page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return items


def allow(error: AccessDeniedError) -> str:
    return f"allow {error.action} to these credentials"


def denied_row(check: str, action: str) -> Row:
    return Row(check, WARN, f"could not check: {action} denied", f"allow {action} to these credentials")


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default=OK)


def merge(check: str, parts: Sequence[tuple[str, str, str]]) -> Row:
    """Several findings about one thing (a model) as one row: the worst status, every detail."""
    fixes = list(dict.fromkeys(fix for status, _, fix in parts if status != OK and fix))
    return Row(check, _worst(s for s, _, _ in parts), "; ".join(d for _, d, _ in parts), "; ".join(fixes))
