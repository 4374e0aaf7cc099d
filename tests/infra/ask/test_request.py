"""The InvokeHarness request: the stack's harness and endpoint, the session, the region."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra import ask
from tests.infra.ask.stubs import OUTPUTS, QUESTION, REGION, ROOT, Aws, SessionId, text

# The request


def test_a_question_invokes_the_live_endpoint_of_the_stacks_harness_in_a_new_session(aws: Aws) -> None:
    session = SessionId()
    aws.stack(OUTPUTS)
    aws.answer([{"messageStart": {"role": "assistant"}}, text("Two "), text("endpoints.")], session)

    code, out, err = aws.run(QUESTION)

    assert (code, out) == (0, "Two endpoints.\n")
    assert session.seen is not None
    assert err == f'session {session.seen}: continue with make ask SESSION={session.seen} Q="..."\n'


def test_each_question_gets_its_own_new_session(aws: Aws) -> None:
    first, second = SessionId(), SessionId()
    for session in (first, second):
        aws.stack(OUTPUTS)
        aws.answer([text("ok")], session)
        assert aws.run(QUESTION)[0] == 0
    assert first.seen != second.seen


def test_a_session_given_is_continued_and_the_question_is_sent_trimmed(aws: Aws) -> None:
    session = "0f8fad5b-d9cb-469f-a165-70867728950e"
    aws.stack(OUTPUTS)
    aws.answer([text("Still two.")], session, question="And now?")

    code, out, err = aws.run("  And now?\n", "--session", session)

    assert (code, out) == (0, "Still two.\n")
    assert f"SESSION={session}" in err


def test_the_profile_picks_the_stack(aws: Aws) -> None:
    aws.stack(OUTPUTS, stack="GenAiPlatform-prod-Assistant")
    aws.answer([text("prod")], SessionId())
    assert aws.run(QUESTION, "--profile", "prod")[:2] == (0, "prod\n")


def test_the_region_comes_from_the_profile_in_cdk_json(tmp_path: Path) -> None:
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {"profiles": {"eu": {"region": "eu-central-1"}, "bare": {}}}}))
    assert ask.load_region("eu", cdk_json) == "eu-central-1"
    assert ask.load_region("dev") == REGION
    with pytest.raises(ask.AskError, match=r"profile 'bare' in cdk\.json has no region"):
        ask.load_region("bare", cdk_json)


def test_the_module_does_not_load_the_cdk() -> None:
    """A question should not wait for aws_cdk and jsii to start."""
    probe = (
        "import sys, infra.ask; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
