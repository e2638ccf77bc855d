"""A process killed with SIGKILL while it recorded a result (its database write waiting on
a lock): the result survives in the spool, and the next start records it, so the claim
ends as the action ran instead of interrupted, and the resource is free."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from assistant.models import Actor, ExecutionStatus, ProposalStatus

REPO = Path(__file__).resolve().parent.parent
ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "why does checkout keep restarting since the deploy?"


def test_a_result_spooled_by_a_killed_process_is_recorded_at_the_next_start(
        open_engine: Any, engine_settings: Any) -> None:
    with open_engine("checkout-bad-deploy") as s:
        pid = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
    home: Path = engine_settings.home
    env = dict(os.environ, OPSBOT_HOME=str(home), PYTHONPATH=str(REPO),
               OPSBOT_EXECUTOR_HEARTBEAT_SECONDS="0.2", OPSBOT_VERIFY_SECONDS="0")
    env.pop("OPSBOT_DB", None)
    worker = subprocess.Popen([sys.executable, str(REPO / "tests" / "executor_worker.py"), pid,
                               "then-wait"], cwd=REPO, env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    locker = sqlite3.connect(home / "opsbot.db", isolation_level=None)
    spooled = home / "spool" / "results" / f"{pid}.json"
    try:
        assert worker.stdin is not None and worker.stdout is not None
        assert worker.stdout.readline() == "running\n"
        assert worker.stdout.readline() == "ran\n"
        locker.execute("BEGIN EXCLUSIVE")
        worker.stdin.write("go\n")
        worker.stdin.flush()
        deadline = time.monotonic() + 30
        while not spooled.exists():  # kept before its database write, which now waits
            assert time.monotonic() < deadline, "the result was never spooled"
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()

    with open_engine("checkout-bad-deploy") as again:
        rt = again.rt
        assert [e.stored.proposal.id for e in rt.ended_at_start] == [pid]
        assert "could not be recorded when it ran" in rt.ended_at_start[0].thread_text
        stored = rt.store.proposals.get(pid)
        assert stored.status is ProposalStatus.EXECUTED
        assert stored.result is not None and stored.result.status is ExecutionStatus.SUCCEEDED
        assert not rt.store.proposals.in_flight("prod/shop/deployment/checkout")
        kinds = [e.kind for e in rt.store.audit.events(thread="t1")]
        assert kinds.count("execution") == 1 and "interrupted" not in kinds
        assert not spooled.exists()
