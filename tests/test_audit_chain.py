"""The audit log is hash-chained, append-only, redacted, and verify() finds tampering."""

from __future__ import annotations

import io
import itertools
import json
from datetime import UTC, datetime

import psycopg
import pytest
from conftest import FakeRedaction, RawDatabase

from assistant.models import Actor, AuditEvent, ToolCall
from assistant.storage import GENESIS_HASH, Store, event_hash, open_store


def fill(store: Store, count: int, thread: str = "T1") -> list[AuditEvent]:
    return [
        store.audit.append("question", actor="U1", thread=thread, payload={"n": n})
        for n in range(count)
    ]


def test_appended_events_link_into_a_chain_that_verifies(store: Store) -> None:
    events = fill(store, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    report = store.audit.verify()
    assert report.ok, report.summary()
    assert report.checked == 5
    assert report.head.seq == 5 and report.head.hash == events[-1].hash


def test_hash_covers_prev_hash_and_every_field(store: Store) -> None:
    event = fill(store, 1)[0]
    fields = event.model_dump(exclude={"prev_hash", "hash"})
    assert event_hash(event.prev_hash, **fields) == event.hash
    assert event_hash("f" * 64, **fields) != event.hash
    for name, other in [("kind", "answer"), ("actor", "U2"), ("thread", "T2"),
                        ("payload", {"n": 1}), ("seq", 2),
                        ("time", datetime(2020, 1, 1, tzinfo=UTC))]:
        assert event_hash(event.prev_hash, **{**fields, name: other}) != event.hash, name


def test_empty_log_verifies(store: Store) -> None:
    report = store.audit.verify()
    assert report.ok and report.checked == 0 and report.head.seq == 0


def test_read_back_equals_what_append_returned(store: Store) -> None:
    call = ToolCall(tool="rollback_deployment", args={"namespace": "shop"})
    written = store.audit.append(
        "proposal",
        actor="U1",
        thread="T1",
        payload={"call": call, "at": datetime(2024, 5, 1, 12, tzinfo=UTC),
                 "who": Actor(user_id="U1"), "ratio": 0.1, "ok": True, "none": None},
    )
    assert written.payload["call"] == {"tool": "rollback_deployment",
                                       "args": {"namespace": "shop"}}
    assert written.payload["at"] == "2024-05-01T12:00:00Z"
    assert list(store.audit.events()) == [written]
    assert store.audit.verify().ok


def test_events_filter_by_thread_and_since(store: Store) -> None:
    fill(store, 3, thread="A")
    fill(store, 2, thread="B")
    assert [e.seq for e in store.audit.events(thread="B")] == [4, 5]
    assert [e.seq for e in store.audit.events(since_seq=2)] == [3, 4, 5]
    assert [e.seq for e in store.audit.events(thread="A", since_seq=1)] == [2, 3]


def test_events_and_verify_page_through_long_logs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assistant.storage.audit._PAGE", 4)
    fill(store, 10)
    assert [e.seq for e in store.audit.events()] == list(range(1, 11))
    assert [e.seq for e in store.audit.events(since_seq=4)] == list(range(5, 11))
    assert store.audit.verify().checked == 10


def test_tail_returns_newest_oldest_first(store: Store) -> None:
    fill(store, 4, thread="A")
    fill(store, 2, thread="B")
    assert [e.seq for e in store.audit.tail(3)] == [4, 5, 6]
    assert [e.seq for e in store.audit.tail(2, thread="A")] == [3, 4]
    assert store.audit.tail(0) == []


def test_export_jsonl_writes_one_event_per_line(store: Store) -> None:
    events = fill(store, 3)
    out = io.StringIO()
    assert store.audit.export_jsonl(out).count == 3
    lines = out.getvalue().splitlines()
    assert [AuditEvent.model_validate_json(line) for line in lines] == events
    exported = AuditEvent.model_validate_json(lines[1])
    fields = exported.model_dump(exclude={"prev_hash", "hash"})
    assert event_hash(exported.prev_hash, **fields) == exported.hash


def test_kind_must_be_a_lower_case_word(store: Store) -> None:
    with pytest.raises(ValueError, match="audit kind"):
        store.audit.append("Drop Table", actor=None, thread=None, payload={})


def test_redaction_happens_before_hashing_and_storage(
    store: Store, raw_db: RawDatabase, redaction: FakeRedaction
) -> None:
    secret = redaction.secret
    event = store.audit.append(
        "tool_call",
        actor=f"U-{secret}",
        thread=f"T-{secret}",
        payload={"output": f"password={secret}", "lines": [f"token {secret}"]},
    )
    assert secret not in event.model_dump_json()
    assert event.payload == {"output": f"password={redaction.mask}",
                             "lines": [f"token {redaction.mask}"]}
    assert store.audit.verify().ok
    assert_secret_absent(raw_db, secret, "audit_events")


def assert_secret_absent(raw_db: RawDatabase, secret: str, table: str) -> None:
    """Looks at the bytes SQLite wrote (database and WAL), or at Postgres's rows as text."""
    if raw_db.sqlite_path is not None:
        files = [p for p in raw_db.sqlite_path.parent.iterdir()
                 if p.name.startswith(raw_db.sqlite_path.name)]
        assert files
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
    else:
        rows = raw_db.query(f"SELECT t::text FROM {table} t")
        assert rows
        assert all(secret not in row[0] for row in rows)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET payload = '{}' WHERE seq = 1",
    "DELETE FROM audit_events WHERE seq = 1",
])
def test_guard_trigger_rejects_update_and_delete(
    store: Store, raw_db: RawDatabase, statement: str
) -> None:
    fill(store, 2)
    with pytest.raises(Exception, match="append-only"):
        raw_db.execute(statement)
    assert store.audit.verify().ok


