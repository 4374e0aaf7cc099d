"""What the operations assistant's tools do on this deployment, without Lambda or the gateway.

Every action acts on this project's resources only: their names come from the function's
environment (set by the stacks), never from what the model produces. A name the model passes is
checked against that list and refused otherwise. Each action checks its own parameters too, even
though the handler has checked them against the tool's schema: it can be called on its own.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Protocol

from agent_actions.deployment import Deployment
from agent_actions.sample_digits import SAMPLE_DIGITS


class InvalidRequestError(ValueError):
    """The model asked for something this function will not do; the message says what is allowed."""


class UnexpectedAnswerError(RuntimeError):
    """An AWS service answered something this function cannot read (an endpoint that is not the
    serving code, a guardrail action it does not know)."""


# The AWS calls the actions make, one protocol per service (a boto3 client of the service satisfies it).


class Endpoints(Protocol):
    """A boto3 `sagemaker` client, as list_endpoints and describe_endpoint use it."""

    exceptions: Any  # the client's modeled errors, ClientError among them

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...


class EndpointRuntime(Protocol):
    """A boto3 `sagemaker-runtime` client, as send_test_prediction uses it."""

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...


class StateMachines(Protocol):
    """A boto3 `stepfunctions` client, as start_batch_transform uses it."""

    def start_execution(self, **kwargs: Any) -> dict[str, Any]: ...


class IngestionJobs(Protocol):
    """A boto3 `bedrock-agent` client, as ingestion_jobs uses it."""

    def list_ingestion_jobs(self, **kwargs: Any) -> dict[str, Any]: ...


class KnowledgeBases(Protocol):
    """A boto3 `bedrock-agent-runtime` client, as search_knowledge_base uses it."""

    def retrieve(self, **kwargs: Any) -> dict[str, Any]: ...


class Guardrails(Protocol):
    """A boto3 `bedrock-runtime` client, as search_knowledge_base (the guardrail) uses it."""

    def apply_guardrail(self, **kwargs: Any) -> dict[str, Any]: ...


def _require(value: str | None, what: str) -> str:
    if not value:
        raise InvalidRequestError(f"{what} is not part of this deployment")
    return value


def list_endpoints(sagemaker: Endpoints, deployment: Deployment) -> list[dict[str, str]]:
    """Each of this project's endpoints with its status (NOT_DEPLOYED if it does not exist)."""
    return [_endpoint_status(sagemaker, name) for name in deployment.endpoint_names]


def describe_endpoint(sagemaker: Endpoints, deployment: Deployment, endpoint_name: str) -> dict[str, Any]:
    if not isinstance(endpoint_name, str) or endpoint_name not in deployment.endpoint_names:
        allowed = ", ".join(deployment.endpoint_names) or "none"
        raise InvalidRequestError(
            f"endpoint_name {shown(endpoint_name)} is not one of this deployment's: {allowed}"
        )
    description = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    return {
        "name": endpoint_name,
        "status": description["EndpointStatus"],
        "config": description["EndpointConfigName"],
        "created": description["CreationTime"].isoformat(),
        "failure_reason": description.get("FailureReason"),
    }


def _endpoint_status(sagemaker: Endpoints, name: str) -> dict[str, str]:
    try:
        return {"name": name, "status": sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]}
    except sagemaker.exceptions.ClientError as error:
        if "Could not find endpoint" in str(error):
            return {"name": name, "status": "NOT_DEPLOYED"}
        raise


def send_test_prediction(runtime: EndpointRuntime, deployment: Deployment, digit: int) -> dict[str, Any]:
    """Send a known handwritten `digit` to the real-time endpoint and report what it predicted."""
    # True == 1 and 7.0 == 7 to a dict, not to the agent that asked.
    if not _is_whole_number(digit) or digit not in SAMPLE_DIGITS:
        raise InvalidRequestError(f"digit {shown(digit)} must be a whole number from 0 to 9")
    endpoint = _require(deployment.realtime_endpoint, "a real-time endpoint")
    component = _require(deployment.realtime_component, "the real-time endpoint's inference component")
    response = runtime.invoke_endpoint(
        EndpointName=endpoint,
        InferenceComponentName=component,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(SAMPLE_DIGITS[digit]),
    )
    predicted, confidence = _prediction(response["Body"].read())
    return {
        "sent": digit,
        "predicted": predicted,
        "confidence": round(confidence, 4),
        "endpoint": endpoint,
        "inference_component": component,
    }


def _prediction(answer: bytes) -> tuple[int, float]:
    """The class and its probability from the serving code's answer, {"predictions": [{"class": 7,
    "probabilities": [...]}]}; UnexpectedAnswerError for anything else (another model, an error page)."""
    try:
        [prediction] = json.loads(answer)["predictions"]
        predicted, probabilities = prediction["class"], prediction["probabilities"]
        confidence = max(probabilities)
    except (ValueError, TypeError, KeyError, RecursionError):
        raise UnexpectedAnswerError(
            f"the endpoint did not answer with one prediction: {shown(answer)}"
        ) from None
    if not _is_whole_number(predicted) or not all(
        isinstance(p, int | float) and not isinstance(p, bool) for p in probabilities
    ):
        raise UnexpectedAnswerError(
            f"the endpoint's prediction is no class and probabilities: {shown(answer)}"
        )
    return predicted, float(confidence)


# S3 key prefixes the batch run may read: under the configured input prefix, plain path parts only
# (no "." or ".." part: S3 keeps them as text, people and tools read them as folders).
_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/?")
MAX_KEY_CHARACTERS = 1024  # S3 keys have at most 1024 bytes (these prefixes are ASCII)


