"""The real-time and serverless steps: one InvokeEndpoint each, waiting out a scale-out from zero
or a serverless endpoint still provisioning."""

from __future__ import annotations

import json
from collections.abc import Callable

from botocore.exceptions import ClientError

from infra.ask.errors import code_and_message
from infra.smoke.errors import StepFailedError, WaitTimedOutError
from infra.smoke.predictions import JSON, SAMPLE_DIGIT, parse_json_answer
from infra.smoke.runner import Runner, duration

CAPACITY_RETRY_SECONDS = 30
# SageMaker's answer to InvokeEndpoint while an inference component has no copy (scaled to zero):
# ValidationError "Inference Component has no capacity to process this request.
# ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by
# invoking UpdateInferenceComponentRuntimeConfig API." The failed call is what emits
# NoCapacityInvocationFailures, the metric the ModelServing stack scales out from zero on.
NO_CAPACITY_TEXT = "no capacity"
NOT_READY_CODES = frozenset({"ModelNotReadyException"})


def _is_zero_capacity(error: ClientError) -> bool:
    """The inference component has no copy (scaled to zero), or its first copy is still loading."""
    code, message = code_and_message(error)
    return (
        "NoCapacity" in code
        or code in NOT_READY_CODES
        or (code in ("ValidationError", "ModelError") and NO_CAPACITY_TEXT in message.lower())
    )


def _is_not_ready(error: ClientError) -> bool:
    """A serverless endpoint whose resources are still being provisioned."""
    return code_and_message(error)[0] in NOT_READY_CODES


class EndpointSteps(Runner):
    """`realtime` and `serverless`: one prediction of the sample digit each."""

    def step_realtime(self) -> str:
        serving = self.deployment.outputs("ModelServing")
        request = {
            "EndpointName": serving["RealtimeEndpointName"],
            "InferenceComponentName": serving["RealtimeInferenceComponentName"],
            "ContentType": JSON,
            "Accept": JSON,
            "Body": json.dumps(self.digits[SAMPLE_DIGIT]),
        }
        waited = ""
        runtime = self.client("sagemaker-runtime")
        try:
            response = runtime.invoke_endpoint(**request)
        except ClientError as error:
            if not _is_zero_capacity(error):
                raise
            self.say("  scaled to zero; waiting for a copy to start (an instance starts and loads the model)")
            started = self.clock.monotonic()
            response = self._invoke_until(request, _is_zero_capacity, "waiting for a copy")
            waited = f" after waiting {duration(self.clock.monotonic() - started)} for a copy to start"
        return self._prediction_detail(response, f"component {request['InferenceComponentName']}") + waited

    def step_serverless(self) -> str:
        name = self.deployment.outputs("ModelServing")["ServerlessEndpointName"]
        request = {
            "EndpointName": name,
            "ContentType": JSON,
            "Accept": JSON,
            "Body": json.dumps(self.digits[SAMPLE_DIGIT]),
        }
        runtime = self.client("sagemaker-runtime")
        try:
            response = runtime.invoke_endpoint(**request)
        except ClientError as error:
            if not _is_not_ready(error):
                raise
            self.say("  the serverless endpoint is still provisioning; waiting")
            response = self._invoke_until(request, _is_not_ready, "waiting for the serverless endpoint")
        return self._prediction_detail(response, f"endpoint {name}")

    def _invoke_until(self, request: dict, retryable: Callable[[ClientError], bool], label: str) -> dict:
        runtime = self.client("sagemaker-runtime")

        def probe() -> tuple[dict | None, str]:
            try:
                return runtime.invoke_endpoint(**request), ""
            except ClientError as error:
                if retryable(error):
                    return None, f"still {code_and_message(error)[0]}"
                raise

        try:
            return self.wait(label, CAPACITY_RETRY_SECONDS, probe, first_after=CAPACITY_RETRY_SECONDS)
        except WaitTimedOutError as timeout:
            raise StepFailedError(f"no answer within {duration(self.timeout)} ({timeout})") from None

    def _prediction_detail(self, response: dict, what: str) -> str:
        [(predicted, confidence)] = parse_json_answer(response["Body"].read(), 1)
        verdict = "" if predicted == SAMPLE_DIGIT else f" (the sample is a {SAMPLE_DIGIT}: check the model)"
        return f"{what}: digit {SAMPLE_DIGIT} -> class {predicted} (p={confidence:.3f}){verdict}"