def test_postgres_guard_rejects_truncate(postgres_url: str, redaction: FakeRedaction) -> None:
    with open_store(postgres_url, redaction.redact) as pg_store:
        fill(pg_store, 1)
        raw = RawDatabase("postgres", postgres_url, None)
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            raw.execute("TRUNCATE audit_events")
        assert pg_store.audit.verify().ok


TAMPERING = {
    "edited-payload": (
        ["""UPDATE audit_events SET payload = '{"n":99}' WHERE seq = 3"""],
        3, "contents do not match its hash",
    ),
    "edited-actor": (
        ["UPDATE audit_events SET actor = 'U-someone-else' WHERE seq = 2"],
        2, "contents do not match its hash",
    ),
    "deleted-middle": (["DELETE FROM audit_events WHERE seq = 2"], 2, "event 2 is missing"),
    "deleted-newest": (
        ["DELETE FROM audit_events WHERE seq >= 4"], 4, "events 4..5 are missing",
    ),
    "reordered": (
        ["UPDATE audit_events SET seq = 1000 WHERE seq = 3",
         "UPDATE audit_events SET seq = 3 WHERE seq = 4",
         "UPDATE audit_events SET seq = 4 WHERE seq = 1000"],
        3, "prev_hash does not match the hash of event 2",
    ),
    "undecodable": (
        ["UPDATE audit_events SET payload = 'not json' WHERE seq = 5"], 5, "no longer decodes",
    ),
}


@pytest.mark.parametrize("case", TAMPERING.keys())
def test_tampering_is_found_at_the_first_bad_seq(
    store: Store, raw_db: RawDatabase, case: str
) -> None:
    statements, bad_seq, problem = TAMPERING[case]
    fill(store, 5)
    raw_db.drop_audit_guard()
    for statement in statements:
        raw_db.execute(statement)
    report = store.audit.verify()
    assert not report.ok
    assert report.first_bad_seq == bad_seq
    assert report.checked == bad_seq - 1
    assert problem in (report.problem or "")
    assert f"BROKEN at seq {bad_seq}" in report.summary()


def test_rewritten_event_with_recomputed_hash_breaks_the_next_link(
    store: Store, raw_db: RawDatabase
) -> None:
    fill(store, 5)
    third = next(e for e in store.audit.events() if e.seq == 3)
    forged = third.model_copy(update={"payload": {"n": 42}})
    forged_hash = event_hash(forged.prev_hash, **forged.model_dump(exclude={"prev_hash",
                                                                             "hash"}))
    raw_db.drop_audit_guard()
    raw_db.execute("UPDATE audit_events SET payload = ?, hash = ? WHERE seq = 3",
                   (json.dumps({"n": 42}), forged_hash))
    report = store.audit.verify()
    assert report.first_bad_seq == 4
    assert "prev_hash does not match the hash of event 3" in (report.problem or "")


def test_event_inserted_behind_the_logs_back_is_found(store: Store, raw_db: RawDatabase) -> None:
    fill(store, 2)
    last = store.audit.tail(1)[0]
    forged_hash = event_hash(last.hash, seq=3, time=last.time, kind="approval", actor="U9",
                             thread="T1", payload={})
    raw_db.execute(
        "INSERT INTO audit_events (seq, time, kind, actor, thread, payload, prev_hash, hash) "
        "SELECT 3, time, 'approval', 'U9', 'T1', '{}', hash, ? FROM audit_events WHERE seq = 2",
        (forged_hash,),
    )
    report = store.audit.verify()
    assert report.first_bad_seq == 3
    assert "beyond the chain head" in (report.problem or "")