def start_batch_transform(
    stepfunctions: StateMachines, deployment: Deployment, input_prefix: str
) -> dict[str, str]:
    """Start the batch-transform state machine on a prefix under the batch input prefix."""
    base = _require(deployment.batch_input_prefix, "batch transform")
    state_machine = _require(deployment.batch_state_machine_arn, "batch transform")
    if (
        not isinstance(input_prefix, str)
        or len(input_prefix) >= MAX_KEY_CHARACTERS
        or not input_prefix.startswith(base)
        or not _PREFIX.fullmatch(input_prefix)
        or {".", ".."} & set(input_prefix.split("/"))
    ):
        raise InvalidRequestError(
            f"input_prefix {shown(input_prefix)} must be a plain S3 prefix under {base!r}, "
            f"shorter than {MAX_KEY_CHARACTERS} characters, without . or .. parts"
        )
    # The run reads a folder: "batch/input/day-1" and "batch/input/day-1/" mean the same one.
    input_prefix = input_prefix if input_prefix.endswith("/") else input_prefix + "/"
    execution = stepfunctions.start_execution(
        stateMachineArn=state_machine,
        name=f"assistant-{uuid.uuid4().hex[:20]}",
        input=json.dumps({"input_prefix": input_prefix}),
    )
    return {"execution": execution["executionArn"], "input_prefix": input_prefix}


def ingestion_jobs(bedrock_agent: IngestionJobs, deployment: Deployment, limit: int) -> list[dict[str, Any]]:
    """The knowledge base's latest ingestion jobs, newest first."""
    if not _is_whole_number(limit) or not 1 <= limit <= 25:
        raise InvalidRequestError(f"limit {shown(limit)} must be a whole number from 1 to 25")
    response = bedrock_agent.list_ingestion_jobs(
        knowledgeBaseId=_require(deployment.knowledge_base_id, "a knowledge base"),
        dataSourceId=_require(deployment.data_source_id, "a knowledge base data source"),
        sortBy={"attribute": "STARTED_AT", "order": "DESCENDING"},
        maxResults=limit,
    )
    return [
        {
            "job_id": job["ingestionJobId"],
            "status": job["status"],
            "started": job["startedAt"].isoformat(),
            "statistics": job.get("statistics", {}),
        }
        for job in response.get("ingestionJobSummaries", [])
    ]


MAX_QUERY_CHARACTERS = 2048  # far more than a question; Retrieve itself takes up to 20,000


def search_knowledge_base(
    knowledge_bases: KnowledgeBases,
    guardrails: Guardrails,
    deployment: Deployment,
    query: str,
    max_results: int,
) -> dict[str, Any]:
    """The knowledge base's best passages for `query`, each with its source document and score.

    Passages are text from documents, and they reach the model as a tool result, where the harness
    may not apply its guardrail. So with a guardrail configured, each passage goes through
    ApplyGuardrail as INPUT (the prompt-attack filter runs on input only: it then sees instructions
    planted in a document); where the guardrail intervenes, the model gets the guardrail's output
    instead of the passage, and the result says so."""
    if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY_CHARACTERS:
        raise InvalidRequestError(
            f"query {shown(query)} must be text of 1 to {MAX_QUERY_CHARACTERS} characters"
        )
    if not _is_whole_number(max_results) or not 1 <= max_results <= 10:
        raise InvalidRequestError(f"max_results {shown(max_results)} must be a whole number from 1 to 10")
    knowledge_base = _require(deployment.knowledge_base_id, "a knowledge base")
    guardrail = deployment.passage_guardrail()
    response = knowledge_bases.retrieve(
        knowledgeBaseId=knowledge_base,
        retrievalQuery={"text": query.strip()},
        retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": max_results}},
    )
    passages = [_passage(result) for result in response["retrievalResults"]]
    passages = [passage for passage in passages if passage["text"]]  # images, rows: nothing to relay
    if guardrail is None:
        return {"passages": passages, "guardrail": "none configured"}
    for passage in passages:
        passage["text"], passage["guardrail_intervened"] = guarded_text(
            guardrails, guardrail, passage["text"]
        )
    intervened = sum(passage["guardrail_intervened"] for passage in passages)
    return {
        "passages": passages,
        "guardrail": (
            f"intervened on {intervened} of {len(passages)} passages: their text is the guardrail's "
            "output, not the document's"
            if intervened
            else "applied, did not intervene"
        ),
    }


def _passage(result: dict[str, Any]) -> dict[str, Any]:
    score = result.get("score")
    return {
        "text": result["content"].get("text") or "",
        "source": result.get("location", {}).get("s3Location", {}).get("uri"),
        "score": round(score, 4) if isinstance(score, int | float) else None,
    }


def guarded_text(guardrails: Guardrails, guardrail: tuple[str, str], text: str) -> tuple[str, bool]:
    """`text` as the guardrail lets it through, and whether it intervened: ApplyGuardrail with
    source INPUT; on GUARDRAIL_INTERVENED its `outputs` (the blocked message, or the text with
    PII masked) replace the text."""
    guardrail_id, version = guardrail
    response = guardrails.apply_guardrail(
        guardrailIdentifier=guardrail_id,
        guardrailVersion=version,
        source="INPUT",
        content=[{"text": {"text": text}}],
    )
    action = response.get("action")
    if action == "NONE":
        return text, False
    if action == "GUARDRAIL_INTERVENED":
        return "\n".join(output.get("text", "") for output in response.get("outputs", [])), True
    raise UnexpectedAnswerError(f"the guardrail answered action {shown(action)}, neither NONE nor intervened")


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value: Any) -> str:
    """A value for the model, cut short: the model can pass megabytes."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4300-digit limit for conversion to text
        text = f"<a whole number of {value.bit_length()} bits>"
    return text if len(text) <= 80 else text[:80] + "..."
