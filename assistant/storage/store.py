"""The store: one database holding the audit log, proposals, executors and thread messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from assistant.storage.audit import AuditLog
from assistant.storage.chain import AuditKey
from assistant.storage.database import Database, Dialect, parse_db_url
from assistant.storage.executors import ExecutorRegistry
from assistant.storage.messages import MessageStore
from assistant.storage.proposals import ProposalStore
from assistant.storage.schema import migrate
from assistant.storage.timestamps import utc_now


class Store:
    def __init__(self, db: Database, redact: Callable[[Any], Any],
                 clock: Callable[[], datetime], audit_key: AuditKey | None = None) -> None:
        self._db = db
        self.audit = AuditLog(db, redact, clock, audit_key)
        self.proposals = ProposalStore(db, redact)
        self.messages = MessageStore(db, redact)
        self.executors = ExecutorRegistry(db)

    @property
    def dialect(self) -> Dialect:
        return self._db.dialect

    @property
    def open_connections(self) -> int:
        """Connections held for live threads (one per thread that used the store)."""
        return self._db.open_connections

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
) -> Store:
    """Open (and create or upgrade the schema of) the database at ``db_url``.

    ``redact`` is applied to everything the store keeps that could carry a secret; pass
    ``assistant.redaction.Redactor().redact_value``. ``clock`` stamps audit events.
    ``audit_key`` seals them (``assistant.storage.audit_key.audit_key_for(settings)``).
    """
    db = Database(parse_db_url(db_url))
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return Store(db, redact, clock, audit_key)
