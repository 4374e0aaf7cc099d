"""Try every component of a deployed platform, then clean up: `make smoke`.

python -m infra.smoke --profile dev                              every step
python -m infra.smoke --only realtime,serverless                 some steps
python -m infra.smoke --timeout-minutes 40                       a longer bound on each wait

Each step is timed and ends PASS, FAIL or SKIP; a summary table closes the run, and the exit code
is 0 when no step failed. What the steps need comes from the stacks' CloudFormation outputs
(GenAiPlatform-<profile>-<Role>), in the profile's region (cdk.json), as `make ask` finds them:

  knowledge-base  put a small markdown document under DocumentsUri, wait until an ingestion job
                  that started after the upload is COMPLETE (the glue starts it by itself), then
                  Retrieve with its unique sentence and find the document among the results
  assistant       two questions through the harness's endpoint: one the knowledge base answers,
                  one that needs a tool (a toolUse block); SKIP when the Assistant stack is absent
  realtime        InvokeEndpoint on the inference component; at zero copies it says so and
                  retries every 30 s until a copy has started (scale-out from zero takes minutes)
  serverless      InvokeEndpoint on the serverless endpoint
  async           put a request into the async inbox, wait for its output (or failure) object
  batch           put a JSON Lines file under BatchInputUri, run the state machine, wait for it

Whatever a step created (the document, the async request and its output, the batch input and
output) is deleted in the end, every version of it, even when a step failed or the run was
interrupted; what could not be deleted is listed. Deleting the document is itself a change the
ingestion glue ingests.

Standard library and boto3 only, never the CDK (like infra/ask/, whose stream rendering the
assistant step reuses).

The package: deployment (the stacks' outputs, the clients), runner (steps in order, waits,
cleanup), steps/ (one module per kind of step, and `Smoke`, which has them all), predictions (the
sample digits and the checks on the answers), report (the summary table), cli (arguments and exit
code).
"""

from infra.smoke.cli import DEFAULT_TIMEOUT_MINUTES, MAX_TIMEOUT_MINUTES, main
from infra.smoke.deployment import (
    OPTIONAL_STACKS,
    STACK_OUTPUTS,
    STEP_STACK,
    STEPS,
    Deployment,
    boto3_clients,
    find_deployment,
    split_s3_uri,
    stack_name,
    stacks_for,
)
from infra.smoke.errors import SmokeError, StepFailedError, StepSkippedError, WaitTimedOutError
from infra.smoke.predictions import (
    SAMPLE_DIGIT,
    check_predictions,
    load_sample_digits,
    parse_json_answer,
    parse_json_lines_answer,
)
from infra.smoke.report import summary
from infra.smoke.runner import POLL_SECONDS, Cleanup, Clock, Runner, StepResult, duration
from infra.smoke.steps import (
    KNOWLEDGE_QUESTION,
    RETRIEVE_ATTEMPTS,
    TOOL_QUESTION,
    Smoke,
    batch_job_name,
    inference_id,
)

__all__ = [
    "DEFAULT_TIMEOUT_MINUTES",
    "KNOWLEDGE_QUESTION",
    "MAX_TIMEOUT_MINUTES",
    "OPTIONAL_STACKS",
    "POLL_SECONDS",
    "RETRIEVE_ATTEMPTS",
    "SAMPLE_DIGIT",
    "STACK_OUTPUTS",
    "STEPS",
    "STEP_STACK",
    "TOOL_QUESTION",
    "Cleanup",
    "Clock",
    "Deployment",
    "Runner",
    "Smoke",
    "SmokeError",
    "StepFailedError",
    "StepResult",
    "StepSkippedError",
    "WaitTimedOutError",
    "batch_job_name",
    "boto3_clients",
    "check_predictions",
    "duration",
    "find_deployment",
    "inference_id",
    "load_sample_digits",
    "main",
    "parse_json_answer",
    "parse_json_lines_answer",
    "split_s3_uri",
    "stack_name",
    "stacks_for",
    "summary",
]
