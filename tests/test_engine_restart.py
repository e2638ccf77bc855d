"""A confirmation answered after the process was killed and restarted executes exactly once.

A real process asks through the real CLI and is killed with SIGKILL while the thread waits
for confirmation; the CLI in this test's process (another process, with nothing of the
killed one in memory) then confirms, confirms again and is refused, and reads the audit log.
Only the process that must die, or whose state must be read back from disk, is spawned: each
spawn costs an interpreter start and the import of the whole application.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"OPSBOT_HOME": str(home), "OPSBOT_SCENARIO": "checkout-bad-deploy"})
    env.pop("OPSBOT_DB", None)
    return env


def _opsbot(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=REPO, env=_env(home), capture_output=True,
                          text=True, timeout=180)


@pytest.fixture
def opsbot_here(monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> Any:
    """``opsbot_here(home, *args)`` runs the CLI in this process: (exit code, stdout)."""

    def run(home: Path, *args: str) -> tuple[int, str]:
        for name, value in _env(home).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("OPSBOT_DB", raising=False)
        capsys.readouterr()
        code = main(list(args))
        return code, capsys.readouterr().out

    return run


@pytest.mark.slow
def test_confirmation_after_kill_and_restart_runs_exactly_once(tmp_path: Path,
                                                               built_index_dir: Path,
                                                               opsbot_here: Any):
    home = tmp_path / "home"
    shutil.copytree(built_index_dir, home / "index")
    chat = subprocess.Popen(
        [*CLI, "chat", "--as", "U02BOB", "--thread", "inc-1"], cwd=REPO, env=_env(home),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert chat.stdin and chat.stdout
    chat.stdin.write("checkout keeps crash looping since the deploy\n")
    chat.stdin.flush()
    seen: list[str] = []
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        line = chat.stdout.readline()
        seen.append(line)
        if line.startswith("└─ /confirm"):
            break
    else:
        raise AssertionError("no confirmation card:\n" + "".join(seen))
    proposal_id = line.split()[2]
    chat.send_signal(signal.SIGKILL)
    chat.wait(timeout=10)

    code, confirmed = opsbot_here(home, "confirm", proposal_id, "--as", "U01ALICE")
    assert code == 0, confirmed
    assert "→ succeeded" in confirmed

    code, again = opsbot_here(home, "confirm", proposal_id, "--as", "U04DAN")
    assert code == 1
    assert "executed" in again

    _, exported = opsbot_here(home, "audit", "export", "--format", "jsonl")
    events = [json.loads(line) for line in exported.splitlines()]
    executions = [e for e in events if e["kind"] == "execution"]
    assert len(executions) == 1
    assert executions[0]["payload"]["status"] == "succeeded"
    assert opsbot_here(home, "audit", "verify")[0] == 0


@pytest.mark.slow
def test_ask_json_then_confirm_in_another_process_uses_the_persisted_world(
    tmp_path: Path, built_index_dir: Path, opsbot_here: Any
):
    home = tmp_path / "home"
    shutil.copytree(built_index_dir, home / "index")
    asked = _opsbot(home, "ask", "why is checkout crash looping?", "--as", "U02BOB", "--json")
    assert asked.returncode == 0, asked.stderr
    report = json.loads(asked.stdout)
    (proposal,) = report["proposals"]
    assert proposal["call"]["tool"] == "rollback_deployment"
    _, confirmed = opsbot_here(home, "confirm", proposal["id"], "--as", "U01ALICE")
    assert "verification: improved" in confirmed
    _, follow = opsbot_here(home, "ask", "is checkout healthy now?", "--as", "U02BOB",
                            "--thread", report["thread_id"])
    assert "3/3" in follow or "Running" in follow
