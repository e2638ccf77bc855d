"""The store: one database holding the audit log, proposals, executors and thread messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

from assistant.storage.audit import AuditLog
from assistant.storage.chain import AuditKey
from assistant.storage.database import WAIT_SECONDS, Database, Dialect, parse_db_url
from assistant.storage.executors import ExecutorRegistry
from assistant.storage.messages import MessageStore
from assistant.storage.proposals import ProposalStore
from assistant.storage.schema import migrate
from assistant.storage.timestamps import utc_now
from assistant.storage.verifications import VerificationStore


class Store:
    def __init__(self, db: Database, redact: Callable[[Any], Any],
                 clock: Callable[[], datetime], audit_key: AuditKey | None = None) -> None:
        self._db = db
        self.audit = AuditLog(db, redact, clock, audit_key)
        self.proposals = ProposalStore(db, redact)
        self.messages = MessageStore(db, redact)
        self.executors = ExecutorRegistry(db)
        self.verifications = VerificationStore(db)

    @property
    def dialect(self) -> Dialect:
        return self._db.dialect

    @property
    def open_connections(self) -> int:
        """Connections held: one per live thread (SQLite), the pool's (PostgreSQL)."""
        return self._db.open_connections

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Whatever the block stores (audit events, messages, proposals) is committed
        together, with one disk sync, or not at all. Keep the block to the writes: the
        database's write lock is held until it ends."""
        with self._db.write():
            yield

    def ping(self, timeout: float) -> None:
        """Raise DatabaseUnavailableError unless the database answers within about
        ``timeout`` seconds (PostgreSQL; SQLite readers do not wait for writers)."""
        with self._db.read(timeout) as tx:
            tx.one("SELECT 1")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(
    db_url: str,
    redact: Callable[[Any], Any],
    *,
    clock: Callable[[], datetime] = utc_now,
    audit_key: AuditKey | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> Store:
    """Open (and create or upgrade the schema of) the database at ``db_url``.

    ``redact`` is applied to everything the store keeps that could carry a secret; pass
    ``assistant.redaction.Redactor().redact_value``. ``clock`` stamps audit events.
    ``audit_key`` seals them (``assistant.storage.audit_key.audit_key_for(settings)``).
    ``wait_seconds`` bounds each operation's wait for a lock or a connection.
    """
    db = Database(parse_db_url(db_url), wait_seconds=wait_seconds)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return Store(db, redact, clock, audit_key)
