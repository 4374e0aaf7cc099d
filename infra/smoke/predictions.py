"""The sample digits the endpoints get, and the checks on the predictions they answer with."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from infra.ask.errors import one_line
from infra.smoke.errors import SmokeError, StepFailedError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIGITS_MODULE = ROOT / "lambdas" / "agent_actions" / "sample_digits.py"

JSON = "application/json"
JSON_LINES = "application/jsonlines"
N_CLASSES = 10
# The one sample digit the endpoints get; the batch run gets all ten.
SAMPLE_DIGIT = 7


def load_sample_digits(path: Path = SAMPLE_DIGITS_MODULE) -> dict[int, list[int]]:
    """The ten sample digits the assistant's test-prediction tool sends, from their file: the
    Lambda packages are not importable as `lambdas.*`."""
    spec = importlib.util.spec_from_file_location("agent_actions_sample_digits", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise SmokeError(f"cannot load the sample digits from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SAMPLE_DIGITS


def check_predictions(records: list[Any], expected: int) -> list[tuple[int, float]]:
    """(class, probability) per record of the serving code's answer (sagemaker/code/inference.py
    output_fn); StepFailedError naming what is wrong for anything else."""
    if len(records) != expected:
        raise StepFailedError(f"expected {expected} prediction(s), got {len(records)}")
    found = []
    for record in records:
        if not isinstance(record, dict):
            raise StepFailedError(f"a prediction is not an object: {one_line(repr(record), 120)}")
        predicted, probabilities = record.get("class"), record.get("probabilities")
        if (
            not isinstance(predicted, int)
            or isinstance(predicted, bool)
            or not 0 <= predicted < N_CLASSES
            or not isinstance(probabilities, list)
            or len(probabilities) != N_CLASSES
            or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in probabilities)
        ):
            raise StepFailedError(
                f"a prediction is not a class 0-9 with {N_CLASSES} probabilities: "
                f"{one_line(json.dumps(record), 160)}"
            )
        found.append((predicted, float(max(probabilities))))
    return found


def parse_json_answer(body: bytes, expected: int) -> list[tuple[int, float]]:
    """An application/json answer, {"predictions": [...]}."""
    try:
        records = json.loads(body)["predictions"]
    except (ValueError, KeyError, TypeError):
        raise StepFailedError(f"the answer is not {{'predictions': [...]}}: {shown_body(body)}") from None
    if not isinstance(records, list):
        raise StepFailedError(f"'predictions' is not a list: {shown_body(body)}")
    return check_predictions(records, expected)


def parse_json_lines_answer(body: bytes, expected: int) -> list[tuple[int, float]]:
    """An application/jsonlines answer (batch transform): one prediction per line."""
    try:
        records = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
    except ValueError:
        raise StepFailedError(f"the output is not JSON Lines: {shown_body(body)}") from None
    return check_predictions(records, expected)


def shown_body(body: bytes) -> str:
    return one_line(body[:300].decode("utf-8", "replace"), 160)
