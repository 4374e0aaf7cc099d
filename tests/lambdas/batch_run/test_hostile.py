"""Hostile input for the batch run's check: every refusal is an InvalidBatchInputError (the one
error the state machine catches), and none is made after S3 has been called."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from batch_run import handler
from batch_run.runs import MAX_URI_CHARACTERS, InvalidBatchInputError, job_name, prepare_run
from hypothesis import given
from hypothesis import strategies as st

from tests.lambdas.batch_run.test_runs import BUCKET, START, LambdaContext
from tests.lambdas.hostile import HOSTILE, JSON, NASTY_TEXT, mostly


class RecordingS3:
    """S3 with one object under every prefix, recording each listing it is asked for."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def list_objects_v2(self, **params: Any) -> dict:
        self.calls.append(params)
        return {"KeyCount": 1}


def prepare(execution_input: Any, s3: RecordingS3, **context: Any) -> dict[str, str]:
    context = {"execution_name": "run-42", "start_time": START, **context}
    return prepare_run(execution_input, bucket=BUCKET, s3=s3, **context)


# The longest prefix whose input URI, s3://<bucket>/<prefix>, CreateTransformJob still takes.
LONGEST = "batch/input/" + "p" * (MAX_URI_CHARACTERS - len(f"s3://{BUCKET}/batch/input/") - 1) + "/"

BAD_INPUTS = {
    "a .. segment": ({"input_prefix": "batch/input/../x/"}, "input_prefix = 'batch/input/../x/'"),
    "a . segment": ({"input_prefix": "batch/input/./a/"}, "no part of it may be . or .."),
    "a trailing .. segment": ({"input_prefix": "batch/input/a/../"}, "no part of it may be . or .."),
    "the input root's own .": ({"input_prefix": "batch/input/./"}, "no part of it may be . or .."),
    "one character too long": ({"input_prefix": LONGEST[:-1] + "p/"}, "may have at most 1024"),
    "far too long": ({"input_prefix": "batch/input/" + "a/" * 5000}, "may have at most 1024"),
    "a prefix that is a list": (
        {"input_prefix": ["batch/input/day-1/"]},
        "input_prefix = ['batch/input/day-1/']",
    ),
    "a prefix that is a number": ({"input_prefix": 1}, "input_prefix = 1"),
    "content_type is a list": (
        {"input_prefix": "batch/input/day-1/", "content_type": ["text/csv"]},
        "content_type = ['text/csv']",
    ),
    "content_type is an object": (
        {"input_prefix": "batch/input/day-1/", "content_type": {"text/csv": 1}},
        "content_type = {'text/csv': 1}",
    ),
    "content_type is null": (
        {"input_prefix": "batch/input/day-1/", "content_type": None},
        "content_type = None",
    ),
    "a field name that is not text": (
        {"input_prefix": "batch/input/day-1/", 3: "x"},
        "unknown input field(s) 3",
    ),
    "an input that is a list": ([{"input_prefix": "batch/input/day-1/"}], "must be a JSON object"),
}


