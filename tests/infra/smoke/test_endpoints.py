"""The real-time and serverless steps."""

from __future__ import annotations

import json

import pytest

from tests.infra.smoke.data import OUTPUTS, answer, summary_rows
from tests.infra.smoke.stubs import Aws

# Real-time endpoint


NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress "
    "(if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API."
)


def test_a_component_scaled_to_zero_is_waited_for_then_answers(aws: Aws) -> None:
    serving = OUTPUTS["ModelServing"]
    endpoint, component = serving["RealtimeEndpointName"], serving["RealtimeInferenceComponentName"]
    aws.stacks("ModelServing", "Observability")
    aws.invoke_fails("ValidationError", NO_CAPACITY, endpoint, component)
    aws.invoked(endpoint, component)

    code, out, _ = aws.run("--only", "realtime")

    assert code == 0
    assert "  scaled to zero; waiting for a copy to start (an instance starts and loads the model)\n" in out
    assert "\r  waiting for a copy: 30 s of at most 20 min 00 s\n" in out
    assert aws.clock.sleeps == [30]
    result, seconds, detail = summary_rows(out)["realtime"]
    assert (result, seconds) == ("PASS", "30.0")
    assert detail.endswith("after waiting 30 s for a copy to start")


def test_a_copy_that_never_starts_fails_at_the_bound_retrying_every_30_seconds(aws: Aws) -> None:
    serving = OUTPUTS["ModelServing"]
    endpoint, component = serving["RealtimeEndpointName"], serving["RealtimeInferenceComponentName"]
    aws.stacks("ModelServing", "Observability")
    for _ in range(5):  # the first call, then at 30, 60, 90 and 120 s of a two-minute bound
        aws.invoke_fails("ValidationError", NO_CAPACITY, endpoint, component)

    code, out, _ = aws.run("--only", "realtime", "--timeout-minutes", "2")

    assert code == 1
    assert aws.clock.sleeps == [30, 30, 30, 30]
    detail = summary_rows(out)["realtime"][2]
    assert "no answer within 2 min 00 s (still ValidationError)" in detail
    assert f"/aws/sagemaker/InferenceComponents/{component}" in detail


def test_a_model_error_is_not_mistaken_for_zero_capacity(aws: Aws) -> None:
    serving = OUTPUTS["ModelServing"]
    aws.stacks("ModelServing", "Observability")
    aws.invoke_fails(
        "ModelError",
        "Received client error (400) from primary: expected 64 pixel values",
        serving["RealtimeEndpointName"],
        serving["RealtimeInferenceComponentName"],
        status=424,
    )

    code, out, _ = aws.run("--only", "realtime")

    detail = summary_rows(out)["realtime"][2]
    assert code == 1
    assert detail.startswith("ModelError from InvokeEndpoint: Received client error (400)")
    assert "waiting" not in out
    assert aws.clock.sleeps == []


# Serverless endpoint


def test_the_serverless_endpoint_answers(aws: Aws) -> None:
    aws.stacks("ModelServing", "Observability")
    aws.serverless_passes()

    code, out, _ = aws.run("--only", "serverless")

    assert code == 0
    assert (
        summary_rows(out)["serverless"][2]
        == "endpoint GenAiPlatform-dev-serverless: digit 7 -> class 7 (p=0.991)"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<html>502</html>", "the answer is not {'predictions': [...]}: <html>502</html>"),
        (answer(7, 7), "expected 1 prediction(s), got 2"),
        (
            json.dumps({"predictions": [{"class": 7, "probabilities": [1.0]}]}).encode(),
            "not a class 0-9 with 10",
        ),
    ],
    ids=["not-json", "two-predictions", "short-probabilities"],
)
def test_an_answer_of_the_wrong_shape_fails(aws: Aws, data: bytes, expected: str) -> None:
    aws.stacks("ModelServing", "Observability")
    aws.invoked(OUTPUTS["ModelServing"]["ServerlessEndpointName"], data=data)

    code, out, _ = aws.run("--only", "serverless")

    detail = summary_rows(out)["serverless"][2]
    assert code == 1
    assert expected in detail
    assert "/aws/sagemaker/Endpoints/GenAiPlatform-dev-serverless" in detail
