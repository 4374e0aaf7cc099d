"""Checks 4 and 5: SageMaker quotas against the instances the stacks start (and may scale to), and
Lambda concurrency against what the stacks reserve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infra.preflight.context import (
    FAIL,
    OK,
    WARN,
    AccessDeniedError,
    Context,
    Row,
    call,
    denied_row,
    paginate,
)

if TYPE_CHECKING:
    from infra.config import AppConfig

# --- Lambda ------------------------------------------------------------------------------------
# Lambda keeps 100 concurrent executions unreserved in every account ("Configuring reserved
# concurrency", Lambda Developer Guide).
LAMBDA_UNRESERVED_MINIMUM = 100
# What the prod profile reserves in all, with reserve_lambda_concurrency on. The README states it,
# and tests/infra/test_knowledge_base_stack.py::test_the_readme_states_the_lambda_concurrency_prod_reserves
# sums ReservedConcurrentExecutions over the prod templates to keep the README true; a test of this
# module ties this constant to the README. Other settings with the reservation on reserve about as much.
RESERVED_CONCURRENCY_PROD = 18
# A new account's Lambda concurrency quota, before AWS raises it.
LAMBDA_NEW_ACCOUNT_QUOTA = 10

# --- SageMaker quotas (Service Quotas, service code `sagemaker`) --------------------------------
SERVERLESS_CONCURRENCY_QUOTA = (
    "Maximum total concurrency that can be allocated across all serverless endpoints"
)


# --- 4. SageMaker quotas -----------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaNeed:
    check: str
    quota: str
    at_start: int
    """What the deploy (or a batch run) starts: below this, it fails."""
    maximum: int
    """What scaling may reach: below this, it deploys but stops scaling there."""
    why: str


def sagemaker_needs(config: AppConfig) -> list[QuotaNeed]:
    """What the stacks start, per quota. The real-time and async endpoints each start one instance
    at deploy and count against the same endpoint quota when they share an instance type; batch
    transform takes batch_instance_count per run; the serverless endpoint allocates its maximum
    concurrency from the account's total."""
    serving, offline = config.serving, config.offline_inference
    endpoints: dict[str, list[tuple[int, int, str]]] = {}
    endpoints.setdefault(serving.realtime_instance_type, []).append(
        (
            1,
            serving.realtime_max_instances,
            f"real-time 1 at deploy, up to {serving.realtime_max_instances}",
        )
    )
    endpoints.setdefault(offline.async_instance_type, []).append(
        (
            1,
            offline.async_max_instances,
            f"async 1 at deploy, up to {offline.async_max_instances}",
        )
    )
    needs = [
        QuotaNeed(
            f"SageMaker {instance_type} endpoints",
            f"{instance_type} for endpoint usage",
            sum(start for start, _, _ in uses),
            sum(maximum for _, maximum, _ in uses),
            " + ".join(why for _, _, why in uses),
        )
        for instance_type, uses in endpoints.items()
    ]
    count = config.offline_inference.batch_instance_count
    needs.append(
        QuotaNeed(
            f"SageMaker {config.offline_inference.batch_instance_type} batch",
            f"{config.offline_inference.batch_instance_type} for transform job usage",
            count,
            count,
            f"each batch run uses {count}",
        )
    )
    needs.append(
        QuotaNeed(
            "SageMaker serverless concurrency",
            SERVERLESS_CONCURRENCY_QUOTA,
            config.serving.serverless_max_concurrency,
            config.serving.serverless_max_concurrency,
            f"serverless_max_concurrency {config.serving.serverless_max_concurrency}",
        )
    )
    return needs


def _quota_key(name: str) -> str:
    return " ".join(name.lower().split())


