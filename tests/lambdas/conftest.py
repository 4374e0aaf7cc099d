"""Lambda tests run without AWS: fake credentials for moto and the Stubber, and the environment
Powertools reads when a handler module is imported."""

from __future__ import annotations

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_METRICS_NAMESPACE="GenAiPlatform/Test",
    POWERTOOLS_SERVICE_NAME="tests",
)
