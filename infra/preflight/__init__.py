"""Check, with the user's AWS credentials, what would make the first deploy or first use fail:
`make preflight`, and the first step of `make deploy`.

python -m infra.preflight --profile dev                          the profile a plain make deploy uses
python -m infra.preflight --profile prod --context account=123456789012
python -m infra.preflight --profile dev -- -c region=eu-west-1 --require-approval never   make's ARGS

A deploy that fails on a missing quota or on model access fails late: after the stacks before it
were created, often after a SageMaker endpoint waited twenty minutes for an instance. Every check
here is one read-only API call or a few, so the whole table costs seconds. It reports one table
(check, status, detail, how to fix) and a verdict; the exit code is 1 when any row is FAIL, so
`make deploy` stops before the CDK CLI starts.

What is checked, in the configuration's region:
  1. account and region (STS GetCallerIdentity) against the config's `account`, if set;
  2. the CDK bootstrap stack and its version against what the synthesized stacks require;
  3. each Bedrock model: lifecycle, model access, and the assistant's inference profile;
  4. SageMaker quotas against the instances the stacks start (and may scale to);
  5. Lambda concurrency against what the stacks reserve;
  6. regional availability of S3 Vectors and AgentCore (from the config's checked-in tables).

A check the credentials may not make (AccessDenied) is a WARN row, not a crash: the others still
run. Standard library and boto3 only at import; the configuration (pydantic, aws-cdk-lib's enums)
is imported inside `main`, after a missing-credentials check that answers in one line at once.

The package, one module per concern: context (rows, the context, calling AWS), account (1, 2),
models (3), capacity (4, 5), availability (6), runner (every check, each isolated), report (the
table and the verdict), cli (arguments, clients, exit code).
"""

from infra.preflight.account import (
    BOOTSTRAP_STACK,
    BOOTSTRAP_VERSION_PARAMETER,
    CLI_BOOTSTRAP_VERSION,
    REQUIRED_BOOTSTRAP_VERSION,
    check_bootstrap,
    check_identity,
    required_bootstrap_version,
)
from infra.preflight.availability import check_regions
from infra.preflight.capacity import (
    LAMBDA_NEW_ACCOUNT_QUOTA,
    LAMBDA_UNRESERVED_MINIMUM,
    RESERVED_CONCURRENCY_PROD,
    SERVERLESS_CONCURRENCY_QUOTA,
    QuotaNeed,
    check_lambda,
    check_sagemaker_quotas,
    sagemaker_needs,
)
from infra.preflight.cli import (
    CDK_JSON,
    CDK_OUT,
    DEFAULT_PROFILE,
    NO_CREDENTIALS,
    context_overrides,
    load_context,
    main,
)
from infra.preflight.context import (
    FAIL,
    OK,
    WARN,
    AccessDeniedError,
    ClientFactory,
    Context,
    PreflightError,
    Row,
    call,
    paginate,
)
from infra.preflight.models import access_fix, check_models
from infra.preflight.report import render, verdict
from infra.preflight.runner import CHECKS, run_checks

__all__ = [
    "BOOTSTRAP_STACK",
    "BOOTSTRAP_VERSION_PARAMETER",
    "CDK_JSON",
    "CDK_OUT",
    "CHECKS",
    "CLI_BOOTSTRAP_VERSION",
    "DEFAULT_PROFILE",
    "FAIL",
    "LAMBDA_NEW_ACCOUNT_QUOTA",
    "LAMBDA_UNRESERVED_MINIMUM",
    "NO_CREDENTIALS",
    "OK",
    "REQUIRED_BOOTSTRAP_VERSION",
    "RESERVED_CONCURRENCY_PROD",
    "SERVERLESS_CONCURRENCY_QUOTA",
    "WARN",
    "AccessDeniedError",
    "ClientFactory",
    "Context",
    "PreflightError",
    "QuotaNeed",
    "Row",
    "access_fix",
    "call",
    "check_bootstrap",
    "check_identity",
    "check_lambda",
    "check_models",
    "check_regions",
    "check_sagemaker_quotas",
    "context_overrides",
    "load_context",
    "main",
    "paginate",
    "render",
    "required_bootstrap_version",
    "run_checks",
    "sagemaker_needs",
    "verdict",
]
