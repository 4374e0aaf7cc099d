"""Bedrock model lifecycle, model access and the assistant's inference profile."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.infra.preflight.stubs import ASSISTANT, EMBEDDING, PROFILE_ID, REGION, Aws, row, status


def test_model_access_not_granted_fails_with_the_console_hint(aws: Aws) -> None:
    aws.healthy(skip=("assistant", "inference_profile"))
    aws.model(ASSISTANT, "Claude Haiku 5.5")
    aws.availability(ASSISTANT, authorizationStatus="NOT_AUTHORIZED")
    aws.inference_profile()
    code, out, _ = aws.run("--profile", "dev")
    assert code == 1
    line = row(out, "Bedrock assistant model")
    assert status(out, "Bedrock assistant model") == "FAIL"
    assert f"{ASSISTANT}: ACTIVE; access not granted (NOT_AUTHORIZED)" in line
    assert "Bedrock console > Model catalog > Claude Haiku 5.5: submit the Anthropic use-case form" in line
    assert "make one call as an admin" in line
    assert status(out, "Bedrock embedding model") == "OK"
    assert status(out, "Bedrock inference profile") == "OK"


@pytest.mark.parametrize(
    ("overrides", "expected", "verdict"),
    [
        ({"entitlementAvailability": "NOT_AVAILABLE"}, "no entitlement (NOT_AVAILABLE)", "FAIL"),
        (
            {"agreementAvailability": {"status": "ERROR", "errorMessage": "Marketplace subscription failed"}},
            "access agreement ERROR: Marketplace subscription failed",
            "FAIL",
        ),
        ({"agreementAvailability": {"status": "PENDING"}}, "access agreement pending", "WARN"),
        ({"regionAvailability": "NOT_AVAILABLE"}, f"not available in {REGION}", "FAIL"),
    ],
)
def test_each_missing_part_of_model_access_is_named(
    aws: Aws, overrides: dict, expected: str, verdict: str
) -> None:
    aws.healthy(skip=("embedding", "assistant", "inference_profile"))
    aws.model(EMBEDDING, "Titan Text Embeddings V2")
    aws.availability(EMBEDDING, **overrides)
    aws.model(ASSISTANT, "Claude Haiku 5.5")
    aws.availability(ASSISTANT)
    aws.inference_profile()
    _, out, _ = aws.run("--profile", "dev")
    assert status(out, "Bedrock embedding model") == verdict
    assert expected in row(out, "Bedrock embedding model")
    # An Amazon model needs no Anthropic form.
    assert "Anthropic" not in row(out, "Bedrock embedding model")


def test_a_legacy_model_warns_with_its_end_of_life(aws: Aws) -> None:
    aws.healthy(skip=("embedding", "assistant", "inference_profile"))
    aws.model(EMBEDDING, "Titan Text Embeddings V2")
    aws.availability(EMBEDDING)
    aws.model(ASSISTANT, "Claude Haiku 5.5", {"status": "LEGACY", "endOfLifeTime": datetime(2027, 10, 7)})
    aws.availability(ASSISTANT)
    aws.inference_profile()
    code, out, _ = aws.run("--profile", "dev")
    assert code == 0
    assert status(out, "Bedrock assistant model") == "WARN"
    assert f"{ASSISTANT}: LEGACY, end of life 2027-10-07; access granted" in out


def test_a_missing_inference_profile_fails(aws: Aws) -> None:
    aws.healthy(skip=("inference_profile",))
    aws.error("bedrock", "get_inference_profile", "ResourceNotFoundException", status=404)
    code, out, _ = aws.run("--profile", "dev")
    assert code == 1
    assert f"{PROFILE_ID}: no such inference profile in {REGION}" in row(out, "Bedrock inference profile")


def test_without_the_assistant_only_the_embedding_model_is_checked(aws: Aws) -> None:
    aws.healthy(skip=("assistant", "inference_profile"))
    code, out, _ = aws.run("--profile", "dev", "-c", "assistant=false")
    assert code == 0
    assert "Bedrock assistant model" not in out
    assert "Region: AgentCore" not in out
    assert status(out, "Region: S3 Vectors") == "OK"
