"""Serving code for the digits classifier, in the form the AWS Deep Learning Containers'
PyTorch serving toolkit loads from `code/` of model.tar.gz: model_fn, input_fn, predict_fn,
output_fn.

Requests carry 64 pixel intensities per digit:
- application/json: one digit `[...64 numbers]`, several `[[...], [...]]`, or `{"instances": [...]}`;
- text/csv: one digit per line, 64 comma-separated numbers;
- application/jsonlines: one digit per line, `[...]` or `{"features": [...]}` (batch transform).
Responses give each digit's class and the probabilities of all ten classes, in the accepted type.

A malformed or oversized request gets an HTTP 400 whose message names the problem, never a
stack trace: the toolkit turns its `GenericInferenceToolkitError` into that status and message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy
import torch
from digits_model import N_FEATURES, DigitsClassifier

JSON = "application/json"
CSV = "text/csv"
JSON_LINES = "application/jsonlines"
# SageMaker real-time endpoints accept at most 6 MB per request; batch transform mini-batches
# are capped by MaxPayloadInMB (at most 100). This code refuses more than the larger of the two.
MAX_PAYLOAD_BYTES = 100 * 1024 * 1024
MAX_RECORDS = 100_000

try:  # present in the Deep Learning Containers; not needed to test this module
    from sagemaker_inference.errors import GenericInferenceToolkitError as _ToolkitError
except ImportError:  # pragma: no cover - exercised only outside the container

    class _ToolkitError(Exception):  # type: ignore[no-redef]
        def __init__(self, status_code: int, message: str | None = None, phrase: str | None = None) -> None:
            super().__init__(message)
            self.status_code = status_code
            self.message = message
            self.phrase = phrase


class PayloadError(_ToolkitError):
    """The request is not something this model can answer (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message, "Bad Request")


class UnsupportedMediaTypeError(_ToolkitError):
    def __init__(self, content_type: str) -> None:
        super().__init__(
            415, f"content type {content_type!r} is not supported; use {JSON}, {CSV} or {JSON_LINES}"
        )


# --- loading -------------------------------------------------------------------------------

NEURON_ARTIFACT = "model.neuron.pt"
CPU_ARTIFACT = "model.pt"


def neuron_runtime_available() -> bool:
    """True on an Inferentia2/Trainium instance whose image has torch-neuronx."""
    try:
        import torch_neuronx  # noqa: F401
    except ImportError:
        return False
    return Path("/dev/neuron0").exists()


def choose_artifact(model_dir: str | Path, neuron_available: bool) -> Path:
    """The compiled Neuron model when it is there and can run; otherwise the plain weights."""
    compiled = Path(model_dir) / NEURON_ARTIFACT
    if compiled.exists() and neuron_available:
        return compiled
    return Path(model_dir) / CPU_ARTIFACT


def model_fn(model_dir: str) -> torch.nn.Module:
    artifact = choose_artifact(model_dir, neuron_runtime_available())
    if artifact.name == NEURON_ARTIFACT:
        # A model traced by torch_neuronx loads as TorchScript once torch_neuronx is imported.
        return torch.jit.load(str(artifact))
    model = DigitsClassifier()
    model.load_state_dict(torch.load(artifact, map_location="cpu", weights_only=True))
    model.eval()
    torch.set_num_threads(int(os.environ.get("DIGITS_TORCH_THREADS", "1")))
    return model


# --- requests ------------------------------------------------------------------------------


def input_fn(request_body: bytes | str, content_type: str) -> torch.Tensor:
    """A (n, 64) float tensor, or PayloadError naming what is wrong."""
    if len(request_body) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(request_body)} bytes is larger than {MAX_PAYLOAD_BYTES}")
    text = request_body.decode("utf-8") if isinstance(request_body, bytes | bytearray) else request_body
    media_type = (content_type or JSON).split(";")[0].strip().lower()
    if media_type == JSON:
        rows = _json_rows(text)
    elif media_type == CSV:
        rows = [_numbers(line.split(","), f"line {n}") for n, line in _lines(text)]
    elif media_type == JSON_LINES:
        rows = [_json_line(line, n) for n, line in _lines(text)]
    else:
        raise UnsupportedMediaTypeError(content_type)
    if not rows:
        raise PayloadError("the request holds no digits")
    if len(rows) > MAX_RECORDS:
        raise PayloadError(f"{len(rows)} digits in one request; at most {MAX_RECORDS}")
    return torch.from_numpy(numpy.stack(rows))


def _json_rows(text: str) -> list[numpy.ndarray]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PayloadError(f"body is not valid JSON: {error.msg} at position {error.pos}") from None
    if isinstance(document, dict):
        if "instances" not in document:
            raise PayloadError('a JSON object must hold the digits under "instances"')
        document = document["instances"]
    if isinstance(document, list) and document and not isinstance(document[0], list):
        return [_numbers(document, "the digit")]
    if not isinstance(document, list):
        raise PayloadError("expected a list of 64 numbers, or a list of such lists")
    return [_numbers(row, f"digit {n}") for n, row in enumerate(document, start=1)]


def _json_line(line: str, number: int) -> numpy.ndarray:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise PayloadError(f"line {number} is not valid JSON: {error.msg}") from None
    if isinstance(record, dict):
        record = record.get("features")
    return _numbers(record, f"line {number}")


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _numbers(values: object, where: str) -> numpy.ndarray:
    if not isinstance(values, list) or len(values) != N_FEATURES:
        count = len(values) if isinstance(values, list) else "no list"
        raise PayloadError(f"{where}: expected {N_FEATURES} pixel values, got {count}")
    # One C-level pass instead of a Python loop per value: the request path is latency-bound.
    try:
        row = numpy.asarray(values, dtype=numpy.float32)
    except (TypeError, ValueError):
        raise PayloadError(f"{where}: every pixel value must be a number") from None
    if row.dtype != numpy.float32 or not numpy.isfinite(row).all() or bool in set(map(type, values)):
        raise PayloadError(f"{where}: every pixel value must be a finite number")
    return row


# --- prediction and response ---------------------------------------------------------------


def predict_fn(pixels: torch.Tensor, model: torch.nn.Module) -> torch.Tensor:
    """Class probabilities, shape (n, 10)."""
    with torch.inference_mode():
        return torch.softmax(model(pixels), dim=1)


def output_fn(probabilities: torch.Tensor, accept: str | None) -> tuple[str, str]:
    """The response body and its content type."""
    media_type = (accept or JSON).split(";")[0].strip().lower()
    rows = probabilities.tolist()
    classes = [max(range(len(row)), key=row.__getitem__) for row in rows]
    if media_type in (JSON, "*/*"):
        predictions = [{"class": c, "probabilities": _rounded(p)} for c, p in zip(classes, rows, strict=True)]
        return json.dumps({"predictions": predictions}), JSON
    if media_type == JSON_LINES:
        lines = (
            json.dumps({"class": c, "probabilities": _rounded(p)}) for c, p in zip(classes, rows, strict=True)
        )
        return "\n".join(lines) + "\n", JSON_LINES
    if media_type == CSV:
        lines = (",".join([str(c), *map(str, _rounded(p))]) for c, p in zip(classes, rows, strict=True))
        return "\n".join(lines) + "\n", CSV
    raise UnsupportedMediaTypeError(accept or "")


def _rounded(probabilities: list[float]) -> list[float]:
    return [round(p, 6) for p in probabilities]
