"""`make bench`: the serving path's time per request against the floor, the least any JSON-in,
JSON-out server must do for the same request (issue 16: at most 2 times, for one digit and for a
hundred). A benchmark, not a timed test.

    serving path  input_fn (JSON, validated) -> predict_fn -> output_fn (JSON, with classes)
    floor         json.loads the body -> tensor -> forward pass and softmax -> json.dumps the
                  probabilities as a list
"""

from __future__ import annotations

import json
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

SAGEMAKER = Path(__file__).resolve().parents[2] / "sagemaker"
sys.path[:0] = [str(SAGEMAKER), str(SAGEMAKER / "code")]

import inference  # noqa: E402
import package_model  # noqa: E402
import torch  # noqa: E402

REQUESTS = 2000
ROUNDS = 7


def per_request_microseconds(call: object, rounds: int = ROUNDS, requests: int = REQUESTS) -> float:
    """Median over rounds of the mean time per call, after a warm-up round."""
    call()  # type: ignore[operator]
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(requests):
            call()  # type: ignore[operator]
        timings.append((time.perf_counter() - start) / requests * 1e6)
    return statistics.median(timings)


TARGET = 2.0


def measure() -> dict[int, tuple[float, float]]:
    """{digits: (serving path, floor)} in microseconds per request, measured in turn."""
    with tempfile.TemporaryDirectory() as folder:
        archive = package_model.build(Path(folder) / "model.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(Path(folder) / "model", filter="data")
        model = inference.model_fn(str(Path(folder) / "model"))
    pixels = [float(v % 17) for v in range(64)]
    results = {}
    for digits in (1, 100):
        body = json.dumps([pixels] * digits).encode()

        def serving_path(body: bytes = body) -> None:
            inference.output_fn(
                inference.predict_fn(inference.input_fn(body, "application/json"), model), "application/json"
            )

        def floor(body: bytes = body) -> None:
            tensor = torch.tensor(json.loads(body), dtype=torch.float32)
            with torch.inference_mode():
                probabilities = torch.softmax(model(tensor), dim=1)
            json.dumps(probabilities.tolist())

        requests = REQUESTS if digits == 1 else REQUESTS // 10
        results[digits] = (
            per_request_microseconds(serving_path, requests=requests),
            per_request_microseconds(floor, requests=requests),
        )
    return results


def main() -> list[str]:
    lines = []
    for digits, (serving, floor) in measure().items():
        ratio = serving / floor
        verdict = "met" if ratio <= TARGET else "NOT MET"
        label = "1 digit" if digits == 1 else f"{digits} digits"
        lines.append(
            f"serving/floor {label}: {ratio:.2f}x (serving {serving:.0f} us, floor {floor:.0f} us; "
            f"target at most {TARGET:.1f}x: {verdict})"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
