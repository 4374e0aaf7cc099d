"""One snapshot per stack of the default (dev) app. Asset hashes change whenever the CDK's
bundled handlers do, so they are masked: a snapshot changes only when our templates do."""

from __future__ import annotations

import json
import re

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import Synth

ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def normalized(template: dict) -> dict:
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))


@pytest.mark.parametrize(
    "role",
    ["Data", "Network", "KnowledgeBase", "ModelServing", "OfflineInference", "Assistant", "Observability"],
)
def test_stack_template_matches_its_snapshot(role: str, dev: Synth, snapshot) -> None:
    template = dev.templates[f"GenAiPlatform-dev-{role}"]
    assert normalized(template) == snapshot(extension_class=JSONSnapshotExtension)


def test_masking_leaves_everything_but_asset_hashes_alone(dev: Synth) -> None:
    template = dev.templates["GenAiPlatform-dev-Data"]
    masked = json.dumps(normalized(template))
    assert "<asset-hash>.zip" in masked
    assert ASSET_HASH.sub("<asset-hash>", json.dumps(template)) == masked
