"""The guardrail section: structured settings, each rule with its message, and the fingerprint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import load_config
from tests.conftest import cdk_context
from tests.infra.config.support import assert_one_problem_mentioning


def test_guardrail_defaults_are_strict() -> None:
    guardrail = load_config(cdk_context()).guardrail
    assert {kind: (s.input, s.output) for kind, s in guardrail.content_filters} == {
        kind: ("HIGH", "HIGH") for kind in ("hate", "insults", "sexual", "violence", "misconduct")
    }
    assert guardrail.prompt_attack_strength == "HIGH"
    assert guardrail.pii_entities["AWS_SECRET_KEY"] == "BLOCK"
    assert len(guardrail.denied_topics) == 1


def test_structured_guardrail_settings_arrive_as_json_with_dash_c() -> None:
    guardrail = load_config(
        cdk_context(
            guardrail_content_filters='{"violence": {"input": "MEDIUM", "output": "LOW"}}',
            guardrail_pii_entities='{"EMAIL": "BLOCK"}',
            guardrail_denied_topics=json.dumps(
                [{"name": "Legal advice", "definition": "Questions about law."}]
            ),
            guardrail_grounding_threshold="0.5",
        )
    ).guardrail
    violence = guardrail.content_filters.violence
    assert (violence.input, violence.output) == ("MEDIUM", "LOW")
    assert guardrail.content_filters.hate.input == "HIGH"  # filters left out keep their default
    assert guardrail.pii_entities == {"EMAIL": "BLOCK"}
    assert [t.name for t in guardrail.denied_topics] == ["Legal advice"]
    assert guardrail.grounding_threshold == 0.5


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"guardrail_content_filters": '{"violence": {"input": "EXTREME"}}'},
            [
                "guardrail_content_filters.violence.input = 'EXTREME' (from -c)",
                "'NONE', 'LOW', 'MEDIUM' or 'HIGH'",
            ],
        ),
        (
            {"guardrail_content_filters": '{"gore": {"input": "HIGH"}}'},
            [
                "guardrail_content_filters.gore",
                "unknown key; allowed: hate, insults, sexual, violence, misconduct",
            ],
        ),
        (
            {"guardrail_content_filters": '{"hate": {"inptu": "LOW"}}'},
            [
                "guardrail_content_filters.hate.inptu",
                "unknown key (did you mean input?); allowed: input, output",
            ],
        ),
        (
            {"guardrail_content_filters": "{oops"},
            ["guardrail_content_filters = '{oops' (from -c)", "is not valid JSON"],
        ),
        ({"guardrail_prompt_attack_strength": "MAX"}, ["guardrail_prompt_attack_strength = 'MAX'", "'HIGH'"]),
        (
            {"guardrail_pii_entities": '{"SSN": "BLOCK"}'},
            ["guardrail_pii_entities key = 'SSN' (from -c)", "'US_SOCIAL_SECURITY_NUMBER'"],
        ),
        (
            {"guardrail_pii_entities": '{"EMAIL": "HIDE"}'},
            ["guardrail_pii_entities.EMAIL = 'HIDE'", "'BLOCK' or 'ANONYMIZE'"],
        ),
        ({"guardrail_pii_entities": "{}"}, ["guardrail_pii_entities = {}", "at least 1 item"]),
        (
            {"guardrail_denied_topics": '[{"name": "x", "definition": ""}]'},
            ["guardrail_denied_topics[0].definition = '' (from -c)", "at least 1 character"],
        ),
        (
            {"guardrail_denied_topics": json.dumps([{"name": "a" * 101, "definition": "d"}])},
            ["guardrail_denied_topics[0].name", "at most 100 characters"],
        ),
        (
            {"guardrail_denied_topics": json.dumps([{"name": "Rates: 5%", "definition": "d"}])},
            ["guardrail_denied_topics[0].name = 'Rates: 5%'", "should match pattern"],
        ),
        (
            {
                "guardrail_denied_topics": json.dumps(
                    [{"name": "n", "definition": "d", "examples": ["e"] * 6}]
                )
            },
            ["guardrail_denied_topics[0].examples", "at most 5 items"],
        ),
        (
            {
                "guardrail_denied_topics": json.dumps(
                    [{"name": f"t{n}", "definition": "d"} for n in range(31)]
                )
            },
            ["guardrail_denied_topics", "at most 30 items"],
        ),
        (
            {"guardrail_grounding_threshold": "1"},
            ["guardrail_grounding_threshold = '1' (from -c)", "less than 1"],
        ),
        (
            {"guardrail_relevance_threshold": -0.1},
            ["guardrail_relevance_threshold = -0.1", "greater than or equal to 0"],
        ),
    ],
)
def test_each_guardrail_rule_names_the_setting_the_value_and_what_is_allowed(
    overrides: dict[str, Any], expected: list[str]
) -> None:
    assert_one_problem_mentioning(overrides, expected)


def test_the_fingerprint_changes_with_the_guardrail_settings_and_only_with_them() -> None:
    def fingerprint(**overrides: Any) -> str:
        return load_config(cdk_context(**overrides)).guardrail.fingerprint()

    base = fingerprint()
    assert fingerprint(az_count=3, assistant_max_tokens=1024) == base
    assert fingerprint(guardrail_grounding_threshold="0.8") != base
    assert fingerprint(guardrail_content_filters='{"hate": {"input": "LOW"}}') != base
    assert load_config(cdk_context()).guardrail.fingerprint(messages=["other"]) != base
    # The digest of the section's own dump: a new setting is in it without a list to keep.
    assert (
        load_config(cdk_context()).assistant.fingerprint()
        != load_config(cdk_context(assistant_max_tokens=1024)).assistant.fingerprint()
    )
