"""The price of checking each pooled PostgreSQL connection before lending it.

    .venv/bin/python -m evals.bench.db_pool_bench [--transactions N]

One thread runs N short read transactions (BEGIN; SET TRANSACTION; SELECT 1; COMMIT) three
ways: on a connection of its own (the old per-thread design, which a server restart left
broken), on a pool without a check, and through opsbot's Database (a pool that checks each
connection with an empty round trip, so a restart costs no request). Prints median and p95 latency
per transaction and each median's ratio to the own-connection baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import psycopg
from psycopg_pool import ConnectionPool

from assistant.storage.database import Database, parse_db_url

PG_URL = os.environ.get("OPSBOT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


def latencies(transaction: Callable[[], object], count: int) -> list[float]:
    for _ in range(min(100, count)):  # warm up
        transaction()
    out = []
    for _ in range(count):
        started = time.perf_counter()
        transaction()
        out.append(time.perf_counter() - started)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=3000)
    args = parser.parse_args(argv)
    try:
        own = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is unreachable at {PG_URL}: {exc}", file=sys.stderr)
        return 1
    unchecked = ConnectionPool(PG_URL, kwargs={"autocommit": True}, min_size=1, max_size=1,
                               open=True)
    database = Database(parse_db_url(PG_URL))

    # The same statements as Database.read(), so only the pooling and the check differ.
    def on_own() -> None:
        with own.transaction():
            own.execute(READ_ONLY)
            own.execute("SELECT 1").fetchone()

    def on_unchecked() -> None:
        with unchecked.connection() as conn, conn.transaction():
            conn.execute(READ_ONLY)
            conn.execute("SELECT 1").fetchone()

    def on_database() -> None:
        with database.read() as tx:
            tx.one("SELECT 1")

    try:
        runs = {"own connection (baseline)": latencies(on_own, args.transactions),
                "pool, no check": latencies(on_unchecked, args.transactions),
                "opsbot Database (checked pool)": latencies(on_database, args.transactions)}
    finally:
        own.close()
        unchecked.close()
        database.close()
    base = statistics.median(runs["own connection (baseline)"])
    print(f"{'transactions':<32} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}")
    for name, values in runs.items():
        median = statistics.median(values)
        p95 = statistics.quantiles(values, n=100, method="inclusive")[94]
        print(f"{name:<32} {median * 1e3:>10.3f} {p95 * 1e3:>8.3f} {median / base:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
