"""Executor leases in a running opsbot: its heartbeat renews the lease and sweeps claims of
executors that are gone, so a replica that died on another host stops locking a resource."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from proposal_records import approved

from assistant.config import Settings
from assistant.errors import InputError
from assistant.heartbeat import Heartbeat
from assistant.interruptions import Interruption
from assistant.models import Actor, Outcome, ProposalStatus
from assistant.runtime import Runtime, open_runtime
from assistant.session import Session
from assistant.storage import Store
from assistant.storage.spool import ResultSpool
from assistant.storage.timestamps import utc_now

S = ProposalStatus
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OWN = "this-host:100:aaaa"
OTHER = "replica-b:4242:bbbb"
BOB = Actor(user_id="U02BOB")
ASK = "checkout crash looping since the deploy"
LOCK_RULE = "one-action-per-resource"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# --- the heartbeat on its own, with time driven by the test ---

def test_start_registers_each_beat_renews_and_close_stops(store: Store,
                                                         spool: ResultSpool) -> None:
    clock = Clock()
    heartbeat = Heartbeat(store, OWN, 10, spool, clock)
    assert heartbeat.start() == []
    clock.advance(10)
    heartbeat.beat()
    assert store.executors.get(OWN).heartbeat_at == T0 + timedelta(seconds=10)
    clock.advance(3)
    heartbeat.close()
    assert store.executors.get(OWN).stopped_at == T0 + timedelta(seconds=13)


def test_start_sweeps_what_a_replica_left_and_later_beats_tell_the_listeners(
        store: Store, spool: ResultSpool) -> None:
    approved(store, "P1")
    approved(store, "P2")
    store.executors.register(OTHER, T0, 10)
    store.proposals.claim("P1", OTHER, T0)
    store.executors.stop(OTHER, T0)
    clock = Clock()
    heartbeat = Heartbeat(store, OWN, 10, spool, clock)
    try:
        assert [i.stored.proposal.id for i in heartbeat.start()] == ["P1"]
        store.executors.register("replica-c:7:cccc", T0, 10)
        store.proposals.claim("P2", "replica-c:7:cccc", T0)
        heard: list[str] = []
        heartbeat.subscribe(lambda item: heard.append(item.stored.proposal.id))
        clock.advance(60)
        assert heartbeat.beat() == []
        clock.advance(1)
        assert [i.stored.proposal.id for i in heartbeat.beat()] == ["P2"]
        assert heard == ["P2"]
    finally:
        heartbeat.close()


def test_a_failing_listener_does_not_keep_the_others_from_hearing(
        store: Store, spool: ResultSpool) -> None:
    approved(store, "P1")
    store.executors.register(OTHER, T0, 10)
    store.proposals.claim("P1", OTHER, T0)
    store.executors.stop(OTHER, T0)
    heartbeat = Heartbeat(store, OWN, 10, spool, Clock())
    heard: list[str] = []

    def broken(item: Interruption) -> None:
        raise RuntimeError("slack is down")

    heartbeat.subscribe(broken)
    unsubscribe = heartbeat.subscribe(lambda item: heard.append(item.stored.proposal.id))
    heartbeat.beat()
    unsubscribe()
    assert heard == ["P1"]
    assert store.proposals.get("P1").status is S.INTERRUPTED


def test_the_heartbeat_thread_sweeps_without_being_asked(store: Store,
                                                         spool: ResultSpool) -> None:
    heartbeat = Heartbeat(store, OWN, 0.01, spool)
    heartbeat.start()
    swept = threading.Event()
    heartbeat.subscribe(lambda item: swept.set())
    approved(store, "P1")
    store.executors.register(OTHER, utc_now(), 10)
    store.proposals.claim("P1", OTHER, T0)
    store.executors.stop(OTHER, utc_now())
    try:
        assert swept.wait(10), "no beat swept the stopped executor's claim"
    finally:
        heartbeat.close()
    assert store.executors.get(OWN).stopped_at is not None


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
def test_a_bad_heartbeat_interval_is_a_clear_error(value: str) -> None:
    with pytest.raises(InputError, match="OPSBOT_EXECUTOR_HEARTBEAT_SECONDS"):
        Settings.from_env({"OPSBOT_EXECUTOR_HEARTBEAT_SECONDS": value})


# --- through a runtime, on SQLite and PostgreSQL ---

@pytest.fixture
def runtime(tmp_path: Path, db_url: str, runbook_index: Any) -> Iterator[Runtime]:
    # An hour between background beats: the test drives each beat itself.
    settings = Settings.from_env({"OPSBOT_HOME": str(tmp_path / "home"), "OPSBOT_DB": db_url,
                                  "OPSBOT_EXECUTOR_HEARTBEAT_SECONDS": "3600"})
    with open_runtime(settings, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index) as rt:
        yield rt


def rollback_rules(session: Session, thread: str) -> tuple[Outcome, set[str]]:
    turn = session.ask(thread, BOB, ASK)
    stored = session.rt.store.proposals.for_thread(thread)
    assert [s.proposal.call.tool for s in stored] == ["rollback_deployment"], turn.messages
    decision = stored[0].proposal.decision
    return decision.outcome, {r.rule for r in decision.reasons}


def claimed_by_replica(session: Session, heartbeat_at: datetime | None) -> str:
    """The rollback of a first thread, approved and claimed by a replica on another host;
    ``heartbeat_at`` None: a replica from before leases, with no row."""
    pid = session.ask("t-first", BOB, ASK).pending[0].id
    store = session.rt.store
    assert store.proposals.set_status(pid, S.APPROVED)
    if heartbeat_at is not None:
        store.executors.register(OTHER, heartbeat_at, 10)
    assert store.proposals.claim(pid, OTHER, session.rt.backend.now()).claimed
    return pid


def test_a_replica_with_a_fresh_heartbeat_keeps_its_claim_and_its_lock(
        runtime: Runtime) -> None:
    session = Session(runtime)
    pid = claimed_by_replica(session, utc_now())
    assert runtime.heartbeat.beat() == []
    assert session.proposal(pid).status is S.EXECUTING
    outcome, rules = rollback_rules(session, "t-second")
    assert outcome is Outcome.DENY and LOCK_RULE in rules


def test_a_stale_replicas_claim_is_swept_and_the_resource_unlocked(runtime: Runtime) -> None:
    session = Session(runtime)
    pid = claimed_by_replica(session, utc_now() - timedelta(minutes=2))
    swept = runtime.heartbeat.beat()
    assert [i.stored.proposal.id for i in swept] == [pid]
    assert session.proposal(pid).status is S.INTERRUPTED
    event = next(e for e in runtime.store.audit.events(thread="t-first")
                 if e.kind == "interrupted")
    assert event.actor == OTHER
    assert event.payload["noticed_by"] == runtime.executor.executor_id
    said = [m.text for m in runtime.store.messages.list("t-first") if m.author == "opsbot"]
    assert any("interrupted mid-execution" in text and "not re-run" in text for text in said)
    outcome, rules = rollback_rules(session, "t-second")
    assert outcome is Outcome.CONFIRM and LOCK_RULE not in rules
    assert runtime.store.audit.verify().ok


def test_a_stopped_replicas_claim_is_swept_at_once(runtime: Runtime) -> None:
    session = Session(runtime)
    pid = claimed_by_replica(session, utc_now())
    runtime.store.executors.stop(OTHER, utc_now())
    assert [i.stored.proposal.id for i in runtime.heartbeat.beat()] == [pid]
    assert session.proposal(pid).status is S.INTERRUPTED


def test_a_claim_from_before_leases_is_left_alone(runtime: Runtime) -> None:
    session = Session(runtime)
    pid = claimed_by_replica(session, None)
    assert runtime.heartbeat.beat() == []
    assert session.proposal(pid).status is S.EXECUTING


def test_a_runtime_registers_on_open_and_stops_on_close(tmp_path: Path,
                                                         runbook_index: Any) -> None:
    settings = Settings.from_env({"OPSBOT_HOME": str(tmp_path / "home")})
    with open_runtime(settings, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index) as rt:
        executor = rt.executor.executor_id
        record = rt.store.executors.get(executor)
        assert record is not None and record.stopped_at is None
        assert record.lease_seconds == 60
    with open_runtime(settings, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index) as rt:
        assert rt.store.executors.get(executor).stopped_at is not None
