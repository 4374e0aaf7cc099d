"""The app's one configuration object: typed sections, validated once in app.py, passed down.

Where values come from, last one wins:
  1. the named profile in cdk.json (`context.profiles.<name>`), chosen by the `profile` setting
     (default `dev`);
  2. per-setting overrides given on the command line, `cdk synth -c az_count=3`. The CLI hands
     those over as strings, so every rule parses "3" and 3, "true" and true alike.

Settings have flat names (`guardrail_prompt_attack_strength`; infra/config/aliases.py maps each to
its section: `config.guardrail.prompt_attack_strength`). A profile, or -c with JSON text, may also
give a section as an object: `"network": {"az_count": 3}`.

A bad value never reaches CloudFormation: `load_config` collects every problem and raises one
`ConfigError` that names each setting, the value given, where it came from and what is allowed.
Nothing below this package reads context or the environment.
"""

from infra.config.aliases import ALIASES, SETTINGS
from infra.config.app_config import AppConfig
from infra.config.assistant import AssistantSection
from infra.config.deployment import (
    DEFAULT_PROFILE,
    PRODUCTION_MIN_LOG_RETENTION_DAYS,
    PRODUCTION_PROFILE,
    AuditSection,
    DeploymentSection,
    NetworkSection,
)
from infra.config.guardrail import GuardrailSection
from infra.config.knowledge_base import (
    Chunking,
    FixedSizeChunking,
    HierarchicalChunking,
    KnowledgeBaseSection,
    NoChunking,
    SemanticChunking,
)
from infra.config.loading import load_config
from infra.config.problems import ConfigError, Problem
from infra.config.rules import TODAY
from infra.config.serving import BATCH_INPUT_ROOT, BATCH_OUTPUT_ROOT, OfflineInferenceSection, ServingSection

__all__ = [
    "ALIASES",
    "BATCH_INPUT_ROOT",
    "BATCH_OUTPUT_ROOT",
    "DEFAULT_PROFILE",
    "PRODUCTION_MIN_LOG_RETENTION_DAYS",
    "PRODUCTION_PROFILE",
    "SETTINGS",
    "TODAY",
    "AppConfig",
    "AssistantSection",
    "AuditSection",
    "Chunking",
    "ConfigError",
    "DeploymentSection",
    "FixedSizeChunking",
    "GuardrailSection",
    "HierarchicalChunking",
    "KnowledgeBaseSection",
    "NetworkSection",
    "NoChunking",
    "OfflineInferenceSection",
    "Problem",
    "SemanticChunking",
    "ServingSection",
    "load_config",
]
