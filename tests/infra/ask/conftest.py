"""The `aws` fixture: stubbed clients, with no answers until a test adds them."""

from __future__ import annotations

import pytest

from tests.infra.ask.stubs import Aws


@pytest.fixture
def aws() -> Aws:
    return Aws()
