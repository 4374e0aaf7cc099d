"""The `aws` fixture: stubbed clients, with no answers until a test adds them, and a fake clock."""

from __future__ import annotations

import pytest

from tests.infra.smoke.stubs import Aws


@pytest.fixture
def aws() -> Aws:
    return Aws()
