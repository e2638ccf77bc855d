"""Settings from the environment, resolved once and passed in (never read as globals)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    home: Path  # state: database, Chroma index
    db_url: str  # sqlite path URL or postgresql:// URL
    runbook_dirs: tuple[Path, ...]
    policy_dir: Path
    scenario_dir: Path
    redaction_config: Path | None = None  # team patterns and allow-list (YAML)

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

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
        )
