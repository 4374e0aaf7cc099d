"""This project's resources that the assistant's tools may act on, as the stacks name them in the
function's environment: the only names the actions use, whatever the model asks for.
"""

from __future__ import annotations

from dataclasses import dataclass


class MisconfiguredError(RuntimeError):
    """The function's environment contradicts itself; the message says how to fix it."""


@dataclass(frozen=True)
class Deployment:
    """This project's resources, as the stacks name them (the function's environment)."""

    endpoint_names: tuple[str, ...]
    realtime_endpoint: str | None
    batch_state_machine_arn: str | None
    batch_input_prefix: str | None
    knowledge_base_id: str | None
    data_source_id: str | None
    # The real-time endpoint hosts an inference component: invocations must name it.
    realtime_component: str | None = None
    # The guardrail that knowledge-base passages go through before they reach the model.
    guardrail_id: str | None = None
    guardrail_version: str | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str]) -> Deployment:
        def optional(name: str) -> str | None:
            return environ.get(name) or None

        names = tuple(n for n in environ.get("ENDPOINT_NAMES", "").split(",") if n)
        return cls(
            endpoint_names=names,
            realtime_endpoint=optional("REALTIME_ENDPOINT_NAME"),
            batch_state_machine_arn=optional("BATCH_STATE_MACHINE_ARN"),
            batch_input_prefix=optional("BATCH_INPUT_PREFIX"),
            knowledge_base_id=optional("KNOWLEDGE_BASE_ID"),
            data_source_id=optional("DATA_SOURCE_ID"),
            realtime_component=optional("REALTIME_INFERENCE_COMPONENT_NAME"),
            guardrail_id=optional("GUARDRAIL_ID"),
            guardrail_version=optional("GUARDRAIL_VERSION"),
        )

    def passage_guardrail(self) -> tuple[str, str] | None:
        """(id, version) of the guardrail for knowledge-base passages, None if there is none.
        Half a guardrail is refused rather than taken for none: passages never go out unguarded
        by mistake."""
        if self.guardrail_id and self.guardrail_version:
            return self.guardrail_id, self.guardrail_version
        if self.guardrail_id or self.guardrail_version:
            raise MisconfiguredError(
                "GUARDRAIL_ID and GUARDRAIL_VERSION must be set together (or neither): "
                "knowledge-base passages are not returned unguarded"
            )
        return None
