"""The store and the checkpointer outlive a PostgreSQL restart, and an outage is one clear
error that ends when the database is back."""

from __future__ import annotations

import time

import pytest
from conftest import FakeRedaction, PostgresServer
from langgraph.checkpoint.base import empty_checkpoint

from assistant.storage import DatabaseUnavailableError, open_checkpointer, open_store

pytestmark = pytest.mark.pg_restart


def _put(saver: object, thread: str) -> None:
    checkpoint = empty_checkpoint()
    saver.put({"configurable": {"thread_id": thread, "checkpoint_ns": ""}},  # type: ignore[attr-defined]
              checkpoint, {"source": "input", "step": 0}, {})


def test_store_and_checkpointer_work_right_after_a_restart(
        postgres_url: str, postgres_server: PostgresServer, redaction: FakeRedaction) -> None:
    with open_store(postgres_url, redaction.redact) as store, \
            open_checkpointer(postgres_url) as saver:
        store.audit.append("question", actor="U1", thread="T", payload={})
        _put(saver, "T")

        postgres_server.restart()

        # The first operations after the restart succeed: no request pays for the
        # connections the restart cut.
        store.audit.append("question", actor="U1", thread="T", payload={"after": True})
        _put(saver, "T2")
        assert saver.get_tuple({"configurable": {"thread_id": "T2"}}) is not None
        assert store.audit.verify().checked == 2


def test_an_outage_is_a_database_unavailable_error_until_the_database_is_back(
        postgres_url: str, postgres_server: PostgresServer, redaction: FakeRedaction) -> None:
    with open_store(postgres_url, redaction.redact, wait_seconds=1.0) as store:
        store.audit.append("question", actor="U1", thread="T", payload={})
        with postgres_server.stopped():
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailableError, match="is unavailable"):
                store.audit.append("question", actor="U1", thread="T", payload={})
            waited = time.monotonic() - started
            with pytest.raises(DatabaseUnavailableError):
                store.ping(0.5)
        store.ping(5.0)
        store.audit.append("question", actor="U1", thread="T", payload={"after": True})
        assert store.audit.verify().checked == 2
    print(f"outage noticed after {waited:.2f} s (wait_seconds=1.0)")
