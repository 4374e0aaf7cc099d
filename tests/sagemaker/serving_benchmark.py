"""`make bench`: the serving path's latency per request against a bare forward pass of the same
model (target: at most 1.1 times), for a one-digit and a hundred-digit request. Prints both; a
benchmark, not a timed test.

    serving path  input_fn (JSON, one digit) -> predict_fn -> output_fn (JSON)
    bare forward  model(tensor) on a tensor already in memory
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


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        archive = package_model.build(Path(folder) / "model.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(Path(folder) / "model", filter="data")
        model = inference.model_fn(str(Path(folder) / "model"))
    pixels = [float(v % 17) for v in range(64)]
    results = {}
    for digits in (1, 100):
        body = json.dumps([pixels] * digits).encode()
        tensor = torch.tensor([pixels] * digits)

        def serving_path(body: bytes = body) -> None:
            inference.output_fn(
                inference.predict_fn(inference.input_fn(body, "application/json"), model), "application/json"
            )

        def bare_forward(tensor: torch.Tensor = tensor) -> None:
            with torch.inference_mode():
                model(tensor)

        requests = REQUESTS if digits == 1 else REQUESTS // 10
        serving = per_request_microseconds(serving_path, requests=requests)
        bare = per_request_microseconds(bare_forward, requests=requests)
        results[f"request_of_{digits}_digits"] = {
            "serving_path_us": round(serving, 1),
            "bare_forward_us": round(bare, 1),
            "ratio": round(serving / bare, 2),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
