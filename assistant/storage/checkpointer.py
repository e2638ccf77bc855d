"""LangGraph checkpoints in the store's database, so a paused graph survives restarts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from assistant.storage.database import (
    WAIT_SECONDS,
    Dialect,
    connect_sqlite,
    open_pool,
    parse_db_url,
)


@contextmanager
def open_checkpointer(
    db_url: str, *, wait_seconds: float = WAIT_SECONDS
) -> Iterator[BaseCheckpointSaver[str]]:
    """A set-up SqliteSaver or PostgresSaver on ``db_url``; closed on exit.

    PostgreSQL checkpoints go through a pool of checked connections: one connection held
    for the process's life would stay dead after a database restart, and every question
    and click after it would fail.
    """
    url = parse_db_url(db_url)
    if url.dialect is Dialect.SQLITE:
        conn = connect_sqlite(url.target, wait_seconds)
        # SqliteSaver commits once per put and per put_writes; on an autocommit connection
        # every row of put_writes would be a transaction, and a disk sync, of its own.
        conn.isolation_level = "IMMEDIATE"
        # A checkpoint need not reach the disk before the next write does. In WAL mode
        # commits stay in order, and the store syncs every write that precedes an effect
        # (an audit event, a proposal, an approval, a claim), taking the checkpoints
        # written before it along. So power loss can only cost a run's last checkpoints,
        # which a killed process can cost too (LangGraph writes them in the background):
        # the thread resumes from an earlier checkpoint, and a claim keeps any action
        # from running twice.
        conn.execute("PRAGMA synchronous=NORMAL")
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()
        return
    # PostgresSaver's own choices: dict rows, and no prepared statements (they break
    # behind pgbouncer).
    pool = open_pool(url, wait_seconds, row_factory=dict_row, prepare_threshold=0)
    with pool:
        saver_pg = PostgresSaver(pool)
        saver_pg.setup()
        yield saver_pg


def ping_checkpoints(saver: BaseCheckpointSaver[str], timeout: float) -> None:
    """Raise unless the checkpoint store answers within about ``timeout`` s. A PostgreSQL
    pool reconnects on its own schedule after an outage, later than the store's pool may;
    SQLite needs no check."""
    pool = saver.conn if isinstance(saver, PostgresSaver) else None
    if isinstance(pool, ConnectionPool):
        with pool.connection(timeout) as conn:
            conn.execute("SELECT 1")
