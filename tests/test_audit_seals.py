"""Audit seals: with the append-only triggers dropped, someone who can write the database
but lacks the audit key can no longer truncate the log, move its head back, or rewrite an
event and recompute the chain without verify() naming the first bad seq."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeRedaction, RawDatabase

from assistant.models import AuditEvent
from assistant.storage import GENESIS_HASH, AuditKey, ChainHead, Store, event_hash, open_store
from assistant.storage.database import Database, parse_db_url
from assistant.storage.errors import StorageError
from assistant.storage.schema import MIGRATIONS, migrate
from assistant.storage.timestamps import db_time

OLD_TIME = datetime(2025, 1, 1, tzinfo=UTC)


def fill(store: Store, count: int) -> list[AuditEvent]:
    kinds = ["question", "proposal", "approval", "execution", "answer"]
    return [store.audit.append(kinds[n % len(kinds)], actor="U1", thread="T1",
                               payload={"n": n}) for n in range(count)]


def move_head(raw_db: RawDatabase, seq: int, hash_: str, seal: str | None = "keep") -> None:
    if seal == "keep":
        raw_db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, hash_))
    else:
        raw_db.execute("UPDATE audit_head SET seq = ?, hash = ?, seal = ? WHERE id = 1",
                       (seq, hash_, seal))


def rewrite_and_recompute(raw_db: RawDatabase, events: list[AuditEvent], seq: int,
                          payload: dict[str, object], *, strip_seals: bool) -> str:
    """What an attacker with database access but no key does: edit event ``seq`` and
    recompute every hash after it and the head, so the unkeyed chain is sound again."""
    prev = events[seq - 2].hash if seq > 1 else GENESIS_HASH
    for event in events[seq - 1:]:
        body = payload if event.seq == seq else event.payload
        new_hash = event_hash(prev, seq=event.seq, time=event.time, kind=event.kind,
                              actor=event.actor, thread=event.thread, payload=body)
        seal = ", seal = NULL" if strip_seals else ""
        raw_db.execute(f"UPDATE audit_events SET payload = ?, prev_hash = ?, hash = ?{seal} "
                       "WHERE seq = ?", (json.dumps(body), prev, new_hash, event.seq))
        prev = new_hash
    move_head(raw_db, events[-1].seq, prev, None if strip_seals else "keep")
    return prev


def assert_broken(store: Store, seq: int, problem: str,
                  expect: ChainHead | None = None) -> None:
    report = store.audit.verify(expect)
    assert not report.ok
    assert report.first_bad_seq == seq, report.summary()
    assert problem in (report.problem or ""), report.summary()
    assert f"BROKEN at seq {seq}" in report.summary()


def test_sealed_log_verifies_and_says_it_was_sealed(
    sealed_store: Store, audit_key: AuditKey
) -> None:
    events = fill(sealed_store, 5)
    report = sealed_store.audit.verify()
    assert report.ok and report.sealed == 5, report.summary()
    assert f"5 sealed with audit key {audit_key.key_id}" in report.summary()
    assert sealed_store.audit.head() == ChainHead(5, events[-1].hash,
                                                  audit_key.seal_head(5, events[-1].hash))
    assert audit_key.secret.decode() not in repr(audit_key)


@pytest.mark.parametrize("seal", ["keep", None, "event-3"])
def test_truncation_with_the_head_moved_back_is_found(
    sealed_store: Store, raw_db: RawDatabase, seal: str | None
) -> None:
    events = fill(sealed_store, 5)
    raw_db.drop_audit_guard()
    raw_db.execute("DELETE FROM audit_events WHERE seq >= 4")
    if seal == "event-3":
        seal = raw_db.query("SELECT seal FROM audit_events WHERE seq = 3")[0][0]
    move_head(raw_db, 3, events[2].hash, seal)
    problem = "carries no seal" if seal is None else "fails its seal"
    assert_broken(sealed_store, 4, problem)
    assert "events after 3 were deleted" in (sealed_store.audit.verify().problem or "")


def test_an_append_never_launders_a_moved_back_head(
    sealed_store: Store, raw_db: RawDatabase
) -> None:
    events = fill(sealed_store, 5)
    raw_db.drop_audit_guard()
    raw_db.execute("DELETE FROM audit_events WHERE seq >= 4")
    move_head(raw_db, 3, events[2].hash)
    with pytest.raises(StorageError, match="truncated or tampered"):
        sealed_store.audit.append("question", actor="U1", thread="T1", payload={})
    assert_broken(sealed_store, 4, "fails its seal")


def test_wiping_every_event_is_found_by_the_head_seal_or_an_anchor(
    sealed_store: Store, raw_db: RawDatabase
) -> None:
    fill(sealed_store, 5)
    anchor = sealed_store.audit.head()
    raw_db.drop_audit_guard()
    raw_db.execute("DELETE FROM audit_events")
    move_head(raw_db, 0, GENESIS_HASH)
    assert_broken(sealed_store, 1, "fails its seal")
    # With the head's seal gone too, the database alone looks freshly created; the head
    # held outside it still knows better.
    move_head(raw_db, 0, GENESIS_HASH, None)
    assert_broken(sealed_store, 1, "events 1..5 were deleted", expect=anchor)


@pytest.mark.parametrize(("strip_seals", "problem"), [
    (False, "seal does not match its hash"),
    (True, "carries no seal although the events before it do"),
])
def test_an_edited_approval_with_a_recomputed_chain_is_found(
    sealed_store: Store, raw_db: RawDatabase, strip_seals: bool, problem: str
) -> None:
    events = fill(sealed_store, 5)
    assert events[2].kind == "approval"
    raw_db.drop_audit_guard()
    rewrite_and_recompute(raw_db, events, 3, {"n": 2, "approver": "U9"},
                          strip_seals=strip_seals)
    assert_broken(sealed_store, 3, problem)


def test_a_fully_recomputed_unsealed_chain_is_found_by_an_anchor(
    sealed_store: Store, raw_db: RawDatabase
) -> None:
    events = fill(sealed_store, 5)
    anchor = sealed_store.audit.head()
    raw_db.drop_audit_guard()
    raw_db.execute("UPDATE audit_events SET seal = NULL")
    rewrite_and_recompute(raw_db, events, 3, {"n": 2, "approver": "U9"}, strip_seals=True)
    assert_broken(sealed_store, 5, "differs from the anchor held outside the database",
                  expect=anchor)


def test_an_anchor_the_log_still_holds_verifies_as_it_grows(sealed_store: Store) -> None:
    fill(sealed_store, 3)
    anchor = sealed_store.audit.head()
    fill(sealed_store, 2)
    assert sealed_store.audit.verify(anchor).ok
    assert sealed_store.audit.verify(ChainHead(0, GENESIS_HASH)).ok


def test_a_process_with_another_key_or_none_may_not_write_a_sealed_log(
    sealed_store: Store, db_url: str, redaction: FakeRedaction, audit_key: AuditKey
) -> None:
    fill(sealed_store, 2)
    other = AuditKey(b"another-key-" + b"x" * 32, "/etc/other.key")
    with open_store(db_url, redaction.redact, audit_key=other) as wrong:
        with pytest.raises(StorageError, match=f"sealed with audit key {audit_key.key_id}, "
                                               f"this process holds {other.key_id}"):
            wrong.audit.append("question", actor="U1", thread="T1", payload={})
        assert_broken(wrong, 1, f"sealed with audit key {audit_key.key_id}, not the "
                                f"configured {other.key_id}")
    with open_store(db_url, redaction.redact) as keyless:
        with pytest.raises(StorageError, match="this process has no audit key"):
            keyless.audit.append("question", actor="U1", thread="T1", payload={})
        report = keyless.audit.verify()
        assert not report.ok and report.first_bad_seq is None
        assert report.summary().startswith("audit log NOT VERIFIED")
        assert "OPSBOT_AUDIT_KEY_FILE" in report.summary()
    assert sealed_store.audit.verify().ok


def _old_schema_log(db_url: str, count: int) -> list[AuditEvent]:
    """A log as opsbot wrote it before audit seals: schema 3, unsealed rows and head."""
    db = Database(parse_db_url(db_url))
    try:
        old = [m for m in MIGRATIONS if m.version <= 3]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("assistant.storage.schema.MIGRATIONS", tuple(old))
            migrate(db)
        events, prev = [], GENESIS_HASH
        for n in range(count):
            fields = {"seq": n + 1, "time": OLD_TIME + timedelta(minutes=n), "kind": "question",
                      "actor": "U1", "thread": "T0", "payload": {"old": n}}
            event = AuditEvent(**fields, prev_hash=prev, hash=event_hash(prev, **fields))
            with db.write() as tx:
                tx.execute("INSERT INTO audit_events (seq, time, kind, actor, thread, payload, "
                           "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (event.seq, db_time(event.time), event.kind, event.actor,
                            event.thread, json.dumps(event.payload), prev, event.hash))
                tx.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
                           (event.seq, event.hash))
            events.append(event)
            prev = event.hash
        return events
    finally:
        db.close()


def test_a_log_written_before_seals_still_verifies_and_is_covered_once_sealed(
    db_url: str, raw_db: RawDatabase, redaction: FakeRedaction, audit_key: AuditKey
) -> None:
    old = _old_schema_log(db_url, 3)
    with open_store(db_url, redaction.redact, audit_key=audit_key) as store:
        report = store.audit.verify()
        assert report.ok and report.sealed == 0
        assert "3 written before audit keys (hash chain only)" in report.summary()
        new = fill(store, 2)
        assert new[0].prev_hash == old[-1].hash
        report = store.audit.verify()
        assert report.ok and report.sealed == 2
        assert "2 sealed with audit key" in report.summary()
        assert "3 written before audit keys" in report.summary()
        # Rewriting an old, unsealed event means recomputing the sealed ones after it.
        raw_db.drop_audit_guard()
        rewrite_and_recompute(raw_db, [*old, *new], 2, {"old": "forged"}, strip_seals=False)
        assert_broken(store, 4, "seal does not match its hash")


@pytest.mark.parametrize(("statement", "gone"), [
    ("DROP TABLE audit_events", "audit_events"),
    ("DROP TABLE audit_head", "audit_head"),
    ("ALTER TABLE audit_events DROP COLUMN seal", "audit_events.seal"),
])
def test_a_dropped_table_or_column_is_broken_not_a_crash(
    sealed_store: Store, raw_db: RawDatabase, statement: str, gone: str
) -> None:
    fill(sealed_store, 2)
    raw_db.drop_audit_guard()
    raw_db.execute(statement)
    assert_broken(sealed_store, 1, f"{gone} missing from the database (dropped)")
    with pytest.raises(StorageError, match="missing from the database"):
        sealed_store.audit.head()
