"""Verification is a step after the result is recorded: a process killed while watching
leaves an action that succeeded, and the next start resumes the watch and reports it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.interruptions import Interruption
from assistant.models import Actor, ExecutionStatus, ProposalStatus

REPO = Path(__file__).resolve().parent.parent
ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "checkout restarts in a loop since this morning's rollout; what should we do?"


def test_a_process_killed_while_verifying_leaves_the_action_succeeded_and_resumed(
        open_engine: Any, engine_settings: Any) -> None:
    with open_engine("checkout-bad-deploy") as s:
        pid = s.ask("t-watch", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
    env = dict(os.environ, OPSBOT_HOME=str(engine_settings.home), PYTHONPATH=str(REPO),
               OPSBOT_EXECUTOR_HEARTBEAT_SECONDS="0.2", OPSBOT_VERIFY_SECONDS="120")
    env.pop("OPSBOT_DB", None)
    worker = subprocess.Popen([sys.executable, str(REPO / "tests" / "executor_worker.py"), pid,
                               "watch-hang"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert worker.stdout is not None
        assert [worker.stdout.readline() for _ in range(3)] == [
            "running\n", "ran\n", "watching\n"]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    time.sleep(0.5)  # the dead worker's lease (two 0.2 s beats) runs out

    with open_engine("checkout-bad-deploy") as again:
        rt = again.rt
        assert not any(isinstance(e, Interruption) for e in rt.ended_at_start)
        deadline = time.monotonic() + 60
        while rt.store.proposals.get(pid).result.verification is None:
            assert time.monotonic() < deadline, "the verification was never resumed"
            time.sleep(0.05)
        stored = rt.store.proposals.get(pid)
        assert stored.status is ProposalStatus.EXECUTED
        assert stored.result.status is ExecutionStatus.SUCCEEDED
        events = rt.store.audit.events(thread="t-watch")
        kinds = [e.kind for e in events]
        assert kinds.count("execution") == 1 and kinds.count("verification") == 1
        assert "interrupted" not in kinds
        # Recorded, and told to the thread by the first run that takes the report, once.
        turn = again.report_verification(pid)
        assert turn is not None and again.report_verification(pid) is None
        told = [m.text for m in turn.messages if m.kind == "verification"]
        assert len(told) == 1 and "resumed after the process watching it stopped" in told[0]
        assert any(m.text == told[0] for m in rt.store.messages.list("t-watch"))
        assert rt.store.audit.verify().ok


def test_a_resumed_watch_that_cannot_read_the_environment_is_reported_not_guessed(
        open_engine: Any) -> None:
    import dataclasses

    from assistant.resumed_verifications import finish_watch
    from tools.backend import ToolFailure

    with open_engine("checkout-bad-deploy") as s:
        rt = s.rt
        pid = s.ask("t-blind", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        rt.executor.verify = lambda _pid: None  # the first watcher dies before watching
        s.respond("t-blind", pid, Actor(user_id="U01ALICE"), approve=True)
        replica = dataclasses.replace(rt.executor, executor_id="replica-b")
        (pending,) = rt.store.verifications.take_over(lambda _e: False, replica.executor_id)
        rt.backend.inventory = lambda: (_ for _ in ()).throw(ToolFailure("apiserver gone"))
        assert finish_watch(replica, pending) is not None
        turn = s.report_verification(pid)
        assert turn is not None
        (told,) = [m.text for m in turn.messages if m.proposal_id == pid]
        assert "could not finish verifying" in told and "apiserver gone" in told
        stored = rt.store.proposals.get(pid)
        assert stored.status is ProposalStatus.EXECUTED
        assert stored.result.status is ExecutionStatus.SUCCEEDED
        assert stored.result.verification is None
        kinds = [e.kind for e in rt.store.audit.events(thread="t-blind")]
        assert kinds.count("verification_unfinished") == 1 and "interrupted" not in kinds
        assert rt.store.verifications.take_over(lambda _e: False, "replica-c") == []


def test_a_verdict_that_cannot_be_stored_leaves_the_watch_open_not_finished_without_it(
        open_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ending the watch and storing its verdict are one transaction: an adapter that sees the
    # watch finished takes its report at once, and must find the verdict there to tell.
    with open_engine("checkout-bad-deploy") as s:
        rt = s.rt
        watch = rt.executor.verify
        rt.executor.verify = lambda _pid: None
        pid = s.ask("t-atomic", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        s.respond("t-atomic", pid, Actor(user_id="U01ALICE"), approve=True)

        def refused(*_args: Any) -> None:
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(rt.store.proposals, "add_verification", refused)
        with pytest.raises(RuntimeError):
            watch(pid)
        assert rt.store.verifications.unreported() == []
        assert rt.store.verifications.watching(pid, rt.executor.executor_id) is not None
