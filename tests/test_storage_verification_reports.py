"""A finished watch's outcome is reported once: listed until some process takes its report,
taken by exactly one of several callers, and never for a watch still open. Watches that
finished before reports were recorded count as reported after the upgrade."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FakeRedaction, RawDatabase
from proposal_records import T0, proposal, stored_before_makers

from assistant.models import HealthSnapshot, PendingVerification, Proposal, Watch
from assistant.storage import FinishedWatch, Store, open_store, schema


def _watched(store: Store, pid: str, watcher: str = "replica-a") -> None:
    p = proposal(pid, thread=f"T-{pid}")
    store.proposals.save(p, service="checkout", resource_key="prod/shop/deployment/checkout")
    _watch(store, p, watcher)


def _watch(store: Store, p: Proposal, watcher: str = "replica-a") -> None:
    store.verifications.start(PendingVerification(
        proposal_id=p.id, thread_id=p.thread_id, call=p.call,
        watch=Watch(namespace="shop", deployment="checkout"), before=HealthSnapshot(),
        started_at=T0, bound_seconds=300), watcher)


def test_a_finished_watch_is_reported_by_exactly_one_taker(store: Store) -> None:
    _watched(store, "P1")
    _watched(store, "P2")
    assert store.verifications.take_report("P1", T0) is None  # still being watched
    assert store.verifications.finish("P1", "replica-a", T0 + timedelta(minutes=5))
    assert store.verifications.finish("P2", "replica-a", T0 + timedelta(minutes=6),
                                      gave_up="apiserver unreachable")
    assert store.verifications.unreported() == [
        FinishedWatch("P1", "T-P1", None),
        FinishedWatch("P2", "T-P2", "apiserver unreachable")]
    takes = [store.verifications.take_report("P2", T0) for _ in range(3)]
    assert takes == [FinishedWatch("P2", "T-P2", "apiserver unreachable"), None, None]
    assert store.verifications.unreported() == [FinishedWatch("P1", "T-P1", None)]


def test_watches_finished_before_the_upgrade_count_as_reported(
        db_url: str, raw_db: RawDatabase, redaction: FakeRedaction,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before_reports = [m for m in schema.MIGRATIONS if m.version < 9]
    with monkeypatch.context() as previous:
        previous.setattr(schema, "MIGRATIONS", tuple(before_reports))
        with open_store(db_url, redaction.redact) as old:
            for pid in ("OLD", "OPEN"):
                stored_before_makers(raw_db, proposal(pid, thread=f"T-{pid}"))
                _watch(old, proposal(pid, thread=f"T-{pid}"))
            raw_db.execute("UPDATE verifications SET finished_at = ? WHERE proposal_id = ?",
                           ("2024-05-01T12:05:00.000000Z", "OLD"))
    with open_store(db_url, redaction.redact) as upgraded:
        assert upgraded.verifications.unreported() == []
        assert upgraded.verifications.take_report("OLD", T0) is None
        assert upgraded.verifications.finish("OPEN", "replica-a", T0)
        assert upgraded.verifications.unreported() == [FinishedWatch("OPEN", "T-OPEN", None)]
