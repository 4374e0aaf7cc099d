"""The stubbed AWS account the preflight tests run against, and how to read the table it prints."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber

from infra import preflight
from tests.support.aws_cli import described_stack

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"  # cdk.json, profiles dev and prod
ACCOUNT = "123456789012"
EMBEDDING = "amazon.titan-embed-text-v2:0"
ASSISTANT = "anthropic.claude-haiku-5-5"
PROFILE_ID = f"us.{ASSISTANT}"
SERVICES = ("sts", "cloudformation", "ssm", "bedrock", "service-quotas", "lambda")
ENDPOINT_QUOTA = "ml.inf2.xlarge for endpoint usage"
TRANSFORM_QUOTA = "ml.inf2.xlarge for transform job usage"
SERVERLESS_QUOTA = "Maximum total concurrency that can be allocated across all serverless endpoints"
ROWS_DEV = (
    "Account and region",
    "CDK bootstrap",
    "Bedrock embedding model",
    "Bedrock assistant model",
    "Bedrock inference profile",
    "SageMaker ml.inf2.xlarge endpoints",
    "SageMaker ml.inf2.xlarge batch",
    "SageMaker serverless concurrency",
    "Lambda concurrency",
    "Region: S3 Vectors",
    "Region: AgentCore",
)
WIDE = 400  # no cell wraps: assertions can look for whole phrases


def quota(name: str, value: float, code: str = "L-00000000") -> dict:
    return {"ServiceCode": "sagemaker", "QuotaCode": code, "QuotaName": name, "Value": value}


class Aws:
    """One stubbed client per service, the answers of a healthy, bootstrapped account with model
    access and quotas by default, and how to run the CLI against them."""

    def __init__(self) -> None:
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.clients = {s: boto3.client(s, region_name=REGION, **credentials) for s in SERVICES}
        self.stubs = {s: Stubber(c) for s, c in self.clients.items()}

    def factory(self, service: str, region: str) -> Any:
        assert region == REGION
        return self.clients[service]

    def run(self, *argv: str, cdk_out: Path | None = None, width: int = WIDE) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        for stub in self.stubs.values():
            stub.activate()
        try:
            code = preflight.main(
                list(argv),
                clients=self.factory,
                out=out,
                err=err,
                width=width,
                cdk_out=cdk_out or ROOT / "no-cdk-out-here",
            )
            for stub in self.stubs.values():
                stub.assert_no_pending_responses()
        finally:
            for stub in self.stubs.values():
                stub.deactivate()
        return code, out.getvalue(), err.getvalue()

    def error(self, service: str, operation: str, code: str, message: str = "", status: int = 400) -> None:
        self.stubs[service].add_client_error(
            operation, service_error_code=code, service_message=message or code, http_status_code=status
        )

    # --- the answers, in the order the checks ask -------------------------------------------

    def identity(self, account: str = ACCOUNT) -> None:
        self.stubs["sts"].add_response(
            "get_caller_identity",
            {"UserId": "AIDAEXAMPLE", "Account": account, "Arn": f"arn:aws:iam::{account}:user/deployer"},
            {},
        )

    def bootstrap_stack(self, status: str = "UPDATE_COMPLETE") -> None:
        self.stubs["cloudformation"].add_response(
            "describe_stacks", described_stack("CDKToolkit", status), {"StackName": "CDKToolkit"}
        )

    def bootstrap_version(self, version: str = "33") -> None:
        self.stubs["ssm"].add_response(
            "get_parameter",
            {"Parameter": {"Name": "/cdk-bootstrap/hnb659fds/version", "Type": "String", "Value": version}},
            {"Name": "/cdk-bootstrap/hnb659fds/version"},
        )

    def model(self, model_id: str, name: str, lifecycle: dict | None = None) -> None:
        self.stubs["bedrock"].add_response(
            "get_foundation_model",
            {
                "modelDetails": {
                    "modelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}",
                    "modelId": model_id,
                    "modelName": name,
                    "modelLifecycle": lifecycle or {"status": "ACTIVE"},
                }
            },
            {"modelIdentifier": model_id},
        )

    def availability(self, model_id: str, **overrides: Any) -> None:
        answer = {
            "modelId": model_id,
            "agreementAvailability": {"status": "AVAILABLE"},
            "authorizationStatus": "AUTHORIZED",
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
            **overrides,
        }
        self.stubs["bedrock"].add_response("get_foundation_model_availability", answer, {"modelId": model_id})

    def inference_profile(self) -> None:
        self.stubs["bedrock"].add_response(
            "get_inference_profile",
            {
                "inferenceProfileName": "US Anthropic Claude Haiku 5.5",
                "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{PROFILE_ID}",
                "models": [
                    {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{ASSISTANT}"}
                    for region in ("us-east-1", "us-east-2", "us-west-2")
                ],
                "inferenceProfileId": PROFILE_ID,
                "status": "ACTIVE",
                "type": "SYSTEM_DEFINED",
            },
            {"inferenceProfileIdentifier": PROFILE_ID},
        )

    def quotas(self, endpoint: float = 2, transform: float = 1, serverless: float = 10) -> None:
        """Two pages, as ListServiceQuotas returns them: the check must follow NextToken."""
        stub = self.stubs["service-quotas"]
        stub.add_response(
            "list_service_quotas",
            {
                "Quotas": [quota("ml.g5.xlarge for endpoint usage", 0), quota(ENDPOINT_QUOTA, endpoint)],
                "NextToken": "page-2",
            },
            {"ServiceCode": "sagemaker"},
        )
        stub.add_response(
            "list_service_quotas",
            {"Quotas": [quota(TRANSFORM_QUOTA, transform), quota(SERVERLESS_QUOTA, serverless)]},
            {"ServiceCode": "sagemaker", "NextToken": "page-2"},
        )

    def lambda_limits(self, quota: int = 1000, unreserved: int | None = None) -> None:
        self.stubs["lambda"].add_response(
            "get_account_settings",
            {
                "AccountLimit": {
                    "ConcurrentExecutions": quota,
                    "UnreservedConcurrentExecutions": quota if unreserved is None else unreserved,
                }
            },
            {},
        )

    def healthy(self, *, skip: tuple[str, ...] = ()) -> None:
        """Every answer of a ready account, except the steps in `skip` (a test adds its own)."""
        steps = {
            "identity": self.identity,
            "bootstrap_stack": self.bootstrap_stack,
            "bootstrap_version": self.bootstrap_version,
            "embedding": lambda: (
                self.model(EMBEDDING, "Titan Text Embeddings V2"),
                self.availability(EMBEDDING),
            ),
            "assistant": lambda: (self.model(ASSISTANT, "Claude Haiku 5.5"), self.availability(ASSISTANT)),
            "inference_profile": self.inference_profile,
            "quotas": self.quotas,
            "lambda": self.lambda_limits,
        }
        for name, step in steps.items():
            if name not in skip:
                step()


def row(out: str, check: str) -> str:
    """The table line of one check (WIDE: one line per row)."""
    lines = [line for line in out.splitlines() if line.startswith(check + " ")]
    assert len(lines) == 1, f"no single row {check!r} in:\n{out}"
    return lines[0]


def status(out: str, check: str) -> str:
    return row(out, check)[len(check) :].split()[0]
