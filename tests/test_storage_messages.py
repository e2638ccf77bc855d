"""Thread messages are kept in order, per thread, and redacted before they are written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import FakeRedaction, RawDatabase

from assistant.storage import Store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_messages_list_in_order_per_thread(store: Store) -> None:
    first = store.messages.add("T1", "U-ALICE", "checkout is down", T0)
    store.messages.add("T2", "U-BOB", "other thread", T0)
    second = store.messages.add("T1", "opsbot", "rolling back", T0 + timedelta(seconds=5))
    assert store.messages.list("T1") == [first, second]
    assert [m.text for m in store.messages.list("T2")] == ["other thread"]
    assert store.messages.list("T3") == []
    assert first.id < second.id


def test_message_text_is_redacted_before_storage(
    store: Store, redaction: FakeRedaction, raw_db: RawDatabase
) -> None:
    message = store.messages.add("T1", "U-ALICE", f"db password is {redaction.secret}", T0)
    assert message.text == f"db password is {redaction.mask}"
    assert store.messages.list("T1")[0].text == message.text
    rows = raw_db.query("SELECT text FROM messages")
    assert rows and all(redaction.secret not in row[0] for row in rows)
