"""Check 3: each Bedrock model the stacks use (lifecycle, model access) and the assistant's
inference profile."""

from __future__ import annotations

from botocore.exceptions import ClientError

from infra.preflight.context import (
    FAIL,
    OK,
    WARN,
    AccessDeniedError,
    Context,
    Row,
    allow,
    call,
    denied_row,
    error_code,
    merge,
    one_line,
)

# --- 3. Bedrock models -------------------------------------------------------------------------


def access_fix(model_id: str, name: str) -> str:
    """How access to a model is granted. Serverless models are on by default; a third-party model's
    first call by someone allowed aws-marketplace:Subscribe subscribes the account (a valid payment
    method is needed), and Anthropic models first need the one-time use-case form; access can take
    up to 15 minutes to settle (Bedrock User Guide, "Access Amazon Bedrock foundation models")."""
    if model_id.startswith("anthropic."):
        return (
            f"Bedrock console > Model catalog > {name}: submit the Anthropic use-case form if not done, "
            "then make one call as an admin (playground) or aws bedrock create-foundation-model-agreement; "
            "wait up to 15 minutes"
        )
    return f"Bedrock console > Model catalog > {name}: make one call as an admin; wait up to 15 minutes"


def _model_findings(ctx: Context, model_id: str) -> list[tuple[str, str, str]]:
    """Lifecycle (a Legacy model stops working on a date) and access (a model not granted to the
    account deploys fine, then fails the first ingestion or question)."""
    bedrock, region = ctx.client("bedrock"), ctx.config.deployment.region
    parts: list[tuple[str, str, str]] = []
    name = model_id
    other_model = "choose another model (infra/bedrock_models.py) or region"
    try:
        details = call(bedrock, "get_foundation_model", modelIdentifier=model_id)["modelDetails"]
    except AccessDeniedError as error:
        parts.append((WARN, f"{model_id}: lifecycle not checked ({error.action} denied)", allow(error)))
    except ClientError as error:
        if error_code(error) not in ("ResourceNotFoundException", "ValidationException"):
            raise
        return [
            (FAIL, f"{model_id}: Bedrock does not offer it in {region} ({error_code(error)})", other_model)
        ]
    else:
        name = details.get("modelName") or model_id
        lifecycle = details.get("modelLifecycle") or {}
        state = lifecycle.get("status", "ACTIVE")
        if state == "LEGACY":
            end = lifecycle.get("endOfLifeTime")
            when = f", end of life {end:%Y-%m-%d}" if end else ""
            parts.append((WARN, f"{model_id}: LEGACY{when}", "plan a move to an Active model"))
        else:
            parts.append((OK, f"{model_id}: {state}", ""))

    try:
        available = call(bedrock, "get_foundation_model_availability", modelId=model_id)
    except AccessDeniedError as error:
        parts.append((WARN, f"access not checked ({error.action} denied)", allow(error)))
        return parts
    grant = access_fix(model_id, name)
    agreement = available.get("agreementAvailability") or {}
    if available.get("regionAvailability") == "NOT_AVAILABLE":
        parts.append((FAIL, f"not available in {region}", other_model))
    elif available.get("authorizationStatus") != "AUTHORIZED":
        parts.append((FAIL, f"access not granted ({available.get('authorizationStatus')})", grant))
    elif available.get("entitlementAvailability") != "AVAILABLE":
        parts.append((FAIL, f"no entitlement ({available.get('entitlementAvailability')})", grant))
    elif agreement.get("status") == "PENDING":
        parts.append((WARN, "access agreement pending", "wait a few minutes, then run again"))
    elif agreement.get("status") != "AVAILABLE":
        reason = f": {one_line(agreement['errorMessage'], 120)}" if agreement.get("errorMessage") else ""
        parts.append((FAIL, f"access agreement {agreement.get('status')}{reason}", grant))
    else:
        parts.append((OK, "access granted", ""))
    return parts


def check_models(ctx: Context) -> list[Row]:
    """The knowledge base's embedding model, and the assistant's model and inference profile."""
    config = ctx.config
    rows = [merge("Bedrock embedding model", _model_findings(ctx, config.knowledge_base.embedding_model_id))]
    if not config.assistant.enabled:
        return rows
    rows.append(merge("Bedrock assistant model", _model_findings(ctx, config.assistant.model_id)))
    rows.append(_inference_profile_row(ctx))
    return rows


def _inference_profile_row(ctx: Context) -> Row:
    """The harness names the profile, not the model: a profile missing in the region fails its
    first model call, whatever the model's own access says."""
    config, label = ctx.config, "Bedrock inference profile"
    use_global = config.assistant.global_inference
    profile_id = config.assistant.model.profile_id(config.deployment.region, use_global=use_global)
    try:
        profile = call(ctx.client("bedrock"), "get_inference_profile", inferenceProfileIdentifier=profile_id)
    except AccessDeniedError as error:
        return denied_row(label, error.action)
    except ClientError as error:
        if error_code(error) not in ("ResourceNotFoundException", "ValidationException"):
            raise
        return Row(
            label,
            FAIL,
            f"{profile_id}: no such inference profile in {config.deployment.region} ({error_code(error)})",
            "choose another assistant_model_id, or assistant_global_inference",
        )
    routes = sorted({m["modelArn"].split(":")[3] for m in profile.get("models", []) if m.get("modelArn")})
    status = profile.get("status", "?")
    detail = f"{profile_id}: {status}" + (f", routes to {', '.join(routes)}" if routes else "")
    if status != "ACTIVE":
        return Row(label, FAIL, detail, "choose another assistant_model_id")
    return Row(label, OK, detail)
