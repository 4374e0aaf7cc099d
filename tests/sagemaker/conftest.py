"""The serving code runs from `code/` of model.tar.gz, where `inference` imports `digits_model` as
a top-level module; tests put both folders on the path the same way."""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import pytest

SAGEMAKER = Path(__file__).resolve().parents[2] / "sagemaker"
for folder in (SAGEMAKER, SAGEMAKER / "code"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.tar.gz built and unpacked as SageMaker unpacks it into /opt/ml/model."""
    import package_model

    archive = package_model.build(tmp_path_factory.mktemp("package") / "model.tar.gz")
    unpacked = tmp_path_factory.mktemp("model")
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    return unpacked
