"""A stubbed client per service, the factory smoke.main takes, and the calls each step makes."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from infra import smoke
from tests.infra.smoke.data import (
    ASYNC_ID,
    ASYNC_KEY,
    BATCH_PREFIX,
    BATCH_STARTED,
    DIGIT_BODY,
    DIGITS,
    DOC_KEY,
    DOCS,
    DS_ID,
    EXECUTION_ARN,
    EXECUTION_NAME,
    HARNESS_ARN,
    INFERENCE,
    JOB_NAME,
    KB_ID,
    OUTPUTS,
    REGION,
    ROLES_IN_ORDER,
    SENTENCE,
    STATE_MACHINE,
    TOKEN,
    UPLOADED,
    FakeClock,
    answer,
    body,
    prediction,
    text,
    tool_call,
)
from tests.support.aws_cli import described_stack


class Aws:
    """A stubbed client per service, the factory smoke.main takes, and the expected calls."""

    SERVICES = (
        "cloudformation",
        "s3",
        "bedrock-agent",
        "bedrock-agent-runtime",
        "bedrock-agentcore",
        "sagemaker-runtime",
        "stepfunctions",
    )

    def __init__(self) -> None:
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.clients = {name: boto3.client(name, region_name=REGION, **credentials) for name in self.SERVICES}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        self.streams: list[list[dict]] = []
        self.clients["bedrock-agentcore"].meta.events.register(
            "after-call.bedrock-agentcore.InvokeHarness", self._serve
        )
        self.clock = FakeClock()

    def _serve(self, parsed: dict, **_: object) -> None:
        if "Error" not in parsed:  # the hook runs after a stubbed error too
            parsed["stream"] = iter(self.streams.pop(0))

    def __getattr__(self, service: str) -> Stubber:  # aws.s3, aws.stepfunctions, ...
        return self.__dict__["stubs"][service.replace("_", "-")]

    def run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        for stub in self.stubs.values():
            stub.activate()
        try:
            code = smoke.main(
                ["--profile", "dev", *argv],
                clients=self.clients.__getitem__,
                clock=self.clock.clock(),
                out=out,
                err=err,
                token=TOKEN,
            )
            for name, stub in self.stubs.items():
                assert not stub._queue, (
                    f"{name}: expected calls not made: {[c['operation_name'] for c in stub._queue]}"
                )
        finally:
            for stub in self.stubs.values():
                stub.deactivate()
        return code, out.getvalue(), err.getvalue()

    # --- CloudFormation ------------------------------------------------------------------------

    def stack(
        self,
        role: str,
        outputs: dict[str, str] | None = None,
        status: str = "CREATE_COMPLETE",
        profile: str = "dev",
    ) -> None:
        name = f"GenAiPlatform-{profile}-{role}"
        outputs = OUTPUTS[role] if outputs is None else outputs
        self.cloudformation.add_response(
            "describe_stacks", described_stack(name, status, outputs), {"StackName": name}
        )

    def no_stack(self, role: str, profile: str = "dev") -> None:
        name = f"GenAiPlatform-{profile}-{role}"
        self.cloudformation.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message=f"Stack with id {name} does not exist",
            http_status_code=400,
            expected_params={"StackName": name},
        )

    def stacks(self, *roles: str) -> None:
        for role in roles:
            self.stack(role)

    # --- S3 ----------------------------------------------------------------------------------

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self.s3.add_response(
            "put_object",
            {"ETag": '"e"', "VersionId": "v1"},
            {"Bucket": bucket, "Key": key, "Body": data, "ContentType": content_type},
        )

    def listed(self, bucket: str, prefix: str, *keys: str) -> None:
        contents = [{"Key": key, "Size": 10, "LastModified": UPLOADED} for key in keys]
        self.s3.add_response(
            "list_objects_v2",
            {"Contents": contents, "KeyCount": len(keys)} if keys else {"KeyCount": 0},
            {"Bucket": bucket, "Prefix": prefix},
        )

    def got(self, bucket: str, key: str, data: bytes) -> None:
        self.s3.add_response("get_object", {"Body": body(data)}, {"Bucket": bucket, "Key": key})

    def deleted(self, bucket: str, prefix: str, *keys: str) -> None:
        versions = [{"Key": key, "VersionId": f"v{n}", "IsLatest": True} for n, key in enumerate(keys)]
        self.s3.add_response(
            "list_object_versions",
            {"Versions": versions, "IsTruncated": False},
            {"Bucket": bucket, "Prefix": prefix},
        )
        if keys:
            self.s3.add_response(
                "delete_objects",
                {"Deleted": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]},
                {
                    "Bucket": bucket,
                    "Delete": {
                        "Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions],
                        "Quiet": True,
                    },
                },
            )

    # --- the steps' calls, passing -------------------------------------------------------------

    def knowledge_base_uploads(self) -> None:
        document = f"# Smoke test {TOKEN}\n\n{SENTENCE}\n".encode()
        self.put(DOCS, DOC_KEY, document, "text/markdown")
        self.s3.add_response("head_object", {"LastModified": UPLOADED}, {"Bucket": DOCS, "Key": DOC_KEY})

    def jobs(self, *jobs: tuple[str, str, datetime]) -> None:
        summaries = [
            {
                "knowledgeBaseId": KB_ID,
                "dataSourceId": DS_ID,
                "ingestionJobId": job_id,
                "status": status,
                "startedAt": started,
                "updatedAt": started,
                "statistics": {"numberOfNewDocumentsIndexed": 1},
            }
            for job_id, status, started in jobs
        ]
        self.bedrock_agent.add_response(
            "list_ingestion_jobs",
            {"ingestionJobSummaries": summaries},
            {
                "knowledgeBaseId": KB_ID,
                "dataSourceId": DS_ID,
                "sortBy": {"attribute": "STARTED_AT", "order": "DESCENDING"},
                "maxResults": 25,
            },
        )

    def retrieved(self, *uris: str) -> None:
        results = [
            {"content": {"text": "..."}, "location": {"type": "S3", "s3Location": {"uri": uri}}, "score": 0.9}
            for uri in uris
        ]
        self.bedrock_agent_runtime.add_response(
            "retrieve",
            {"retrievalResults": results},
            {
                "knowledgeBaseId": KB_ID,
                "retrievalQuery": {"text": SENTENCE},
                "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": 10}},
            },
        )

    def knowledge_base_passes(self) -> None:
        self.knowledge_base_uploads()
        earlier = UPLOADED - timedelta(hours=1)
        later = UPLOADED + timedelta(seconds=70)
        self.jobs(("OLD", "COMPLETE", earlier))
        self.jobs(("NEW", "IN_PROGRESS", later), ("OLD", "COMPLETE", earlier))
        self.jobs(("NEW", "COMPLETE", later), ("OLD", "COMPLETE", earlier))
        self.retrieved(f"s3://{DOCS}/documents/platform-overview.md", f"s3://{DOCS}/{DOC_KEY}")

    def asked(self, label: str, question: str, events: list[dict]) -> None:
        self.streams.append(events)
        self.bedrock_agentcore.add_response(
            "invoke_harness",
            {"stream": {}},
            {
                "harnessArn": HARNESS_ARN,
                "qualifier": "live",
                "runtimeSessionId": f"smoke-{TOKEN}-{label}",
                "messages": [{"role": "user", "content": [{"text": question}]}],
            },
        )

    def assistant_passes(self) -> None:
        self.asked(
            "kb",
            smoke.KNOWLEDGE_QUESTION,
            [
                *tool_call(0, "operations___search_knowledge_base"),
                text("An S3 event starts an ingestion job.", 1),
            ],
        )
        self.asked(
            "tool",
            smoke.TOOL_QUESTION,
            [text("Checking."), *tool_call(1, "operations___list_endpoints"), text("All InService.", 2)],
        )

    def invoked(self, endpoint: str, component: str | None = None, data: bytes | None = None) -> None:
        expected = {
            "EndpointName": endpoint,
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": DIGIT_BODY,
        }
        if component:
            expected["InferenceComponentName"] = component
        self.sagemaker_runtime.add_response(
            "invoke_endpoint", {"Body": body(data or answer(7)), "ContentType": "application/json"}, expected
        )

    def invoke_fails(
        self, code: str, message: str, endpoint: str, component: str | None = None, status: int = 400
    ) -> None:
        expected = {
            "EndpointName": endpoint,
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": DIGIT_BODY,
        }
        if component:
            expected["InferenceComponentName"] = component
        self.sagemaker_runtime.add_client_error(
            "invoke_endpoint",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
            expected_params=expected,
        )

    def realtime_passes(self) -> None:
        serving = OUTPUTS["ModelServing"]
        self.invoked(serving["RealtimeEndpointName"], serving["RealtimeInferenceComponentName"])

    def serverless_passes(self) -> None:
        self.invoked(OUTPUTS["ModelServing"]["ServerlessEndpointName"])

    def async_puts(self) -> None:
        self.put(INFERENCE, ASYNC_KEY, DIGIT_BODY.encode(), "application/json")

    def async_passes(self) -> None:
        self.async_puts()
        self.listed(INFERENCE, f"async/output/{ASYNC_ID}")
        self.listed(INFERENCE, f"async/failures/{ASYNC_ID}")
        self.listed(INFERENCE, f"async/output/{ASYNC_ID}", f"async/output/{ASYNC_ID}.out")
        self.got(INFERENCE, f"async/output/{ASYNC_ID}.out", answer(7))

    def batch_starts(self) -> None:
        lines = "".join(json.dumps(DIGITS[d]) + "\n" for d in range(10)).encode()
        self.put(INFERENCE, f"{BATCH_PREFIX}digits.jsonl", lines, "application/jsonlines")
        self.stepfunctions.add_response(
            "start_execution",
            {"executionArn": EXECUTION_ARN, "startDate": BATCH_STARTED},
            {
                "stateMachineArn": STATE_MACHINE,
                "name": EXECUTION_NAME,
                "input": json.dumps({"input_prefix": BATCH_PREFIX}),
            },
        )

    def execution(self, status: str, **extra: Any) -> None:
        self.stepfunctions.add_response(
            "describe_execution",
            {
                "executionArn": EXECUTION_ARN,
                "stateMachineArn": STATE_MACHINE,
                "status": status,
                "startDate": BATCH_STARTED,
                **extra,
            },
            {"executionArn": EXECUTION_ARN},
        )

    def batch_passes(self) -> None:
        self.batch_starts()
        self.execution("RUNNING")
        output_uri = f"s3://{INFERENCE}/batch/output/{JOB_NAME}/"
        run = {
            "job_name": JOB_NAME,
            "input_uri": f"s3://{INFERENCE}/{BATCH_PREFIX}",
            "output_uri": output_uri,
        }
        self.execution("SUCCEEDED", output=json.dumps({"input": {"input_prefix": BATCH_PREFIX}, "run": run}))
        out_key = f"batch/output/{JOB_NAME}/digits.jsonl.out"
        self.listed(INFERENCE, f"batch/output/{JOB_NAME}/", out_key)
        lines = "".join(json.dumps(prediction(d)) + "\n" for d in range(10))
        self.got(INFERENCE, out_key, lines.encode())

    # --- cleanup, newest first -----------------------------------------------------------------

    def batch_cleaned(self, status: str = "SUCCEEDED") -> None:
        self.execution(status)
        if status == "RUNNING":
            self.stepfunctions.add_response(
                "stop_execution",
                {"stopDate": BATCH_STARTED + timedelta(minutes=20)},
                {"executionArn": EXECUTION_ARN, "error": "SmokeTestCleanup", "cause": ANY},
            )
        self.deleted(INFERENCE, f"batch/output/{JOB_NAME}/", f"batch/output/{JOB_NAME}/digits.jsonl.out")
        self.deleted(INFERENCE, BATCH_PREFIX, f"{BATCH_PREFIX}digits.jsonl")

    def async_cleaned(self, output: bool = True) -> None:
        self.deleted(INFERENCE, f"async/failures/{ASYNC_ID}")
        self.deleted(
            INFERENCE, f"async/output/{ASYNC_ID}", *([f"async/output/{ASYNC_ID}.out"] if output else [])
        )
        self.deleted(INFERENCE, ASYNC_KEY, ASYNC_KEY)

    def document_cleaned(self) -> None:
        self.deleted(DOCS, DOC_KEY, DOC_KEY)


def all_pass(aws: Aws) -> None:
    aws.stacks(*ROLES_IN_ORDER)
    aws.knowledge_base_passes()
    aws.assistant_passes()
    aws.realtime_passes()
    aws.serverless_passes()
    aws.async_passes()
    aws.batch_passes()
    aws.batch_cleaned()
    aws.async_cleaned()
    aws.document_cleaned()
