"""Lambda tests run without AWS: fake credentials for moto and the Stubber, and the environment
Powertools reads when a handler module is imported.

Each handler keeps its AWS clients for the container's life (`handler.clients`, created on first
use), as Lambda reuses a warm container. A test is one container: `fresh_clients` gives every
handler new, not yet created clients before each test, so a client is always created inside the
test's own moto mock and call recorder, never carried over from another test (where it would
bypass the mock, or record nothing).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import Synth
from tests.support.iam import Templates

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_METRICS_NAMESPACE="GenAiPlatform/Test",
    POWERTOOLS_SERVICE_NAME="tests",
)

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
# Every function's package: a directory of lambdas/ with a handler module.
PACKAGES = sorted(path.parent.name for path in LAMBDAS.glob("*/handler.py"))


def handler_modules() -> list[ModuleType]:
    """Each package's handler module (imported after the environment above is set)."""
    return [importlib.import_module(f"{package}.handler") for package in PACKAGES]


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    for handler in handler_modules():
        monkeypatch.setattr(handler, "clients", handler.Clients())


@pytest.fixture(scope="session")
def templates(dev: Synth) -> Templates:
    """The dev app's templates, with their values resolvable (tests/support/iam.py)."""
    return Templates(dev.templates)
