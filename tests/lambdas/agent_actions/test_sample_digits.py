"""The ten sample digits the test-prediction tool sends are data (sample_digits.json), in the package:
each is a real 8x8 image of its class, as the model reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_actions.sample_digits import PATH, SAMPLE_DIGITS, load

from tests.lambdas.conftest import LAMBDAS


def test_the_data_file_is_in_the_package_its_asset_holds() -> None:
    assert PATH.parent == LAMBDAS / "agent_actions"
    assert PATH.is_file()


def test_there_is_one_digit_per_class_of_64_pixel_intensities_from_0_to_16() -> None:
    assert sorted(SAMPLE_DIGITS) == list(range(10))
    for digit, pixels in SAMPLE_DIGITS.items():
        assert len(pixels) == 64, digit
        assert all(type(pixel) is int and 0 <= pixel <= 16 for pixel in pixels), digit


def test_each_sample_is_an_image_of_its_class_in_the_training_set() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    for digit, pixels in SAMPLE_DIGITS.items():
        images = digits.data[digits.target == digit].astype(int).tolist()
        assert pixels in images, digit


def test_the_loader_keys_a_file_by_the_digit(tmp_path: Path) -> None:
    path = tmp_path / "digits.json"
    path.write_text(json.dumps({"3": [0] * 64}))
    assert load(path) == {3: [0] * 64}
