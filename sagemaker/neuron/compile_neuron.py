"""Compiles the digits classifier for AWS Inferentia2 and Trainium (inf2, trn1) with torch-neuronx.

The Neuron SDK runs only where Neuron is installed (the `pytorch-inference-neuronx` Deep Learning
Container, or an inf2/trn1 instance), not on an ordinary build machine:

    python sagemaker/neuron/compile_neuron.py --batch-size 8

It writes sagemaker/artifacts/model.neuron.pt. package_model.py ships it when present, and
inference.model_fn prefers it wherever the Neuron runtime is available, falling back to the
plain weights everywhere else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "code"))
from digits_model import N_FEATURES, DigitsClassifier  # noqa: E402

ARTIFACTS = HERE.parent / "artifacts"


def compile_for_neuron(batch_size: int) -> Path:
    import torch_neuronx  # only on a Neuron host

    model = DigitsClassifier()
    model.load_state_dict(torch.load(ARTIFACTS / "model.pt", map_location="cpu", weights_only=True))
    model.eval()
    # Neuron compiles for a fixed input shape; dynamic batching splits any batch into chunks of it.
    traced = torch_neuronx.trace(model, torch.zeros(batch_size, N_FEATURES))
    traced = torch_neuronx.dynamic_batch(traced)
    destination = ARTIFACTS / "model.neuron.pt"
    torch.jit.save(traced, str(destination))
    return destination


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    print(compile_for_neuron(parser.parse_args().batch_size))


if __name__ == "__main__":
    main()
