"""How the command says what went wrong: one line, no traceback (shared with infra/smoke)."""

from __future__ import annotations

import os

from botocore.exceptions import ClientError


class AskError(Exception):
    """A problem the user can fix, said in one line: printed without a traceback, exit code 1."""


def code_and_message(error: ClientError) -> tuple[str, str]:
    details = error.response.get("Error", {})
    return str(details.get("Code") or "Error"), str(details.get("Message") or error).strip()


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def no_credentials_hint() -> str:
    hint = "no AWS credentials found: set AWS_PROFILE, run aws sso login, or export AWS_ACCESS_KEY_ID"
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        # The Makefile turns the instance metadata service off, so an EC2 instance role is not seen.
        hint += " (the EC2 instance metadata service is off: AWS_EC2_METADATA_DISABLED=true)"
    return hint
