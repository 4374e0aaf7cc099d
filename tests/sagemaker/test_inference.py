"""The serving functions end to end on CPU, as the container calls them, from the packaged model."""

from __future__ import annotations

import json
from pathlib import Path

import inference
import pytest
import torch
from sklearn.datasets import load_digits

DIGITS = load_digits()
SEVEN = DIGITS.data[DIGITS.target == 7][0].tolist()
THREE = DIGITS.data[DIGITS.target == 3][0].tolist()


@pytest.fixture(scope="module")
def model(model_dir: Path) -> torch.nn.Module:
    return inference.model_fn(str(model_dir))


def serve(
    model: torch.nn.Module, body: str | bytes, content_type: str, accept: str | None = None
) -> tuple[str, str]:
    return inference.output_fn(inference.predict_fn(inference.input_fn(body, content_type), model), accept)


def test_json_one_digit(model: torch.nn.Module) -> None:
    body, content_type = serve(model, json.dumps(SEVEN), "application/json")
    [prediction] = json.loads(body)["predictions"]
    assert content_type == "application/json"
    assert prediction["class"] == 7
    assert len(prediction["probabilities"]) == 10
    assert sum(prediction["probabilities"]) == pytest.approx(1.0, abs=1e-5)


def test_json_many_digits_as_a_list_or_under_instances(model: torch.nn.Module) -> None:
    for payload in ([SEVEN, THREE], {"instances": [SEVEN, THREE]}):
        body, _ = serve(model, json.dumps(payload).encode(), "application/json; charset=utf-8")
        assert [p["class"] for p in json.loads(body)["predictions"]] == [7, 3]


def test_csv_in_csv_out(model: torch.nn.Module) -> None:
    request = "\n".join(",".join(str(v) for v in digit) for digit in (SEVEN, THREE)) + "\n"
    body, content_type = serve(model, request, "text/csv", "text/csv")
    rows = [line.split(",") for line in body.strip().splitlines()]
    assert content_type == "text/csv"
    assert [row[0] for row in rows] == ["7", "3"]
    assert all(len(row) == 11 for row in rows)


def test_json_lines_for_batch_transform(model: torch.nn.Module) -> None:
    request = json.dumps(SEVEN) + "\n\n" + json.dumps({"features": THREE}) + "\n"
    body, content_type = serve(model, request, "application/jsonlines", "application/jsonlines")
    assert content_type == "application/jsonlines"
    assert [json.loads(line)["class"] for line in body.splitlines()] == [7, 3]


def test_the_held_out_digits_are_served_as_trained(model: torch.nn.Module) -> None:
    import train_digits

    _, held_out = train_digits.dataset()
    body, _ = serve(model, json.dumps(held_out.pixels.tolist()), "application/json")
    served = [p["class"] for p in json.loads(body)["predictions"]]
    assert sum(s == t for s, t in zip(served, held_out.labels.tolist(), strict=True)) / len(served) >= 0.95


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("{not json", "application/json", "body is not valid JSON"),
        ('{"digits": []}', "application/json", 'a JSON object must hold the digits under "instances"'),
        ("42", "application/json", "expected a list of 64 numbers"),
        ("[]", "application/json", "the request holds no digits"),
        (json.dumps(SEVEN[:10]), "application/json", "the digit: expected 64 pixel values, got 10"),
        (json.dumps([SEVEN, SEVEN[:63]]), "application/json", "digit 2: expected 64 pixel values, got 63"),
        (json.dumps(["x"] * 64), "application/json", "the digit: every pixel value must be a number"),
        (json.dumps([True] * 64), "application/json", "every pixel value must be a finite number"),
        ("1,2,3\n", "text/csv", "line 1: expected 64 pixel values, got 3"),
        (",".join(["nan"] * 64), "text/csv", "line 1: every pixel value must be a finite number"),
        ("[1, 2\n", "application/jsonlines", "line 1 is not valid JSON"),
        ('{"pixels": [1]}\n', "application/jsonlines", "line 1: expected 64 pixel values, got no list"),
        ("", "text/csv", "the request holds no digits"),
    ],
)
def test_a_malformed_request_is_a_400_that_names_the_problem(
    body: str, content_type: str, message: str
) -> None:
    with pytest.raises(inference.PayloadError) as raised:
        inference.input_fn(body, content_type)
    assert raised.value.status_code == 400
    assert message in raised.value.message


def test_an_oversized_request_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(inference.PayloadError) as raised:
        inference.input_fn(b" " * (inference.MAX_PAYLOAD_BYTES + 1), "application/json")
    assert "larger than" in raised.value.message


def test_too_many_digits_in_one_request_are_refused() -> None:
    request = "\n".join(["0," * 63 + "0"] * (inference.MAX_RECORDS + 1))
    with pytest.raises(inference.PayloadError, match="at most 100000"):
        inference.input_fn(request, "text/csv")


def test_unsupported_media_types_are_415s(model: torch.nn.Module) -> None:
    with pytest.raises(inference.UnsupportedMediaTypeError) as raised:
        inference.input_fn("x", "application/x-npy")
    assert raised.value.status_code == 415
    with pytest.raises(inference.UnsupportedMediaTypeError):
        serve(model, json.dumps(SEVEN), "application/json", "image/png")


# --- the Neuron path, as far as it can be tested without Neuron ----------------------------


def test_without_the_neuron_sdk_the_runtime_is_not_available() -> None:
    assert inference.neuron_runtime_available() is False


@pytest.mark.parametrize(
    ("compiled_present", "runtime", "expected"),
    [
        (True, True, "model.neuron.pt"),
        (True, False, "model.pt"),
        (False, True, "model.pt"),
        (False, False, "model.pt"),
    ],
)
def test_the_loader_picks_the_compiled_model_only_where_it_can_run(
    tmp_path: Path, compiled_present: bool, runtime: bool, expected: str
) -> None:
    if compiled_present:
        (tmp_path / "model.neuron.pt").write_bytes(b"compiled")
    assert inference.choose_artifact(tmp_path, runtime).name == expected


def test_a_compiled_model_loads_as_torchscript_where_neuron_is_available(
    model_dir: Path, model: torch.nn.Module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model traced by torch_neuronx is saved and loaded as TorchScript; a CPU trace stands in.
    for item in model_dir.iterdir():
        if item.is_file():
            (tmp_path / item.name).write_bytes(item.read_bytes())
    torch.jit.save(torch.jit.trace(model, torch.zeros(1, 64)), str(tmp_path / "model.neuron.pt"))
    monkeypatch.setattr(inference, "neuron_runtime_available", lambda: True)
    compiled = inference.model_fn(str(tmp_path))
    assert isinstance(compiled, torch.jit.ScriptModule)
    body, _ = serve(compiled, json.dumps([SEVEN, THREE]), "application/json")
    assert [p["class"] for p in json.loads(body)["predictions"]] == [7, 3]
