"""Settings from the environment, resolved once and passed in (never read as globals)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent


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
    # The operations listener (/livez, /readyz, and /metrics when mounted): its own port, so
    # probes never queue behind chat traffic and the port need not be exposed to Slack.
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
    env: dict[str, str] = {}  # the environment it was read from, for backend settings
    # `--as` in a shell is an unverified claim; against a real environment approvals come
    # from chat (Slack verifies who clicked) unless the operator trusts this shell.
    trust_cli_identity: bool = False
    # The key that seals the audit log, mounted from outside the database (a Kubernetes
    # Secret); None: a key generated once under home (assistant/storage/audit_key.py).
    audit_key_file: Path | None = None

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
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("OPSBOT_HOME", ".opsbot")).resolve()
        db_url = env.get("OPSBOT_DB") or f"sqlite:///{home / 'opsbot.db'}"
        extra = [Path(p) for p in env.get("OPSBOT_RUNBOOKS", "").split(os.pathsep) if p]
        return cls(
            home=home,
            db_url=db_url,
            runbook_dirs=(REPO_ROOT / "runbooks", *extra),
            policy_dir=Path(env.get("OPSBOT_POLICIES", REPO_ROOT / "policies")),
            scenario_dir=REPO_ROOT / "evals" / "scenarios",
            redaction_config=Path(env["OPSBOT_REDACTION_CONFIG"])
            if env.get("OPSBOT_REDACTION_CONFIG") else None,
            backend=_choice(env, "OPSBOT_BACKEND", ("sandbox", "kubernetes"), "sandbox"),
            verify_seconds=_seconds(env, "OPSBOT_VERIFY_SECONDS", 300.0),
            executor_heartbeat_seconds=_positive_seconds(
                env, "OPSBOT_EXECUTOR_HEARTBEAT_SECONDS", 10.0),
            db_wait_seconds=_positive_seconds(env, "OPSBOT_DB_WAIT_SECONDS", 30.0),
            health_probe_seconds=_positive_seconds(env, "OPSBOT_HEALTH_PROBE_SECONDS", 5.0),
            ops_host=env.get("OPSBOT_OPS_HOST") or "0.0.0.0",
            ops_port=_port(env, "OPSBOT_OPS_PORT", 8081),
            drain_seconds=_positive_seconds(env, "OPSBOT_DRAIN_SECONDS", 30.0),
            start_seconds=_positive_seconds(env, "OPSBOT_START_SECONDS", 180.0),
            env=dict(env),
            trust_cli_identity=env.get("OPSBOT_TRUST_CLI_IDENTITY") == "1",
            audit_key_file=Path(env["OPSBOT_AUDIT_KEY_FILE"])
            if env.get("OPSBOT_AUDIT_KEY_FILE") else None,
        )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, default)
    if value not in allowed:
        raise InputError(f"must be one of {', '.join(allowed)}, got {value!r}", field=name)
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"must be a number of seconds, got {raw!r}", field=name) from None
    if value < 0:
        raise InputError("must not be negative", field=name)
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"must be a port number, got {raw!r}", field=name) from None
    if not 0 <= value <= 65535:
        raise InputError(f"must be 0..65535 (0: any free port), got {value}", field=name)
    return value


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = _seconds(env, name, default)
    if not 0 < value < math.inf:
        raise InputError(f"must be a positive, finite number of seconds, got {env[name]!r}",
                         field=name)
    return value
