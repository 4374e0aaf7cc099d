"""The `aws` fixture: a stubbed account that answers as a ready one unless a test says otherwise."""

from __future__ import annotations

import pytest

from tests.infra.preflight.stubs import Aws


@pytest.fixture
def aws() -> Aws:
    return Aws()
