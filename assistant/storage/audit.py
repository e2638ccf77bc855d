"""The append-only, hash-chained audit log (safety invariant 4)."""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TextIO

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from assistant.models import AuditEvent, canonical_json
from assistant.storage.chain import (
    GENESIS_HASH,
    AuditKey,
    ChainHead,
    ChainSegment,
    StoredEvent,
    UnreadableEvent,
    VerifyReport,
    check_chain,
    event_hash,
    seal_key_id,
)
from assistant.storage.database import Database, Dialect, Transaction
from assistant.storage.errors import StorageError
from assistant.storage.timestamps import db_time, parse_db_time
from assistant.telemetry.correlation import correlation_id

log = logging.getLogger(__name__)

Redact = Callable[[Any], Any]

_PAGE = 1000
CORRELATION_FIELD = "correlation_id"
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_COLUMNS = "seq, time, kind, actor, thread, payload, prev_hash, hash"
# What verify() needs to exist before it reads anything: a dropped table or column is
# tampering to report, not a crash.
_REQUIRED = {"audit_events": (*_COLUMNS.split(", "), "seal"), "audit_head": ("seq", "hash", "seal")}


@dataclass(frozen=True)
class _Entry:
    """An event redacted and ready to chain: everything but its place in the chain."""

    kind: str
    actor: str | None
    thread: str | None
    payload_text: str  # canonical JSON


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
    NOT_PROPOSED = "not_proposed"
    CONTESTED = "contested"  # proposed on the asker's order against the evidence
    INTERRUPTED = "interrupted"
    POLICY = "policy"
    ERROR = "error"