def check_sagemaker_quotas(ctx: Context) -> list[Row]:
    """New accounts often have 0 for accelerated instance types; CreateEndpoint then fails after
    the stacks before it were created. The applied values are listed first; a quota with none
    listed falls back to the AWS default (Service Quotas documents that ListServiceQuotas leaves
    out quotas whose applied value is not available)."""
    needs = sagemaker_needs(ctx.config)
    client = ctx.client("service-quotas")
    try:
        applied = paginate(client, "list_service_quotas", "Quotas", ServiceCode="sagemaker")
        found = {_quota_key(q["QuotaName"]): (q.get("Value"), "") for q in applied if "QuotaName" in q}
        if any(_quota_key(need.quota) not in found for need in needs):
            defaults = paginate(client, "list_aws_default_service_quotas", "Quotas", ServiceCode="sagemaker")
            for q in defaults:
                found.setdefault(_quota_key(q.get("QuotaName", "")), (q.get("Value"), " (AWS default)"))
    except AccessDeniedError as error:
        return [denied_row(need.check, error.action) for need in needs]
    return [_quota_row(need, found.get(_quota_key(need.quota))) for need in needs]


def _quota_row(need: QuotaNeed, found: tuple[Any, str] | None) -> Row:
    request = f"Service Quotas > Amazon SageMaker > {need.quota}: request an increase to {need.maximum}"
    if found is None or found[0] is None:
        return Row(
            need.check,
            WARN,
            f"{need.quota}: not listed for this account and region; needs {need.at_start} ({need.why})",
            f"look it up in Service Quotas > Amazon SageMaker; {request.split(': ', 1)[1]}",
        )
    value, note = int(found[0]), found[1]
    detail = f"{need.quota}: {value}{note}; needs {need.at_start} ({need.why})"
    if value < need.at_start:
        return Row(need.check, FAIL, detail, request)
    if value < need.maximum:
        return Row(need.check, WARN, f"{detail}: scaling stops at {value}", request)
    return Row(need.check, OK, detail)


# --- 5. Lambda concurrency ---------------------------------------------------------------------


def check_lambda(ctx: Context) -> list[Row]:
    """Reserving concurrency fails the deploy when it would leave fewer than 100 executions
    unreserved; without reservations a new account's quota of 10 deploys, but throttles easily."""
    label = "Lambda concurrency"
    limits = call(ctx.client("lambda"), "get_account_settings").get("AccountLimit", {})
    quota = int(limits.get("ConcurrentExecutions", 0))
    unreserved = int(limits.get("UnreservedConcurrentExecutions", quota))
    request = "Service Quotas > AWS Lambda > Concurrent executions: request an increase to {}"
    if ctx.config.deployment.reserve_lambda_concurrency:
        need = LAMBDA_UNRESERVED_MINIMUM + RESERVED_CONCURRENCY_PROD
        why = f"{LAMBDA_UNRESERVED_MINIMUM} stay unreserved + {RESERVED_CONCURRENCY_PROD} the stacks reserve"
        if quota < need:
            return [
                Row(
                    label,
                    FAIL,
                    f"quota {quota}; reserve_lambda_concurrency needs {need} ({why})",
                    request.format(need) + ", or reserve_lambda_concurrency=false",
                )
            ]
        if unreserved < need:
            return [
                Row(
                    label,
                    WARN,
                    f"quota {quota}, {unreserved} unreserved: other functions already reserve "
                    f"{quota - unreserved}, so these stacks' {RESERVED_CONCURRENCY_PROD} would leave fewer "
                    f"than {LAMBDA_UNRESERVED_MINIMUM} (fine if they are already deployed)",
                    request.format(quota + need - unreserved),
                )
            ]
        return [Row(label, OK, f"quota {quota}, {unreserved} unreserved; needs {need} ({why})")]
    if quota <= LAMBDA_NEW_ACCOUNT_QUOTA:
        return [
            Row(
                label,
                WARN,
                f"quota {quota} (a new account's): the deploy works (nothing is reserved), but "
                "functions may throttle",
                request.format(1000),
            )
        ]
    return [Row(label, OK, f"quota {quota}; reserve_lambda_concurrency is off: nothing reserved")]
