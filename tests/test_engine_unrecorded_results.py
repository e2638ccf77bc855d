"""An action that ran while the database could not record it (a SQLite lock held past the
wait) is kept in the spool, told truthfully, and recorded by the next beat: its execution
event exists, the claim ends, and the resource is free again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from assistant.models import Actor, ExecutionStatus, ProposalStatus
from assistant.storage import DatabaseUnavailableError, unavailable_reason

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "why does checkout keep restarting since the deploy?"
RESOURCE = "prod/shop/deployment/checkout"
QUICK = {"OPSBOT_DB_WAIT_SECONDS": "0.5", "OPSBOT_VERIFY_SECONDS": "0"}


def _lock_after(run: Callable[..., Any], db_file: str,
                held: list[sqlite3.Connection]) -> Callable[..., Any]:
    """``run``, then another connection takes the database's write lock and keeps it."""
    def locked_after(args: Any, approved_by: str | None = None) -> Any:
        out = run(args, approved_by=approved_by)
        locker = sqlite3.connect(db_file, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        held.append(locker)
        return out
    return locked_after


def test_a_result_the_locked_database_refused_is_kept_and_recorded_by_the_next_beat(
        open_engine: Any) -> None:
    with open_engine("checkout-bad-deploy", QUICK) as s:
        rt = s.rt
        pid = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        held: list[sqlite3.Connection] = []
        rt.backend.rollback_deployment = _lock_after(
            rt.backend.rollback_deployment, rt.settings.db_url.removeprefix("sqlite:///"), held)

        with pytest.raises(Exception) as failed:
            s.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert unavailable_reason(failed.value), failed.value
        assert held, "the rollback never ran"

        # It ran; the database has no result yet, the spool and the executor do.
        assert rt.backend.inventory().deployment("shop", "checkout").revision == 41
        assert rt.executor.spool.pending() == [pid]
        outcome = rt.executor.outcome(pid)
        assert outcome is not None and not outcome.recorded
        assert outcome.result.status is ExecutionStatus.SUCCEEDED
        assert rt.store.proposals.get(pid).status is ProposalStatus.EXECUTING

        with pytest.raises(DatabaseUnavailableError):  # still locked: the lease waits too
            rt.heartbeat.beat()
        assert rt.executor.spool.pending() == [pid]

        held[0].execute("ROLLBACK")
        held[0].close()
        told: list[str] = []
        rt.heartbeat.subscribe(lambda ended: told.append(ended.thread_text))
        ended = rt.heartbeat.beat()

        assert [e.stored.proposal.id for e in ended] == [pid]
        stored = rt.store.proposals.get(pid)
        assert stored.status is ProposalStatus.EXECUTED
        assert stored.result is not None and stored.result.status is ExecutionStatus.SUCCEEDED
        assert not rt.store.proposals.in_flight(RESOURCE)
        assert rt.executor.spool.pending() == []
        executions = [e for e in rt.store.audit.events(thread="t1") if e.kind == "execution"]
        assert [e.payload["proposal_id"] for e in executions] == [pid]
        assert len(told) == 1 and "could not be recorded when it ran" in told[0]
        assert told[0] in [m.text for m in rt.store.messages.list("t1")]
        assert rt.store.audit.verify().ok