@pytest.mark.parametrize(("execution_input", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_a_bad_input_is_refused_before_s3_is_called(execution_input: Any, message: str) -> None:
    s3 = RecordingS3()
    with pytest.raises(InvalidBatchInputError, match=re.escape(message)):
        prepare(execution_input, s3)
    assert s3.calls == []


def test_the_longest_prefix_the_transform_job_takes_is_accepted() -> None:
    s3 = RecordingS3()
    run = prepare({"input_prefix": LONGEST}, s3)
    assert len(run["input_uri"]) == MAX_URI_CHARACTERS
    assert s3.calls == [{"Bucket": BUCKET, "Prefix": LONGEST, "MaxKeys": 1}]


BAD_CONTEXT = {
    "execution_name is a number": ({"execution_name": 42}, "execution_name = 42"),
    "execution_name is empty": ({"execution_name": ""}, "execution_name = ''"),
    "execution_name is longer than Step Functions allows": (
        {"execution_name": "x" * 81},
        "1 to 80 characters",
    ),
    "execution_name is not UTF-8": ({"execution_name": "run-\udc80"}, "execution_name = 'run-\\udc80'"),
    "start_time is a number": ({"start_time": 1764018235}, "start_time = 1764018235"),
    "start_time is null": ({"start_time": None}, "start_time = None"),
    "start_time is no timestamp": ({"start_time": "yesterday"}, "start_time = 'yesterday'"),
}


@pytest.mark.parametrize(("context", "message"), BAD_CONTEXT.values(), ids=BAD_CONTEXT.keys())
def test_a_bad_execution_context_is_refused_before_s3_is_called(context: dict, message: str) -> None:
    s3 = RecordingS3()
    with pytest.raises(InvalidBatchInputError, match=re.escape(message)):
        prepare({"input_prefix": "batch/input/day-1/"}, s3, **context)
    assert s3.calls == []


def test_job_names_keep_their_format_for_any_iso_start_time() -> None:
    assert job_name("run-42", "2026-11-24T21:03:55.123Z") == job_name("run-42", "2026-11-24T21:03:55Z")
    assert job_name("run-42", "0001-01-01T00:00:00Z").startswith("digits-00010101T000000-")
    for start in ("2026-11-24T21:03:55.123Z", "2026-11-24", "9999-12-31T23:59:59.999999+14:00"):
        assert re.fullmatch(r"digits-\d{8}T\d{6}-[0-9a-f]{8}", job_name("run-42", start))


@pytest.mark.parametrize(
    "event",
    [
        {"input": {"input_prefix": "batch/input/day-1/"}, "execution_name": 42, "start_time": START},
        {"input": {"input_prefix": "batch/input/day-1/"}, "execution_name": "run-42", "start_time": ["now"]},
        {"input": {"input_prefix": "batch/input/./day-1/"}, "execution_name": "run-42", "start_time": START},
        {"input": "batch/input/day-1/", "execution_name": "run-42", "start_time": START},
        ["input", "execution_name", "start_time"],
        None,
    ],
)
def test_the_handler_answers_any_bad_event_with_the_error_the_state_machine_catches(
    event: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = RecordingS3()
    monkeypatch.setenv("INFERENCE_BUCKET", BUCKET)
    monkeypatch.setattr(handler, "clients", SimpleNamespace(s3=s3))
    with pytest.raises(InvalidBatchInputError):
        handler.lambda_handler(event, LambdaContext())
    assert s3.calls == []


# --- properties ------------------------------------------------------------------------------------

SEGMENTS = mostly(
    st.sampled_from(["day-1", "a", "!*'()", "a..b", "Day_2.x"]),
    st.sampled_from([".", "..", "", "x y", "é", "\udc80", "day-1\n", "a/b"]),
)
PREFIXES = mostly(
    st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: "batch/input/" + "/".join(parts) + "/"),
    st.one_of(
        st.integers(900, 1100).map(lambda n: "batch/input/" + "x" * n + "/"),
        st.lists(SEGMENTS, max_size=4).map("/".join),
        NASTY_TEXT,
        JSON,
    ),
)
INPUTS = mostly(
    st.fixed_dictionaries(
        {"input_prefix": PREFIXES},
        optional={"content_type": mostly(st.sampled_from(["application/jsonlines", "text/csv"]), JSON)},
    ),
    st.dictionaries(st.sampled_from(["input_prefix", "content_type", "instances", ""]), PREFIXES, max_size=3)
    | JSON,
)
NAMES = mostly(st.sampled_from(["run-42", "x" * 80, "run-é"]), NASTY_TEXT | JSON)
START_TIMES = mostly(st.sampled_from([START, "2026-11-24T21:03:55Z", "2026-11-24"]), NASTY_TEXT | JSON)


def run_or_error(
    execution_input: Any, s3: RecordingS3, **context: Any
) -> dict[str, str] | InvalidBatchInputError:
    """The run prepared, or the documented error; any other error fails the test."""
    try:
        return prepare(execution_input, s3, **context)
    except InvalidBatchInputError as error:
        return error


@HOSTILE
@given(execution_input=INPUTS, execution_name=NAMES, start_time=START_TIMES)
def test_any_input_is_a_run_or_a_refusal_and_a_refusal_never_calls_s3(
    execution_input: Any, execution_name: Any, start_time: Any
) -> None:
    s3 = RecordingS3()
    run = run_or_error(execution_input, s3, execution_name=execution_name, start_time=start_time)
    if isinstance(run, InvalidBatchInputError):
        assert s3.calls == []
        assert len(str(run)) < 400  # a message for a person, not the whole hostile input back
        return
    # Accepted: a plain prefix under the input root, that the transform job can take.
    [listing] = s3.calls
    prefix = listing["Prefix"]
    assert prefix.startswith("batch/input/")
    assert prefix.endswith("/")
    assert not {".", ".."} & set(prefix.split("/"))
    assert re.fullmatch(r"[A-Za-z0-9!_.*'()/-]+", prefix)
    assert run["input_uri"] == f"s3://{BUCKET}/{prefix}"
    assert len(run["input_uri"]) <= MAX_URI_CHARACTERS
    assert run["content_type"] in ("application/jsonlines", "text/csv")
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", run["job_name"])
