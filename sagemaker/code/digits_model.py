"""The model: a small classifier of 8x8 handwritten digits (scikit-learn's bundled digits set).

Kept in its own module so that training, serving and the Neuron compile step share one
definition. Inputs are the 64 raw pixel intensities (0 to 16), row by row.
"""

from __future__ import annotations

import torch
from torch import nn

N_FEATURES = 64
N_CLASSES = 10
MAX_INTENSITY = 16.0


class DigitsClassifier(nn.Module):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(N_FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, N_CLASSES))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of shape (n, 64); scaling lives here so callers send raw pixels."""
        return self.layers(pixels / MAX_INTENSITY)
