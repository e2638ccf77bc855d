"""The configuration tree: every setting opsbot reads, in one model of nested sections.

Each section is the settings model of its area (Slack, LLM, the real backend) or, for the
engine itself, ``CoreConfig`` below. The reader (assistant/config/reading.py) fills it from
an optional opsbot.yaml and the environment; adding a setting is one ``setting(...)`` line
in its section.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from assistant.config.llm import LLMSettings
from assistant.config.slack import SlackSettings
from assistant.setting import setting
from tools.real.settings import KubernetesBackendConfig

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["json", "text", "auto"]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CoreConfig(Section):
    home: Path = setting(Path(".opsbot"), "OPSBOT_HOME",
                         "state: SQLite database, runbook index, audit key, spool")
    db: str | None = setting(None, "OPSBOT_DB", "postgresql://... to share state between "
                             "replicas (default: SQLite under OPSBOT_HOME)")
    runbooks: tuple[Path, ...] = setting(
        (), "OPSBOT_RUNBOOKS", "runbook folders beyond the shipped runbooks/",
        split=os.pathsep)
    policies: Path | None = setting(None, "OPSBOT_POLICIES",
                                    "policy folder (default: the shipped policies/)")
    redaction_config: Path | None = setting(
        None, "OPSBOT_REDACTION_CONFIG", "team redaction patterns and allow-list (YAML)")
    backend: Literal["sandbox", "kubernetes"] = setting(
        "sandbox", "OPSBOT_BACKEND", "sandbox, or kubernetes (Kubernetes + Prometheus + "
        "Alertmanager)")
    scenario: str | None = setting(None, "OPSBOT_SCENARIO",
                                   "sandbox scenario when --scenario is not given")
    verify_seconds: float = setting(300.0, "OPSBOT_VERIFY_SECONDS",
                                    "how long post-action verification may watch", ge=0)
    executor_heartbeat_seconds: float = setting(
        10.0, "OPSBOT_EXECUTOR_HEARTBEAT_SECONDS",
        "executor lease renewal; the lease lasts six of these", gt=0, allow_inf_nan=False)
    db_wait_seconds: float = setting(
        30.0, "OPSBOT_DB_WAIT_SECONDS", "wait for a database lock or connection before "
        "answering as an outage", gt=0, allow_inf_nan=False)
    health_probe_seconds: float = setting(
        5.0, "OPSBOT_HEALTH_PROBE_SECONDS", "how often the health endpoint re-checks",
        gt=0, allow_inf_nan=False)
    ops_host: str = setting("0.0.0.0", "OPSBOT_OPS_HOST",
                            "listen address of the ops port (/livez, /readyz, /metrics)")
    ops_port: int = setting(8081, "OPSBOT_OPS_PORT", "the ops port (0: any free port)",
                            ge=0, le=65535)
    drain_seconds: float = setting(
        30.0, "OPSBOT_DRAIN_SECONDS", "after SIGTERM/SIGINT, how long a server finishes the "
        "work it took before handing the rest back", gt=0, allow_inf_nan=False)
    start_seconds: float = setting(
        180.0, "OPSBOT_START_SECONDS", "how long a server's start-up may take before /livez "
        "fails (/readyz names the stage meanwhile)", gt=0, allow_inf_nan=False)
    trust_cli_identity: bool = setting(
        False, "OPSBOT_TRUST_CLI_IDENTITY", "accept `--as` approvals against a real "
        "environment or a shared database (only on a shell only approvers can use)")
    audit_key_file: Path | None = setting(
        None, "OPSBOT_AUDIT_KEY_FILE", "key sealing the audit log (default: one generated "
        "under OPSBOT_HOME)")


class LoggingConfig(Section):
    level: LogLevel = setting("WARNING", "OPSBOT_LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR "
                              "or CRITICAL")
    format: LogFormat = setting("auto", "OPSBOT_LOG_FORMAT", "json (one object a line), text, "
                                "or auto (text on a terminal, else json)")

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class OpsbotConfig(Section):
    core: CoreConfig = CoreConfig()
    logging: LoggingConfig = LoggingConfig()
    llm: LLMSettings = LLMSettings()
    slack: SlackSettings = SlackSettings()
    kubernetes: KubernetesBackendConfig = KubernetesBackendConfig()
