"""The append-only, hash-chained audit log (safety invariant 4)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any, TextIO

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from assistant.models import AuditEvent, canonical_json
from assistant.storage.chain import (
    ChainHead,
    UnreadableEvent,
    VerifyReport,
    check_chain,
    event_hash,
)
from assistant.storage.database import Database, Dialect, Transaction
from assistant.storage.timestamps import db_time, parse_db_time

Redact = Callable[[Any], Any]

_PAGE = 1000
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_COLUMNS = "seq, time, kind, actor, thread, payload, prev_hash, hash"


class AuditKind(StrEnum):
    """The kinds the engine writes; other lower-case kinds are accepted too."""

    QUESTION = "question"
    RETRIEVAL = "retrieval"
    TOOL_CALL = "tool_call"
    PROPOSAL = "proposal"
    DECISION = "decision"
    APPROVAL = "approval"
    DENIAL = "denial"
    EXECUTION = "execution"
    VERIFICATION = "verification"
    ANSWER = "answer"
    INTERRUPTED = "interrupted"
    POLICY = "policy"
    ERROR = "error"


class AuditLog:
    """Append, read and verify. There is deliberately no way to change or remove an event."""

    def __init__(self, db: Database, redact: Redact, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._redact = redact
        self._clock = clock
        self._lock_head = " FOR UPDATE" if db.dialect is Dialect.POSTGRES else ""

    def append(
        self,
        kind: str,
        *,
        actor: str | None,
        thread: str | None,
        payload: dict[str, Any],
    ) -> AuditEvent:
        """Redact, then seal and store one event as the new end of the chain.

        The payload may hold pydantic models, datetimes and enums; it is stored as JSON.
        """
        if not _KIND.match(kind):
            raise ValueError(f"audit kind {kind!r} must be a lower-case word such as 'proposal'")
        # Redaction comes first: nothing unredacted is hashed, stored or returned.
        stored_payload = self._redacted_payload(payload)
        stored_actor = self._redact_text(actor)
        stored_thread = self._redact_text(thread)
        payload_text = canonical_json(stored_payload)
        with self._db.write() as tx:
            row = tx.one(f"SELECT seq, hash FROM audit_head WHERE id = 1{self._lock_head}")
            if row is None:
                raise RuntimeError("audit_head row is missing: the schema was tampered with")
            head_seq, head_hash = int(row[0]), str(row[1])
            fields: dict[str, Any] = {
                "seq": head_seq + 1,
                # Taken under the lock so that times never go backwards along seq.
                "time": self._clock(),
                "kind": kind,
                "actor": stored_actor,
                "thread": stored_thread,
                "payload": json.loads(payload_text),
            }
            event = AuditEvent(
                **fields, prev_hash=head_hash, hash=event_hash(head_hash, **fields)
            )
            tx.execute(
                f"INSERT INTO audit_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (event.seq, db_time(event.time), event.kind, event.actor, event.thread,
                 payload_text, event.prev_hash, event.hash),
            )
            tx.execute(
                "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (event.seq, event.hash)
            )
        return event

    def _redacted_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            plain = to_jsonable_python(payload)
        except PydanticSerializationError as exc:
            raise TypeError(f"audit payload is not JSON-serialisable: {exc}") from exc
        redacted = self._redact(plain)
        if not isinstance(redacted, dict):
            raise TypeError(f"audit payload must be a mapping, got {type(redacted).__name__}")
        return redacted

    def _redact_text(self, text: str | None) -> str | None:
        return None if text is None else str(self._redact(text))

    def events(self, thread: str | None = None, since_seq: int = 0) -> Iterator[AuditEvent]:
        """Events with seq > since_seq in seq order, read a page at a time."""
        thread_filter = self._redact_text(thread)

        def page_after(after: int) -> list[tuple[Any, ...]]:
            with self._db.read() as tx:
                return self._page(tx, after, thread_filter)

        for row in _rows_after(since_seq, page_after):
            yield _to_event(row)

    def tail(self, n: int = 20, thread: str | None = None) -> list[AuditEvent]:
        """The newest n events, oldest first."""
        if n <= 0:
            return []
        where, params = _thread_clause(self._redact_text(thread))
        with self._db.read() as tx:
            rows = tx.all(
                f"SELECT {_COLUMNS} FROM audit_events {where} ORDER BY seq DESC LIMIT ?",
                (*params, n),
            )
        return [_to_event(row) for row in reversed(rows)]

    def export_jsonl(self, fp: TextIO) -> int:
        """One AuditEvent JSON object per line, in seq order; returns how many."""
        count = 0
        for event in self.events():
            fp.write(event.model_dump_json())
            fp.write("\n")
            count += 1
        return count

    def verify(self) -> VerifyReport:
        """Check the whole chain in one consistent snapshot of the database."""
        with self._db.read() as tx:
            row = tx.one("SELECT seq, hash FROM audit_head WHERE id = 1")
            head = ChainHead(int(row[0]), str(row[1])) if row else ChainHead(0, "")
            return check_chain(self._all_in_snapshot(tx), head)

    def _all_in_snapshot(self, tx: Transaction) -> Iterator[AuditEvent | UnreadableEvent]:
        for row in _rows_after(0, lambda after: self._page(tx, after, None)):
            yield _to_event_or_unreadable(row)

    @staticmethod
    def _page(tx: Transaction, after: int, thread: str | None) -> list[tuple[Any, ...]]:
        where, params = _thread_clause(thread)
        where = f"{where} AND seq > ?" if where else "WHERE seq > ?"
        return tx.all(
            f"SELECT {_COLUMNS} FROM audit_events {where} ORDER BY seq LIMIT {_PAGE}",
            (*params, after),
        )


def _rows_after(
    seq: int, page_after: Callable[[int], list[tuple[Any, ...]]]
) -> Iterator[tuple[Any, ...]]:
    """Rows with seq > ``seq``, fetched a page at a time (keyset paging on seq)."""
    while True:
        page = page_after(seq)
        yield from page
        if len(page) < _PAGE:
            return
        seq = int(page[-1][0])


def _thread_clause(thread: str | None) -> tuple[str, tuple[Any, ...]]:
    return ("WHERE thread = ?", (thread,)) if thread is not None else ("", ())


def _to_event(row: tuple[Any, ...]) -> AuditEvent:
    seq, time, kind, actor, thread, payload, prev_hash, hash_ = row
    return AuditEvent(
        seq=int(seq),
        time=parse_db_time(time),
        kind=kind,
        actor=actor,
        thread=thread,
        payload=json.loads(payload),
        prev_hash=prev_hash,
        hash=hash_,
    )


def _to_event_or_unreadable(row: tuple[Any, ...]) -> AuditEvent | UnreadableEvent:
    try:
        return _to_event(row)
    except (ValueError, TypeError, ValidationError) as exc:
        # json and datetime parse errors are ValueErrors; a non-object payload fails
        # AuditEvent validation.
        return UnreadableEvent(int(row[0]), f"the stored row no longer decodes (edited): {exc}")
