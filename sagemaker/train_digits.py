"""Trains the digits classifier deterministically and writes the weights that ship.

    .venv/bin/python sagemaker/train_digits.py      # rewrites sagemaker/artifacts/

Deterministic: fixed seeds, one CPU thread, deterministic algorithms, a fixed split. A test
retrains and checks that the held-out predictions equal those of the committed weights.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent / "code"))
from digits_model import DigitsClassifier

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SEED = 7
EPOCHS = 40
BATCH_SIZE = 32
LEARNING_RATE = 3e-3


@dataclass
class HeldOut:
    pixels: torch.Tensor
    labels: torch.Tensor


def dataset() -> tuple[HeldOut, HeldOut]:
    """1,797 digits, 80% to train and 20% held out, stratified, always the same split."""
    pixels, labels = load_digits(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(
        pixels.astype(np.float32), labels, test_size=0.2, random_state=SEED, stratify=labels
    )
    as_set = lambda x, y: HeldOut(torch.from_numpy(x), torch.from_numpy(y).long())  # noqa: E731
    return as_set(train_x, train_y), as_set(test_x, test_y)


def train() -> tuple[DigitsClassifier, float]:
    """The trained model and its held-out accuracy."""
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    training, held_out = dataset()
    model = DigitsClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for batch in torch.randperm(len(training.labels), generator=order).split(BATCH_SIZE):
            optimizer.zero_grad()
            loss_fn(model(training.pixels[batch]), training.labels[batch]).backward()
            optimizer.step()
    model.eval()
    return model, accuracy(model, held_out)


def accuracy(model: DigitsClassifier, held_out: HeldOut) -> float:
    with torch.inference_mode():
        predicted = model(held_out.pixels).argmax(dim=1)
    return float((predicted == held_out.labels).float().mean())


def main() -> None:
    model, held_out_accuracy = train()
    ARTIFACTS.mkdir(exist_ok=True)
    torch.save(model.state_dict(), ARTIFACTS / "model.pt")
    metrics = {"held_out_accuracy": round(held_out_accuracy, 4), "held_out_size": len(dataset()[1].labels)}
    (ARTIFACTS / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
