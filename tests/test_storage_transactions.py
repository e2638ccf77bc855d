"""Store writes made inside Store.transaction() are committed together or not at all; a
block nested in it that fails is undone alone; audit observers hear only what committed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import RawDatabase

from assistant.models import AuditEvent
from assistant.storage import Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class Boom(Exception):
    pass


def _count(raw_db: RawDatabase, table: str) -> int:
    return int(raw_db.query(f"SELECT count(*) FROM {table}")[0][0])


def test_writes_in_a_transaction_are_seen_by_others_only_when_it_ends(
        store: Store, raw_db: RawDatabase) -> None:
    with store.transaction():
        store.messages.add("T1", "U-ALICE", "checkout is down", T0)
        store.audit.append("question", actor="U-ALICE", thread="T1", payload={"q": "down?"})
        assert _count(raw_db, "messages") == 0
        assert _count(raw_db, "audit_events") == 0
    assert _count(raw_db, "messages") == 1
    assert [e.kind for e in store.audit.events(thread="T1")] == ["question"]


def test_a_failed_transaction_stores_nothing_and_the_chain_still_verifies(
        store: Store) -> None:
    store.audit.append("question", actor="U-ALICE", thread="T0", payload={})
    with pytest.raises(Boom), store.transaction():
        store.messages.add("T1", "U-ALICE", "checkout is down", T0)
        store.audit.append("answer", actor=None, thread="T1", payload={"text": "roll back"})
        raise Boom
    assert store.messages.list("T1") == []
    assert list(store.audit.events(thread="T1")) == []
    store.audit.append("question", actor="U-BOB", thread="T2", payload={})
    report = store.audit.verify()
    assert report.ok and report.checked == 2


def test_a_failed_block_inside_a_transaction_is_undone_alone(store: Store) -> None:
    with store.transaction():
        store.messages.add("T1", "U-ALICE", "kept", T0)
        with pytest.raises(Boom), store.transaction():
            store.messages.add("T1", "U-ALICE", "undone", T0)
            raise Boom
        store.messages.add("T1", "opsbot", "also kept", T0)
    assert [m.text for m in store.messages.list("T1")] == ["kept", "also kept"]


def test_reads_inside_a_transaction_see_its_writes(store: Store) -> None:
    with store.transaction():
        store.messages.add("T1", "U-ALICE", "checkout is down", T0)
        assert [m.text for m in store.messages.list("T1")] == ["checkout is down"]


def test_audit_observers_hear_events_once_committed_and_never_if_undone(
        store: Store) -> None:
    heard: list[AuditEvent] = []
    store.audit.subscribe(heard.append)
    with store.transaction():
        store.audit.append("question", actor="U-ALICE", thread="T1", payload={})
        assert heard == []
    assert [e.kind for e in heard] == ["question"]
    with pytest.raises(Boom), store.transaction():
        store.audit.append("answer", actor=None, thread="T1", payload={})
        raise Boom
    assert [e.kind for e in heard] == ["question"]
