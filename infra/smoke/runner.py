"""What every step stands on: running the steps in order, each isolated, the bounded waits, and
the cleanup that runs whatever happens."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from infra.ask.errors import code_and_message, one_line
from infra.smoke.deployment import STEP_STACK, Deployment
from infra.smoke.errors import (
    ACCESS_DENIED,
    SmokeError,
    StepFailedError,
    StepSkippedError,
    WaitTimedOutError,
)

POLL_SECONDS = 15
DETAIL_CHARS = 400


@dataclass(frozen=True)
class Clock:
    """Time as the run sees it: injected in tests, so that every wait is instant."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class StepResult:
    step: str
    result: str  # PASS, FAIL or SKIP
    seconds: float
    detail: str


@dataclass
class Cleanup:
    what: str
    action: Callable[[], str]


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class _ProgressLine:
    """One line that rewrites itself ("\\r") while a wait goes on, ended by a newline."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.width = 0

    def show(self, text: str) -> None:
        self.out.write("\r" + text.ljust(self.width))
        self.out.flush()
        self.width = len(text)

    def end(self) -> None:
        if self.width:
            self.out.write("\n")
            self.out.flush()
            self.width = 0


class Runner:
    """One run's machinery: the steps (`step_<name>` methods, in the step mixins of
    infra/smoke/steps/) in order, the bounded waits, and what to delete afterwards."""

    def __init__(
        self,
        deployment: Deployment,
        clients: Callable[[str], Any],
        *,
        out: TextIO,
        clock: Clock,
        timeout_seconds: float,
        token: str,
        digits: dict[int, list[int]],
    ) -> None:
        self.deployment = deployment
        self.client = clients
        self.out = out
        self.clock = clock
        self.timeout = timeout_seconds
        self.token = token
        self.digits = digits
        self.cleanups: list[Cleanup] = []

    # --- running ---------------------------------------------------------------------------

    def run(self, steps: Sequence[str]) -> tuple[list[StepResult], list[str]]:
        """Every step's result, and what could not be cleaned up. Cleanup runs whatever happens,
        a KeyboardInterrupt included (which then propagates)."""
        results: list[StepResult] = []
        try:
            for number, step in enumerate(steps, start=1):
                self.say(f"[{number}/{len(steps)}] {step}")
                results.append(self.run_step(step))
        finally:
            problems = self.clean_up()
        return results, problems

    def run_step(self, step: str) -> StepResult:
        started = self.clock.monotonic()
        method = getattr(self, "step_" + step.replace("-", "_"))
        try:
            detail, result = method(), "PASS"
        except StepSkippedError as skipped:
            detail, result = str(skipped), "SKIP"
        except StepFailedError as failed:
            detail, result = (f"{failed}; look at {self.where(step)}" if failed.look else str(failed)), "FAIL"
        except ClientError as error:
            code, message = code_and_message(error)
            if code in ACCESS_DENIED:
                detail = f"access denied calling {error.operation_name}: {one_line(message, 300)}"
            else:
                detail = (
                    f"{code} from {error.operation_name}: {one_line(message, 300)}; "
                    f"look at {self.where(step)}"
                )
            result = "FAIL"
        except (BotoCoreError, SmokeError) as error:
            detail, result = one_line(str(error), DETAIL_CHARS), "FAIL"
        except Exception as error:  # a bug or an answer of a shape never seen: the other steps still run
            detail = (
                f"unexpected {type(error).__name__}: {one_line(str(error), 300)}; look at {self.where(step)}"
            )
            result = "FAIL"
        seconds = self.clock.monotonic() - started
        self.say(f"  {result} ({seconds:.1f} s): {detail}")
        return StepResult(step, result, seconds, detail)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def wait(
        self,
        label: str,
        interval: float,
        probe: Callable[[], tuple[Any, str]],
        *,
        first_after: float = 0,
    ) -> Any:
        """Call `probe` until it returns a result (not None), every `interval` seconds, within the
        timeout, showing the time waited and the probe's state on one line. WaitTimedOutError with the
        last state when the time runs out."""
        started = self.clock.monotonic()
        deadline = started + self.timeout
        line = _ProgressLine(self.out)
        try:
            if first_after:
                self.clock.sleep(first_after)
            while True:
                result, state = probe()
                waited = duration(self.clock.monotonic() - started)
                line.show(
                    f"  {label}: {waited} of at most {duration(self.timeout)}"
                    + (f", {state}" if state else "")
                )
                if result is not None:
                    return result
                if self.clock.monotonic() + interval > deadline:
                    raise WaitTimedOutError(state or "no result")
                self.clock.sleep(interval)
        finally:
            line.end()

    def on_cleanup(self, what: str, action: Callable[[], str]) -> None:
        self.cleanups.append(Cleanup(what, action))

    def clean_up(self) -> list[str]:
        """Undo what the steps created, newest first; returns a line per thing left behind."""
        problems = []
        if self.cleanups:
            self.say("cleanup")
        while self.cleanups:
            cleanup = self.cleanups.pop()
            try:
                done = cleanup.action()
            except ClientError as error:
                code, message = code_and_message(error)
                problems.append(
                    f"{cleanup.what}: {code} from {error.operation_name}: {one_line(message, 200)}"
                )
                self.say(f"  could not clean up {problems[-1]}")
            except Exception as error:  # BotoCoreError, SmokeError, or a surprise: the rest still runs
                problems.append(f"{cleanup.what}: {one_line(str(error), 200)}")
                self.say(f"  could not clean up {problems[-1]}")
            else:
                self.say(f"  {cleanup.what}: {done}")
        return problems

    def delete_versions(self, bucket: str, prefix: str, *, exact: bool = False) -> str:
        """Delete every version (and delete marker) of a key, or of all keys under a prefix: the
        buckets are versioned, and a plain delete would keep the data as a noncurrent version."""
        s3 = self.client("s3")
        doomed: list[dict[str, str]] = []
        request: dict[str, str] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            page = s3.list_object_versions(**request)
            for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if not exact or version["Key"] == prefix:
                    doomed.append({"Key": version["Key"], "VersionId": version["VersionId"]})
            if not page.get("IsTruncated"):
                break
            request |= {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
        for start in range(0, len(doomed), 1000):  # DeleteObjects takes at most 1,000 keys
            response = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True}
            )
            if response.get("Errors"):
                first = response["Errors"][0]
                raise SmokeError(
                    f"{len(response['Errors'])} version(s) not deleted, e.g. {first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message', '')}".strip()
                )
        return f"deleted {len(doomed)} version(s)" if doomed else "nothing there"

    def where(self, step: str) -> str:
        """Where to look when `step` fails."""
        d = self.deployment
        outputs = d.stacks.get(STEP_STACK[step]) or {}
        stack = d.stack_name(STEP_STACK[step])
        dashboard = f"; the dashboard {d.dashboard_url}" if d.dashboard_url else ""
        if step == "knowledge-base":
            return (
                f"the {stack} stack's Ingestion function log group (and its dead-letter queue), and "
                f"the sync history of knowledge base {outputs.get('KnowledgeBaseId', '?')} in the "
                f"Bedrock console{dashboard}"
            )
        if step == "assistant":
            return (
                f"the {stack} stack's OperationsTools function log group and the harness's logs "
                f"(AgentCore console, observability){dashboard}"
            )
        if step == "realtime":
            return (
                f"/aws/sagemaker/InferenceComponents/{outputs.get('RealtimeInferenceComponentName', '?')} "
                f"and /aws/sagemaker/Endpoints/{outputs.get('RealtimeEndpointName', '?')}{dashboard}"
            )
        if step == "serverless":
            return f"/aws/sagemaker/Endpoints/{outputs.get('ServerlessEndpointName', '?')}{dashboard}"
        if step == "async":
            return (
                f"the {stack} stack's AsyncInvoke function log group (and its dead-letter queue), "
                f"/aws/sagemaker/Endpoints/{outputs.get('AsyncEndpointName', '?')}{dashboard}"
            )
        return (
            f"the execution in the Step Functions console, the {stack} stack's PrepareRunFunction log "
            f"group and /aws/sagemaker/TransformJobs{dashboard}"
        )
