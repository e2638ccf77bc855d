"""The engine's settings, derived once from the configuration tree and passed in (never
read as globals)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.config.reading import load_config
from assistant.config.tree import LogFormat, OpsbotConfig
from assistant.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    home: Path  # state: database, Chroma index
    db_url: str  # sqlite path URL or postgresql:// URL
    runbook_dirs: tuple[Path, ...]
    policy_dir: Path
    scenario_dir: Path
    redaction_config: Path | None = None  # team patterns and allow-list (YAML)
    backend: str = "sandbox"  # sandbox | kubernetes (Kubernetes + Prometheus + Alertmanager)
    verify_seconds: float = 300.0  # how long post-action verification may watch
    # How often this process renews its executor lease and sweeps claims of executors whose
    # lease ran out (assistant/storage/executors.py says why the lease is six of these).
    executor_heartbeat_seconds: float = 10.0
    # How long a database operation waits for a SQLite lock or a PostgreSQL connection
    # before the request is answered as a database outage.
    db_wait_seconds: float = 30.0
    # How often a server re-checks what its health endpoint reports (assistant/readiness.py).
    health_probe_seconds: float = 5.0
    # The operations listener (/livez, /readyz, /metrics): its own port, so probes and
    # scrapes never queue behind chat traffic and the port need not be exposed to Slack.
    ops_host: str = "0.0.0.0"
    ops_port: int = 8081
    # How long a server finishes the work it took after SIGTERM/SIGINT before handing the
    # rest back and exiting; keep Kubernetes' terminationGracePeriodSeconds above it. A
    # shutdown ends verification waits and LLM loops at once; this covers one model request
    # in flight (its 30 s timeout). An idle server exits at once whatever it is.
    drain_seconds: float = 30.0
    # How long start-up (database, migrations, runbook index, Slack) may take before /livez
    # fails and Kubernetes restarts the pod; /readyz names the stage meanwhile. Embedding
    # the runbooks into an empty volume is the slow part.
    start_seconds: float = 180.0
    config: OpsbotConfig = OpsbotConfig()  # the whole tree, for the LLM and backend sections
    # `--as` in a shell is an unverified claim; against a real environment approvals come
    # from chat (Slack verifies who clicked) unless the operator trusts this shell.
    trust_cli_identity: bool = False
    # The key that seals the audit log, mounted from outside the database (a Kubernetes
    # Secret); None: a key generated once under home (assistant/storage/audit_key.py).
    audit_key_file: Path | None = None
    # Log lines: level name, and json | text | auto (text on a terminal, else JSON lines).
    log_level: str = "WARNING"
    log_format: LogFormat = "auto"

    def check_cli_approval(self) -> None:
        """`--as` names a user nobody verifies: fine for the sandbox in a local file, not
        for a real environment, nor for a shared database holding other people's proposals
        (a sandbox shell pointed at production's OPSBOT_DB would act on its claims)."""
        if self.trust_cli_identity:
            return
        if self.backend != "sandbox":
            raise InputError(
                "approvals against a real environment must come from chat, where the "
                "clicking user is verified; set OPSBOT_TRUST_CLI_IDENTITY=1 only on a shell "
                "that only the named approvers can use", field="--as")
        if not self.db_url.startswith("sqlite"):
            raise InputError(
                "OPSBOT_DB is a shared database, whose proposals may be other people's and of "
                "a real environment; approve them in chat, or set OPSBOT_TRUST_CLI_IDENTITY=1 "
                "only on a shell that only the named approvers can use", field="--as")

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def spool_dir(self) -> Path:
        """Execution results waiting for the database to record them (storage/spool.py)."""
        return self.home / "spool" / "results"

    @classmethod
    def from_config(cls, config: OpsbotConfig) -> Settings:
        core = config.core
        home = core.home.resolve()
        return cls(
            home=home,
            db_url=core.db or f"sqlite:///{home / 'opsbot.db'}",
            runbook_dirs=(REPO_ROOT / "runbooks", *core.runbooks),
            policy_dir=core.policies or REPO_ROOT / "policies",
            scenario_dir=REPO_ROOT / "evals" / "scenarios",
            redaction_config=core.redaction_config,
            backend=core.backend,
            verify_seconds=core.verify_seconds,
            executor_heartbeat_seconds=core.executor_heartbeat_seconds,
            db_wait_seconds=core.db_wait_seconds,
            health_probe_seconds=core.health_probe_seconds,
            ops_host=core.ops_host,
            ops_port=core.ops_port,
            drain_seconds=core.drain_seconds,
            start_seconds=core.start_seconds,
            log_level=config.logging.level,
            log_format=config.logging.format,
            config=config,
            trust_cli_identity=core.trust_cli_identity,
            audit_key_file=core.audit_key_file,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` (default: this process's environment) and the file it
        names in OPSBOT_CONFIG."""
        return cls.from_config(load_config(os.environ if env is None else env).tree)
