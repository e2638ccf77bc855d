"""LangGraph checkpoints in the store's database, so a paused graph survives restarts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row

from assistant.storage.database import (
    CONNECT_TIMEOUT_SECONDS,
    Dialect,
    connect_sqlite,
    parse_db_url,
)
from assistant.storage.errors import StorageError


@contextmanager
def open_checkpointer(db_url: str) -> Iterator[BaseCheckpointSaver[str]]:
    """A set-up SqliteSaver or PostgresSaver on ``db_url``; closed on exit."""
    url = parse_db_url(db_url)
    if url.dialect is Dialect.SQLITE:
        conn = connect_sqlite(url.target)
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()
        return
    try:
        pg = psycopg.connect(
            url.target,
            autocommit=True,
            row_factory=dict_row,
            # PostgresSaver's own choice: prepared statements break behind pgbouncer.
            prepare_threshold=0,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except psycopg.OperationalError as exc:
        raise StorageError(f"cannot connect to {url.display}: {exc}") from exc
    with pg:
        saver_pg = PostgresSaver(pg)
        saver_pg.setup()
        yield saver_pg
