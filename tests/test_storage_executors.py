"""Executor rows (register, heartbeat, stop), the liveness rule, and the migration that
adds them to an existing database."""

from __future__ import annotations

import socket
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeRedaction, RawDatabase
from proposal_records import approved, proposal, stored_before_makers

from assistant.interruptions import sweep_interrupted
from assistant.models import ProposalStatus
from assistant.storage import ExecutorRecord, Store, executor_alive, open_store, schema
from assistant.storage.executors import LEASE_HEARTBEATS

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OWN = "this-host:100:aaaa"
OTHER = "other-host:4242:bbbb"
HERE = "this-host"


def alive_at(store: Store, now: datetime, executor: str = OTHER, *, host: str = HERE) -> bool:
    return executor_alive(OWN, store.executors.get, now, host=host)(executor)


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_registered_executor_reads_back_and_heartbeats_renew_it(store: Store) -> None:
    store.executors.register(OTHER, T0, 10)
    assert store.executors.get(OTHER) == ExecutorRecord(
        id=OTHER, host="other-host", pid=4242, started_at=T0, heartbeat_at=T0,
        lease_seconds=10 * LEASE_HEARTBEATS, stopped_at=None)
    assert store.executors.heartbeat(OTHER, T0 + timedelta(seconds=10))
    assert store.executors.get(OTHER).heartbeat_at == T0 + timedelta(seconds=10)
    assert store.executors.get("nobody:1:x") is None


def test_a_stopped_executor_cannot_be_renewed_or_stopped_again(store: Store) -> None:
    store.executors.register(OTHER, T0, 10)
    store.executors.stop(OTHER, T0 + timedelta(seconds=5))
    store.executors.stop(OTHER, T0 + timedelta(seconds=9))
    assert not store.executors.heartbeat(OTHER, T0 + timedelta(seconds=10))
    record = store.executors.get(OTHER)
    assert (record.heartbeat_at, record.stopped_at) == (T0, T0 + timedelta(seconds=5))
    assert not store.executors.heartbeat("nobody:1:x", T0)


def test_an_id_not_made_by_new_executor_id_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="not a host:pid:uuid"):
        store.executors.register("worker-7", T0, 10)


def test_another_hosts_executor_lives_exactly_as_long_as_its_lease(store: Store) -> None:
    store.executors.register(OTHER, T0, 10)
    assert alive_at(store, T0 + timedelta(seconds=59))
    assert alive_at(store, T0 + timedelta(seconds=60))
    assert not alive_at(store, T0 + timedelta(seconds=61))
    store.executors.heartbeat(OTHER, T0 + timedelta(seconds=55))
    assert alive_at(store, T0 + timedelta(seconds=100))


def test_the_lease_is_counted_in_the_executors_own_heartbeats(store: Store) -> None:
    store.executors.register(OTHER, T0, 60)
    assert alive_at(store, T0 + timedelta(minutes=5))
    assert not alive_at(store, T0 + timedelta(minutes=7))


def test_a_stopped_executor_is_dead_at_once(store: Store) -> None:
    store.executors.register(OTHER, T0, 10)
    store.executors.stop(OTHER, T0)
    assert not alive_at(store, T0)


def test_our_own_id_is_alive_whatever_its_row_says(store: Store) -> None:
    store.executors.register(OWN, T0, 10)
    store.executors.stop(OWN, T0)
    assert alive_at(store, T0 + timedelta(days=1), OWN)


def test_an_id_without_a_row_counts_as_alive(store: Store) -> None:
    assert alive_at(store, T0 + timedelta(days=365), "old-host:77:cccc")


def test_on_this_host_a_dead_pid_is_dead_once_its_heartbeats_stop_too(store: Store) -> None:
    host = socket.gethostname()
    with_row, without_row = f"{host}:{dead_pid()}:dddd", f"{host}:{dead_pid()}:eeee"
    store.executors.register(with_row, T0, 10)
    # Still beating: the same hostname in another pid namespace (a container), not a crash.
    assert alive_at(store, T0 + timedelta(seconds=20), with_row, host=host)
    assert not alive_at(store, T0 + timedelta(seconds=21), with_row, host=host)
    assert not alive_at(store, T0, without_row, host=host)
    assert alive_at(store, T0, f"{host}:1:ffff", host=host)


def test_a_v2_database_gains_the_executors_table_and_keeps_its_claims(
    db_url: str, raw_db: RawDatabase, redaction: FakeRedaction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
    open_store(db_url, redaction.redact).close()
    stored_before_makers(raw_db, proposal("P1"), "executing", claimed_by="old-host:77:cccc")
    monkeypatch.undo()

    with open_store(db_url, redaction.redact) as upgraded:
        versions = raw_db.query("SELECT version FROM store_migrations ORDER BY version")
        assert [v for (v,) in versions] == [m.version for m in schema.MIGRATIONS]
        assert raw_db.query("SELECT COUNT(*) FROM executors") == [(0,)]
        # A claim from before leases has no row: no sweep marks it, however old.
        assert sweep_interrupted(upgraded, OWN, T0 + timedelta(days=30)) == []
        stored = upgraded.proposals.get("P1")
        assert (stored.status, stored.claimed_by) == (ProposalStatus.EXECUTING,
                                                      "old-host:77:cccc")
        upgraded.executors.register(OTHER, T0, 10)
        assert upgraded.executors.get(OTHER) is not None


def test_executors_gone_a_week_are_forgotten_unless_a_claim_still_names_them(
        store: Store) -> None:
    holder, stopped, silent, recent = ("h1:1:a", "h2:2:b", "h3:3:c", "h4:4:d")
    for executor in (holder, stopped, silent, recent):
        store.executors.register(executor, T0, 10)
    store.executors.stop(holder, T0)
    store.executors.stop(stopped, T0)
    store.executors.heartbeat(recent, T0 + timedelta(days=7))
    approved(store, "P1")
    assert store.proposals.claim("P1", holder, T0).claimed
    assert store.executors.prune(T0 + timedelta(days=7, seconds=1)) == 2
    assert [e for e in (holder, stopped, silent, recent)
            if store.executors.get(e) is not None] == [holder, recent]
