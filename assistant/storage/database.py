"""Connections and transactions for SQLite and PostgreSQL behind one small interface.

Every transaction has a connection to itself: sqlite3 and psycopg connections are not meant
to be shared by concurrent threads, and the chain and claim guarantees rely on each writer
holding its own transaction. SQLite keeps one connection per thread. PostgreSQL connections
come from a pool that checks each one before lending it, so a server restart costs the
next transaction a reconnect instead of failing every later one.

A database that cannot be used now (PostgreSQL down or restarting, a SQLite lock held past
the wait) is a DatabaseUnavailableError, whichever driver noticed: callers answer it as an
outage, not as a bug.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from assistant.errors import InputError
from assistant.storage.errors import DatabaseUnavailableError, StorageError

# How long an operation waits for a SQLite lock or a PostgreSQL connection before it is an
# outage: long enough to ride out a burst of concurrent writers, short enough to surface a
# stuck lock or a database that is down.
WAIT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10
# Per process: the Slack workers, the dispatcher, the heartbeat and the sweeps each hold at
# most one connection at a time; more threads than this wait their turn.
POOL_MAX_SIZE = 10


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


def open_pool(url: DatabaseUrl, wait_seconds: float, **connection: Any) -> ConnectionPool[Any]:
    """A pool of autocommit connections to a PostgreSQL ``url``, each checked before use.

    Fails with a StorageError naming the URL when no connection can be made within
    ``wait_seconds`` (an outage at start-up is the operator's to fix, not to wait out).
    """
    # Any rows: their type follows the row_factory the caller passes in ``connection``.
    pool: ConnectionPool[Any] = ConnectionPool(
        url.target,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS, **connection},
        min_size=1,
        max_size=POOL_MAX_SIZE,
        timeout=wait_seconds,
        # A round trip per loan: connections a restart cut are dropped and replaced here
        # instead of failing the transaction that drew them.
        check=ConnectionPool.check_connection,
        name=url.display,
        open=False,
    )
    pool.open(wait=False)
    try:
        pool.wait(timeout=wait_seconds)
    except PoolTimeout as exc:
        pool.close()
        raise StorageError(f"cannot connect to {url.display}: {exc}") from None
    return pool


def unavailable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the database cannot be used right now; None for other errors.

    Drivers' own errors count too: LangGraph's savers raise them unwrapped.
    """
    if isinstance(exc, DatabaseUnavailableError):
        return str(exc)
    if isinstance(exc, psycopg.OperationalError | PoolTimeout):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, sqlite3.OperationalError) and any(
            word in str(exc) for word in ("locked", "busy", "unable to open", "disk I/O")):
        return str(exc)
    return None


class Database:
    def __init__(self, url: DatabaseUrl, *, wait_seconds: float = WAIT_SECONDS) -> None:
        self.url = url
        self.wait_seconds = wait_seconds
        self._local = threading.local()
        self._connections: list[tuple[threading.Thread, Any]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._pool = open_pool(url, wait_seconds) if url.dialect is Dialect.POSTGRES else None

    @property
    def dialect(self) -> Dialect:
        return self.url.dialect

    def _sqlite_connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"the store for {self.url.display} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = connect_sqlite(self.url.target, self.wait_seconds)
        self._local.conn = conn
        me = threading.current_thread()
        # Threads come and go (request handlers); close what finished threads left behind
        # so a long-running process does not pile up connections.
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
        """Connections held: one per live thread that used SQLite, the pool's for PostgreSQL."""
        if self._pool is not None:
            return int(self._pool.get_stats()["pool_size"])
        with self._lock:
            return len(self._connections)

    @contextmanager
    def _postgres_cursor(self, timeout: float | None = None) -> Iterator[Any]:
        if self._closed or self._pool is None:
            raise StorageError(f"the store for {self.url.display} is closed")
        with self._pool.connection(timeout) as conn, conn.transaction(), \
                conn.cursor() as cur:
            yield cur

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A transaction that holds the database's write lock (SQLite) from its start.

        A write (or read) opened inside another write on the same thread joins it as a
        savepoint: what the inner block wrote is undone if it raises, and nothing is
        committed, or synced to disk, until the outermost write ends. So several records
        that belong together cost one commit, and none is stored without the others.
        """
        joined: Transaction | None = getattr(self._local, "writing", None)
        if joined is not None:
            with _savepoint(joined, self._local):
                yield joined
            return
        with self._outage_as_error():
            self._local.after_commit = []
            try:
                with self._outermost_write() as tx:
                    self._local.writing = tx
                    try:
                        yield tx
                    finally:
                        self._local.writing = None
                committed: list[Callable[[], None]] = self._local.after_commit
            finally:
                self._local.after_commit = None
        for action in committed:
            action()

    @contextmanager
    def _outermost_write(self) -> Iterator[Transaction]:
        if self.dialect is Dialect.POSTGRES:
            with self._postgres_cursor() as cur:
                yield Transaction(cur, self.dialect)
            return
        # BEGIN IMMEDIATE takes the write lock up front; a deferred BEGIN that later
        # upgrades can fail with SQLITE_BUSY without waiting for the busy timeout.
        with _sqlite_transaction(self._sqlite_connection(), "BEGIN IMMEDIATE") as cur:
            yield Transaction(cur, self.dialect)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this thread's write is committed (now if none is open); a
        write that fails never runs it."""
        pending: list[Callable[[], None]] | None = getattr(self._local, "after_commit", None)
        if pending is None:
            action()
        else:
            pending.append(action)

    @contextmanager
    def read(self, timeout: float | None = None) -> Iterator[Transaction]:
        """A read-only transaction that sees one snapshot for all its statements.

        Inside a write on the same thread it reads in that write, seeing what it wrote.
        ``timeout`` bounds the wait for a PostgreSQL connection (default: the store's wait).
        """
        joined: Transaction | None = getattr(self._local, "writing", None)
        if joined is not None:
            yield joined
            return
        with self._outage_as_error():
            if self.dialect is Dialect.POSTGRES:
                with self._postgres_cursor(timeout) as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield Transaction(cur, self.dialect)
                return
            with _sqlite_transaction(self._sqlite_connection(), "BEGIN") as cur:
                yield Transaction(cur, self.dialect)

    @contextmanager
    def _outage_as_error(self) -> Iterator[None]:
        try:
            yield
        except DatabaseUnavailableError:
            raise
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            raise DatabaseUnavailableError(
                f"the database {self.url.display} is unavailable: {reason}") from exc

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for _thread, conn in connections:
            conn.close()
        if self._pool is not None:
            self._pool.close()


def connect_sqlite(path: str, wait_seconds: float = WAIT_SECONDS) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN ourselves), WAL, busy timeout."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path,
        timeout=wait_seconds,
        isolation_level=None,
        # Each connection is used by the thread that made it; close() may run elsewhere.
        check_same_thread=False,
    )
    # Switching modes needs a moment of exclusive access; skip it when already in WAL.
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode=WAL")
    return conn


@contextmanager
def _savepoint(tx: Transaction, local: threading.local) -> Iterator[None]:
    depth = getattr(local, "savepoints", 0) + 1
    name = f"joined_{depth}"
    local.savepoints = depth
    tx.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        tx.execute(f"ROLLBACK TO SAVEPOINT {name}")
        tx.execute(f"RELEASE SAVEPOINT {name}")
        raise
    else:
        tx.execute(f"RELEASE SAVEPOINT {name}")
    finally:
        local.savepoints = depth - 1


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
