"""Check 6: regional availability of S3 Vectors and AgentCore, from the config's checked-in tables."""

from __future__ import annotations

from infra.bedrock_models import AGENTCORE_HARNESS_REGIONS, AGENTCORE_VPC_AZ_IDS, S3_VECTORS_REGIONS
from infra.preflight.context import FAIL, OK, Context, Row


def check_regions(ctx: Context) -> list[Row]:
    """The config already refuses a region these services are not offered in; the rows say which
    table said so, so that a region added to it by hand is visible here."""
    config, rows = ctx.config, []
    if config.knowledge_base.vector_store == "s3_vectors":
        listed = config.deployment.region in S3_VECTORS_REGIONS
        rows.append(
            Row(
                "Region: S3 Vectors",
                OK if listed else FAIL,
                f"{config.deployment.region} {'is' if listed else 'is not'} in S3_VECTORS_REGIONS "
                "(infra/bedrock_models.py, the S3 Vectors regions at general availability)",
                "" if listed else "vector_store=opensearch_serverless, or another region",
            )
        )
    if config.assistant.enabled:
        listed = config.deployment.region in AGENTCORE_HARNESS_REGIONS
        detail = (
            f"{config.deployment.region} {'is' if listed else 'is not'} in AGENTCORE_HARNESS_REGIONS "
            "(infra/bedrock_models.py, AgentCore Developer Guide 'Supported AWS Regions')"
        )
        if config.assistant.network_mode == "VPC" and config.deployment.region in AGENTCORE_VPC_AZ_IDS:
            az_ids = AGENTCORE_VPC_AZ_IDS[config.deployment.region][: config.network.az_count]
            detail += f"; VPC mode in AZ IDs {', '.join(az_ids)}"
        fix = "" if listed else "assistant=false"
        rows.append(Row("Region: AgentCore", OK if listed else FAIL, detail, fix))
    if not rows:
        rows.append(Row("Regional availability", OK, "neither S3 Vectors nor AgentCore is configured"))
    return rows
