"""The command line: the question, the session, the clients, and the exit code."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from infra.ask.deployment import (
    DEFAULT_PROFILE,
    READ_TIMEOUT_SECONDS,
    Assistant,
    find_assistant,
    invoke,
    load_region,
    new_session_id,
)
from infra.ask.errors import AskError, code_and_message, no_credentials_hint, one_line
from infra.ask.stream import render

# InvokeHarnessRequest.runtimeSessionId (bedrock-agentcore service-2.json): 33 to 100 characters.
SESSION_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{32,99}")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.ask",
        description="Ask the deployed operations assistant a question; the answer streams back.",
    )
    # Optional here so that a missing question gets the same one-line error as an empty one.
    parser.add_argument("question", nargs="?", default="", help="the question, in quotes")
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help="deployment profile in cdk.json (not an AWS CLI profile: use AWS_PROFILE for that)",
    )
    parser.add_argument("--session", help="continue this session (the id a previous answer printed)")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    cloudformation: Any = None,
    agentcore: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code. Clients can be injected (tests); otherwise they are made
    in the profile's region. Every problem the user can cause is one line on `err`, exit code 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parse(argv)
    session_id: str | None = None  # set once the assistant has the question: only then worth printing
    assistant: Assistant | None = None
    try:
        question = args.question.strip()
        if not question:
            raise AskError('the question is empty: make ask Q="your question"')
        if args.session is not None and not SESSION_ID.fullmatch(args.session):
            raise AskError(
                f"--session {args.session!r}: a session id is 33 to 100 letters, digits, '-' or '_' "
                "(use the one a previous answer printed)"
            )
        region = load_region(args.profile)
        if cloudformation is None:
            cloudformation = boto3.client("cloudformation", region_name=region)
        if agentcore is None:
            agentcore = boto3.client(
                "bedrock-agentcore", region_name=region, config=Config(read_timeout=READ_TIMEOUT_SECONDS)
            )
        assistant = find_assistant(cloudformation, args.profile, region)
        wanted_session = args.session or new_session_id()
        stream = invoke(agentcore, assistant, wanted_session, question)
        session_id = wanted_session
        ok = render(stream, out)
    except AskError as error:
        print(f"ask: {error}", file=err)
        return 1
    except (NoCredentialsError, NoRegionError):
        print(f"ask: {no_credentials_hint()}", file=err)
        return 1
    except ClientError as error:
        code, message = code_and_message(error)
        if code in ("AccessDeniedException", "AccessDenied") and assistant is not None:
            policy = assistant.invoke_policy_arn or "of the stack output InvokePolicyArn"
            print(
                f"ask: access denied invoking the assistant: attach the managed policy {policy} "
                f"to your user or role ({one_line(message, 300)})",
                file=err,
            )
        else:
            print(f"ask: {code}: {one_line(message, 500)}", file=err)
        return 1
    except BotoCoreError as error:  # endpoint unreachable, SSO token expired, stream cut off, ...
        print(f"ask: {one_line(str(error), 500)}", file=err)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while the answer streams: the user's choice, not a crash
        print("ask: interrupted", file=err)
        return 130
    finally:
        if session_id is not None:
            print(f'session {session_id}: continue with make ask SESSION={session_id} Q="..."', file=err)
    return 0 if ok else 1