class AuditLog:
    """Append, read and verify. There is deliberately no way to change or remove an event.

    With ``key`` every appended event and the head are sealed (chain.py says why). Without
    one, events are hash-chained only, and appending to a log that a key has sealed is
    refused: an unsealed event there is indistinguishable from a forged one.
    """

    def __init__(self, db: Database, redact: Redact, clock: Callable[[], datetime],
                 key: AuditKey | None = None) -> None:
        self._db = db
        self._batch = threading.local()
        self._redact = redact
        self._clock = clock
        self._key = key
        self._lock_head = " FOR UPDATE" if db.dialect is Dialect.POSTGRES else ""
        self._observers: list[Callable[[AuditEvent], None]] = []

    def append(
        self,
        kind: str,
        *,
        actor: str | None,
        thread: str | None,
        payload: dict[str, Any],
    ) -> AuditEvent:
        """Redact, then seal and store one event as the new end of the chain, now (even
        inside a batch).

        The payload may hold pydantic models, datetimes and enums; it is stored as JSON.
        While a question or click is being handled, its correlation id is added to the
        payload as ``correlation_id``, the id its log lines carry.
        """
        return self._write([self._entry(kind, actor, thread, payload)])[0]

    def record(
        self,
        kind: str,
        *,
        actor: str | None,
        thread: str | None,
        payload: dict[str, Any],
    ) -> None:
        """Like append(), but inside this thread's batch() the event joins the batch."""
        entry = self._entry(kind, actor, thread, payload)
        pending: list[_Entry] | None = getattr(self._batch, "entries", None)
        if pending is None:
            self._write([entry])
        else:
            pending.append(entry)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Events record()ed by this thread inside the block are stored together when it
        ends, however it ends: one transaction and one disk sync for a run of reads.

        Each event is still redacted when recorded and chained and sealed on its own;
        their times are when the batch is stored. Keep a batch to work that has no effect
        outside the process (reads), so nothing derived from it is seen before its record
        is. A batch inside a batch joins it.
        """
        if getattr(self._batch, "entries", None) is not None:
            yield
            return
        self._batch.entries = []
        try:
            yield
        finally:
            entries, self._batch.entries = self._batch.entries, None
            if entries:
                self._write(entries)

    def _entry(self, kind: str, actor: str | None, thread: str | None,
               payload: dict[str, Any]) -> _Entry:
        if not _KIND.match(kind):
            raise ValueError(f"audit kind {kind!r} must be a lower-case word such as 'proposal'")
        cid = correlation_id()
        if cid is not None and CORRELATION_FIELD not in payload:
            payload = {**payload, CORRELATION_FIELD: cid}
        # Redaction comes first: nothing unredacted is hashed, stored or returned.
        payload_text = canonical_json(self._redacted_payload(payload))
        return _Entry(kind, self._redact_text(actor), self._redact_text(thread), payload_text)

    def _write(self, entries: Sequence[_Entry]) -> list[AuditEvent]:
        """Chain, seal and store ``entries`` in order in one transaction."""
        events: list[AuditEvent] = []
        key = self._key
        with self._db.write() as tx:
            head = _read_head(tx, self._lock_head)
            if head is None:
                raise RuntimeError("audit_head row is missing: the schema was tampered with")
            self._check_head_before_append(tx, head)
            seq, prev_hash = head.seq, head.hash
            for entry in entries:
                seq += 1
                fields: dict[str, Any] = {
                    "seq": seq,
                    # Taken under the lock so that times never go backwards along seq.
                    "time": self._clock(),
                    "kind": entry.kind,
                    "actor": entry.actor,
                    "thread": entry.thread,
                    "payload": json.loads(entry.payload_text),
                }
                event = AuditEvent(**fields, prev_hash=prev_hash,
                                   hash=event_hash(prev_hash, **fields))
                tx.execute(
                    f"INSERT INTO audit_events ({_COLUMNS}, seal) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (event.seq, db_time(event.time), event.kind, event.actor, event.thread,
                     entry.payload_text, event.prev_hash, event.hash,
                     key.seal_event(event.hash) if key else None),
                )
                events.append(event)
                prev_hash = event.hash
            tx.execute(
                "UPDATE audit_head SET seq = ?, hash = ?, seal = ? WHERE id = 1",
                (seq, prev_hash, key.seal_head(seq, prev_hash) if key else None),
            )
        # Inside a larger write, observers hear of the events once they are committed.
        self._db.after_commit(lambda: self._notify(events))
        return events

    def _notify(self, events: Sequence[AuditEvent]) -> None:
        for event in events:
            for observer in self._observers:
                try:
                    observer(event)
                except Exception:
                    # Telemetry must never undo or fail what the log has already recorded.
                    log.warning("audit observer %r failed on event %d", observer, event.seq,
                                exc_info=True)

    def subscribe(self, observer: Callable[[AuditEvent], None]) -> None:
        """Call ``observer`` with each event this process appends, once it is stored."""
        self._observers.append(observer)

    def check_writable(self) -> None:
        """Raise StorageError now, not at the first event, if append() would refuse: a
        replica started with another key (or none) is told so when it starts."""
        with self._db.read() as tx:
            head = _read_head(tx)
            if head is not None:
                self._check_head_before_append(tx, head)

    def _check_head_before_append(self, tx: Transaction, head: ChainHead) -> None:
        """Refuse to extend a head this process cannot vouch for: sealing a new head over a
        moved-back one would launder the truncation it hides."""
        key = self._key
        if head.seal is None:
            if key is None or head.seq == 0:
                return
            row = tx.one("SELECT seal FROM audit_events WHERE seq = ?", (head.seq,))
            if row is None or row[0] is None:
                return  # a log written before audit keys: this append starts sealing it
            raise StorageError(
                f"the audit head (seq {head.seq}) has lost its seal although the events are "
                "sealed: the log was truncated or tampered with; run `opsbot audit verify`")
        if key is None:
            raise StorageError(
                f"the audit log is sealed with audit key {seal_key_id(head.seal)} and this "
                "process has no audit key: set OPSBOT_AUDIT_KEY_FILE to that key")
        if seal_key_id(head.seal) != key.key_id:
            raise StorageError(
                f"the audit log is sealed with audit key {seal_key_id(head.seal)}, this "
                f"process holds {key.key_id} ({key.source}): give every process that writes "
                "this database the same OPSBOT_AUDIT_KEY_FILE")
        if not hmac.compare_digest(head.seal, key.seal_head(head.seq, head.hash)):
            raise StorageError(
                f"the audit head (seq {head.seq}) fails its seal: the log was truncated or "
                "tampered with; run `opsbot audit verify`")

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

    def export_jsonl(self, fp: TextIO, since_seq: int = 0) -> ExportedSegment:
        """The events after ``since_seq``, one AuditEvent JSON object per line in seq
        order, each checked against the chain before it is written: a broken link stops
        the export with AuditChainBroken after the good events before it."""
        previous = GENESIS_HASH if since_seq == 0 else self._hash_of(since_seq)
        segment = ChainSegment(since_seq, previous, self._key)
        count, last = 0, since_seq
        for stored in self._stored_after(since_seq):
            problem = segment.problem(stored)
            if problem:
                raise AuditChainBroken(f"export stopped after event {last}: {problem}; run "
                                       "`opsbot audit verify`")
            assert isinstance(stored, StoredEvent)  # an unreadable one is a problem
            fp.write(stored.event.model_dump_json())
            fp.write("\n")
            count, last = count + 1, stored.seq
        return ExportedSegment(count, last)

    def seq_before(self, time: datetime) -> int:
        """The seq of the last event before ``time`` (0: none), to export from ``time`` on;
        times never go backwards along seq, so the boundary is one point."""
        with self._db.read() as tx:
            row = tx.one("SELECT MAX(seq) FROM audit_events WHERE time < ?", (db_time(time),))
        return int(row[0]) if row and row[0] is not None else 0

    def _hash_of(self, seq: int) -> str:
        with self._db.read() as tx:
            row = tx.one("SELECT hash FROM audit_events WHERE seq = ?", (seq,))
        if row is None:
            head = self.head()
            if seq > head.seq:
                raise StorageError(f"the log ends at event {head.seq}; nothing after {seq} "
                                   "yet (export from an event the log holds)")
            raise AuditChainBroken(f"event {seq} is missing: deleted; run `opsbot audit verify`")
        return str(row[0])

    def _stored_after(self, since_seq: int) -> Iterator[StoredEvent | UnreadableEvent]:
        def page_after(after: int) -> list[tuple[Any, ...]]:
            with self._db.read() as tx:
                return self._page(tx, after, None)

        for row in _rows_after(since_seq, page_after):
            yield _to_event_or_unreadable(row)

    def head(self) -> ChainHead:
        """The recorded end of the chain, to hold outside the database as an anchor."""
        with self._db.read() as tx:
            missing = _missing_columns(tx, self._db.dialect)
            head = None if missing else _read_head(tx)
        if head is None:
            gone = ", ".join(missing) if missing else "the audit_head row"
            raise StorageError(f"{gone} missing from the database (dropped): the audit log "
                               "was tampered with; run `opsbot audit verify`")
        return head

    def verify(self, expect: ChainHead | None = None) -> VerifyReport:
        """Check the whole chain in one consistent snapshot of the database; ``expect`` is
        an earlier head held elsewhere, which the log must still contain."""
        with self._db.read() as tx:
            missing = _missing_columns(tx, self._db.dialect)
            if missing:
                return VerifyReport(
                    ok=False, checked=0, head=ChainHead(0, ""), first_bad_seq=1,
                    problem=f"{', '.join(missing)} missing from the database (dropped): "
                            "the log can no longer be read")
            head = _read_head(tx) or ChainHead(0, "")
            return check_chain(self._all_in_snapshot(tx), head, key=self._key, expect=expect)

    def _all_in_snapshot(self, tx: Transaction) -> Iterator[StoredEvent | UnreadableEvent]:
        for row in _rows_after(0, lambda after: self._page(tx, after, None)):
            yield _to_event_or_unreadable(row)

    @staticmethod
    def _page(tx: Transaction, after: int, thread: str | None) -> list[tuple[Any, ...]]:
        where, params = _thread_clause(thread)
        where = f"{where} AND seq > ?" if where else "WHERE seq > ?"
        return tx.all(
            f"SELECT {_COLUMNS}, seal FROM audit_events {where} ORDER BY seq LIMIT {_PAGE}",
            (*params, after),
        )


class AuditChainBroken(StorageError):
    """The stretch of the log being read does not hold together (see ChainSegment)."""


@dataclass(frozen=True)
class ExportedSegment:
    count: int
    last_seq: int  # where the next export continues (--since)


def _read_head(tx: Transaction, lock: str = "") -> ChainHead | None:
    row = tx.one(f"SELECT seq, hash, seal FROM audit_head WHERE id = 1{lock}")
    return ChainHead(int(row[0]), str(row[1]), row[2]) if row else None


def _missing_columns(tx: Transaction, dialect: Dialect) -> list[str]:
    """The required tables and columns that do not exist, as ``table`` or ``table.column``."""
    missing = []
    for table, columns in _REQUIRED.items():
        if dialect is Dialect.SQLITE:
            present = {row[1] for row in tx.all(f"PRAGMA table_info({table})")}
        else:
            present = {row[0] for row in tx.all(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?", (table,))}
        if not present:
            missing.append(table)
        else:
            missing += [f"{table}.{column}" for column in columns if column not in present]
    return missing


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
    seq, time, kind, actor, thread, payload, prev_hash, hash_ = row[:8]
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


def _to_event_or_unreadable(row: tuple[Any, ...]) -> StoredEvent | UnreadableEvent:
    try:
        return StoredEvent(_to_event(row), row[8])
    except (ValueError, TypeError, ValidationError) as exc:
        # json and datetime parse errors are ValueErrors; a non-object payload fails
        # AuditEvent validation.
        return UnreadableEvent(int(row[0]), f"the stored row no longer decodes (edited): {exc}")
