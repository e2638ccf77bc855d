"""Connections and transactions for SQLite and PostgreSQL behind one small interface.

Every thread gets its own connection: sqlite3 and psycopg connections are not meant to be
shared by concurrent threads, and the chain and claim guarantees rely on each writer
holding its own transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from assistant.errors import InputError
from assistant.storage.errors import StorageError

# Long enough to ride out a burst of concurrent writers, short enough to surface a stuck lock.
BUSY_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: Dialect
    target: str  # a file path for SQLite, a libpq conninfo URL for PostgreSQL
    display: str  # the URL without any password, for messages


def parse_db_url(url: str) -> DatabaseUrl:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path or path == ":memory:":
            raise InputError(
                "SQLite needs a file path (an in-memory database is private to one "
                "connection and would lose the audit log)",
                field="db_url",
            )
        return DatabaseUrl(Dialect.SQLITE, path, url)
    if url.startswith(("postgresql://", "postgres://")):
        return DatabaseUrl(Dialect.POSTGRES, url, _without_password(url))
    raise InputError(
        f"unsupported database URL {_without_password(url)!r}: expected sqlite:///PATH "
        "or postgresql://...",
        field="db_url",
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Transaction:
    """SQL with ``?`` placeholders, whatever the driver's own style."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        if self._dialect is Dialect.POSTGRES:
            # Without parameters psycopg leaves the text alone (plpgsql bodies contain %).
            self._cursor.execute(sql.replace("?", "%s") if params else sql, params or None)
        else:
            self._cursor.execute(sql, params)
        return int(self._cursor.rowcount)

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self.execute(sql, params)
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.execute(sql, params)
        return [tuple(row) for row in self._cursor.fetchall()]


class Database:
    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self._local = threading.local()
        self._connections: list[tuple[threading.Thread, Any]] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def dialect(self) -> Dialect:
        return self.url.dialect

    def _connection(self) -> Any:
        if self._closed:
            raise StorageError(f"the store for {self.url.display} is closed")
        conn = getattr(self._local, "conn", None)
        if conn is not None and not _is_broken(conn):
            return conn
        conn = self._connect()
        self._local.conn = conn
        me = threading.current_thread()
        # Threads come and go (request handlers); close what finished threads left behind
        # so a long-running process does not pile up PostgreSQL connections.
        with self._lock:
            stale = [c for thread, c in self._connections if not thread.is_alive()]
            self._connections = [
                (thread, c) for thread, c in self._connections if thread.is_alive()
            ]
            self._connections.append((me, conn))
        for old in stale:
            old.close()
        return conn

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def _connect(self) -> Any:
        if self.dialect is Dialect.SQLITE:
            return connect_sqlite(self.url.target)
        try:
            return psycopg.connect(
                self.url.target, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
        except psycopg.OperationalError as exc:
            raise StorageError(f"cannot connect to {self.url.display}: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A transaction that holds the database's write lock (SQLite) from its start."""
        conn = self._connection()
        if self.dialect is Dialect.POSTGRES:
            with conn.transaction(), conn.cursor() as cur:
                yield Transaction(cur, self.dialect)
            return
        # BEGIN IMMEDIATE takes the write lock up front; a deferred BEGIN that later
        # upgrades can fail with SQLITE_BUSY without waiting for the busy timeout.
        with _sqlite_transaction(conn, "BEGIN IMMEDIATE") as cur:
            yield Transaction(cur, self.dialect)

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A read-only transaction that sees one snapshot for all its statements."""
        conn = self._connection()
        if self.dialect is Dialect.POSTGRES:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield Transaction(cur, self.dialect)
            return
        with _sqlite_transaction(conn, "BEGIN") as cur:
            yield Transaction(cur, self.dialect)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for _thread, conn in connections:
            conn.close()


def connect_sqlite(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN ourselves), WAL, busy timeout."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        # Each connection is used by the thread that made it; close() may run elsewhere.
        check_same_thread=False,
    )
    # Switching modes needs a moment of exclusive access; skip it when already in WAL.
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode=WAL")
    return conn


@contextmanager
def _sqlite_transaction(conn: sqlite3.Connection, begin: str) -> Iterator[sqlite3.Cursor]:
    cur = conn.cursor()
    cur.execute(begin)
    try:
        yield cur
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    else:
        cur.execute("COMMIT")
    finally:
        cur.close()


def _is_broken(conn: Any) -> bool:
    return bool(getattr(conn, "broken", False))
