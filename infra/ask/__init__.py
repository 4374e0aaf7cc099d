"""Ask the deployed operations assistant a question and stream its answer: `make ask Q="..."`.

python -m infra.ask "Which endpoints are in service?"                 a new session (printed)
python -m infra.ask "And the batch runs?" --session <id>              continue that session
python -m infra.ask "..." --profile prod                              another deployment profile

The deployment profile picks the region (cdk.json) and the stack, GenAiPlatform-<profile>-Assistant,
whose outputs name the harness and its `live` endpoint. AWS credentials come from the usual chain
(AWS_PROFILE, environment, SSO); reading the outputs needs cloudformation:DescribeStacks on the
stack, asking needs the managed policy of its InvokePolicyArn output.

Standard library and boto3 only, never the CDK: a question should not wait for jsii to start.

The package: deployment (the region, the stack's outputs, InvokeHarness), stream (printing the
answer's events), errors (one-line messages), cli (arguments and exit code). infra/smoke reuses
the first three.
"""

from infra.ask.cli import SESSION_ID, main
from infra.ask.deployment import (
    CDK_JSON,
    DEFAULT_PROFILE,
    READ_TIMEOUT_SECONDS,
    Assistant,
    assistant_enabled,
    assistant_stack_name,
    find_assistant,
    invoke,
    load_region,
    new_session_id,
)
from infra.ask.errors import AskError, code_and_message, no_credentials_hint, one_line
from infra.ask.stream import render

__all__ = [
    "CDK_JSON",
    "DEFAULT_PROFILE",
    "READ_TIMEOUT_SECONDS",
    "SESSION_ID",
    "AskError",
    "Assistant",
    "assistant_enabled",
    "assistant_stack_name",
    "code_and_message",
    "find_assistant",
    "invoke",
    "load_region",
    "main",
    "new_session_id",
    "no_credentials_hint",
    "one_line",
    "render",
]
