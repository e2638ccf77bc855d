"""A batch of audit records is stored when its block ends: chained, sealed and redacted
event by event, contiguous in the chain, and never lost to an error inside the block."""

from __future__ import annotations

import itertools
import threading

import pytest
from conftest import FakeRedaction

from assistant.storage import Store


def record_reads(store: Store, thread: str, count: int) -> None:
    for n in range(count):
        store.audit.record("tool_call", actor="U7", thread=thread,
                           payload={"call": {"tool": "list_pods", "n": n}})


def test_records_wait_for_the_end_of_the_batch_then_verify_sealed(
        sealed_store: Store) -> None:
    with sealed_store.audit.batch():
        record_reads(sealed_store, "inc-9", 4)
        assert sealed_store.audit.tail(10) == []
    events = sealed_store.audit.tail(10)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.payload["call"]["n"] for e in events] == [0, 1, 2, 3]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    report = sealed_store.audit.verify()
    assert report.ok, report.summary()
    assert report.sealed == 4
    assert sealed_store.audit.head().seq == 4


def test_a_batch_stays_contiguous_while_another_thread_appends(store: Store) -> None:
    with store.audit.batch():
        record_reads(store, "inc-1", 2)
        other = threading.Thread(target=record_reads, args=(store, "inc-2", 1))
        other.start()
        other.join()
        record_reads(store, "inc-1", 1)
    assert [(e.seq, e.thread) for e in store.audit.tail(10)] == [
        (1, "inc-2"), (2, "inc-1"), (3, "inc-1"), (4, "inc-1")]
    assert store.audit.verify().ok


def test_a_failing_block_still_stores_what_it_recorded(store: Store) -> None:
    with pytest.raises(RuntimeError, match="backend went away"), store.audit.batch():
        record_reads(store, "inc-3", 2)
        raise RuntimeError("backend went away")
    assert [e.seq for e in store.audit.tail(10)] == [1, 2]
    assert store.audit.verify().ok


def test_append_in_a_batch_is_stored_at_once_and_a_nested_batch_joins(store: Store) -> None:
    with store.audit.batch():
        record_reads(store, "inc-4", 1)
        with store.audit.batch():
            record_reads(store, "inc-4", 1)
        assert store.audit.tail(10) == []
        written = store.audit.append("answer", actor=None, thread="inc-4", payload={})
        assert written.seq == 1
    assert [e.kind for e in store.audit.tail(10)] == ["answer", "tool_call", "tool_call"]
    assert store.audit.verify().ok


def test_a_record_is_checked_and_redacted_when_made(store: Store,
                                                    redaction: FakeRedaction) -> None:
    with store.audit.batch():
        with pytest.raises(ValueError, match="audit kind"):
            store.audit.record("Tool Call", actor=None, thread=None, payload={})
        store.audit.record("tool_call", actor="U7", thread="inc-5",
                           payload={"output": f"password={redaction.secret}"})
    (event,) = store.audit.tail(10)
    assert event.payload == {"output": f"password={redaction.mask}"}
