"""A thread's chat messages, kept for planner context and incident summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.storage.audit import Redact
from assistant.storage.database import Database
from assistant.storage.timestamps import db_time, parse_db_time


@dataclass(frozen=True)
class Message:
    id: int
    thread_id: str
    author: str
    text: str  # redacted
    at: datetime


class MessageStore:
    def __init__(self, db: Database, redact: Redact) -> None:
        self._db = db
        self._redact = redact

    def add(self, thread_id: str, author: str, text: str, at: datetime) -> Message:
        """Store one message; its text is redacted before it is written."""
        redacted = str(self._redact(text))
        with self._db.write() as tx:
            # RETURNING works on both databases (SQLite since 3.35).
            row = tx.one(
                "INSERT INTO messages (thread_id, author, text, at) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (thread_id, author, redacted, db_time(at)),
            )
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no id")
        return Message(int(row[0]), thread_id, author, redacted, at)

    def list(self, thread_id: str) -> list[Message]:
        """The thread's messages in the order they were added."""
        with self._db.read() as tx:
            rows = tx.all(
                "SELECT id, author, text, at FROM messages WHERE thread_id = ? ORDER BY id",
                (thread_id,),
            )
        return [
            Message(int(mid), thread_id, author, text, parse_db_time(at))
            for mid, author, text, at in rows
        ]
