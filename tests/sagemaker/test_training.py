"""The committed weights are what the training script produces, and they are good enough."""

from __future__ import annotations

import json

import torch
import train_digits
from digits_model import DigitsClassifier


def test_retraining_gives_the_committed_models_held_out_predictions() -> None:
    retrained, held_out_accuracy = train_digits.train()
    committed = DigitsClassifier()
    committed.load_state_dict(torch.load(train_digits.ARTIFACTS / "model.pt", weights_only=True))
    committed.eval()
    _, held_out = train_digits.dataset()
    with torch.inference_mode():
        assert torch.equal(retrained(held_out.pixels).argmax(1), committed(held_out.pixels).argmax(1))
    metrics = json.loads((train_digits.ARTIFACTS / "metrics.json").read_text())
    assert metrics == {"held_out_accuracy": round(held_out_accuracy, 4), "held_out_size": 360}
    assert held_out_accuracy >= 0.95
