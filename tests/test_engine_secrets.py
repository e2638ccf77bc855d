"""No secret from the scenario logs appears in terminal output, audit records, log lines or
anything stored (database, checkpoints, sandbox state), across the shipped suites' worlds.
(The generalisation worlds' planted secrets are checked by their eval suites' never_shows,
in every chat text, audit record and LLM request: tests/test_eval_shipped_suites.py.)"""

import logging
import re
import shutil
from pathlib import Path

import pytest
from conftest import shipped_suite_scenarios

from assistant.cli import main

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = shipped_suite_scenarios()

# Deliberately narrow and independent of the redactor: what a reviewer would call "the
# secret" in each planted log line.
_PLANTED = [
    re.compile(r"://[^:/\s]+:([^@\s]+)@"),  # password in a DSN
    re.compile(r"Bearer ([A-Za-z0-9._~+/=-]{16,})"),
    re.compile(r"(?i)\b[a-z_]*api_key=([A-Za-z0-9_]{16,})"),
    re.compile(r"AWS_SECRET_ACCESS_KEY=(\S{20,})"),
]


def planted_secrets(scenario: str) -> set[str]:
    text = (REPO / "evals" / "scenarios" / f"{scenario}.yaml").read_text()
    return {m.group(1) for rx in _PLANTED for m in rx.finditer(text)}


def test_every_scenario_plants_secrets():
    assert planted_secrets("checkout-bad-deploy") >= {"hunter2"}
    assert sum(len(planted_secrets(s)) for s in SCENARIOS) >= 5


def _stored_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_demo_never_shows_a_planted_secret(tmp_path: Path, scenario: str, built_index_dir: Path,
                                           capfd: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch):
    # In-process: the CLI, its log handlers and its redaction are the same code a fresh
    # process runs (tests/test_engine_restart.py covers real processes); it saves each
    # scenario an interpreter start and the import of the whole application.
    secrets = planted_secrets(scenario)
    home = tmp_path / "home"
    shutil.copytree(built_index_dir, home / "index")
    monkeypatch.delenv("OPSBOT_DB", raising=False)
    # The CLI sets the level from the configuration when it starts.
    monkeypatch.setenv("OPSBOT_LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    code = main(["demo", "--scenario", scenario, "--home", str(home)])
    demo = capfd.readouterr()
    # A scenario may end without an action (a freeze denies it); leaks matter either way.
    assert code in (0, 1) and "audit log: verified" in demo.out, (
        demo.out[-3000:] + demo.err[-3000:])
    assert caplog.records, "the demo logged nothing at DEBUG: the log check would be vacuous"
    log_lines = caplog.text
    monkeypatch.setenv("OPSBOT_HOME", str(home))
    assert main(["audit", "export", "--format", "jsonl"]) == 0
    exported = capfd.readouterr().out
    # Something to search: at least the question, the reads and the answer were exported.
    assert '"kind":"question"' in exported and '"kind":"answer"' in exported
    assert '"kind":"tool_call"' in exported
    stored = _stored_bytes(home)
    for secret in secrets:
        assert secret not in demo.out, f"{secret!r} in terminal output"
        assert secret not in demo.err + log_lines, f"{secret!r} in log lines"
        assert secret not in exported, f"{secret!r} in the audit log"
        assert secret.encode() not in stored, f"{secret!r} stored under {home}"
    if '"tool":"get_pod_logs"' in exported:
        assert "[REDACTED:" in demo.out + exported
