"""Audit log append throughput and latency on SQLite and PostgreSQL.

    .venv/bin/python -m evals.bench.audit_bench [--events N] [--backends sqlite,postgres]

For each backend: one writer, then 4 threads, appending N events in all, to a log sealed
with an audit key (as opsbot writes it) and to an unsealed one (hash chain only). The
baseline is a plain INSERT + COMMIT of the same payload into an unchained table in the same
database and transaction mode, so the ratio of medians is the price of the chain (head lock,
hash, head update), and the sealed rows' ratio minus the unsealed ones' the price of seals.
Redaction is the identity here: this measures storage, not the redactor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from assistant.models import canonical_json
from assistant.storage import AuditKey, Store, open_store
from assistant.storage.database import Database, parse_db_url

PG_URL = os.environ.get("OPSBOT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
THREADS = 4
PAYLOAD = {
    "proposal_id": "P-1234",
    "tool": "rollback_deployment",
    "args": {"namespace": "shop", "deployment": "checkout", "revision": 41},
    "reasons": ["[confirm-mutations] mutating tools need confirmation"] * 3,
}


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    schema = f"opsbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def timed(op: Callable[[], object], count: int, threads: int) -> tuple[float, list[float]]:
    """Run ``op`` count times split over threads; wall seconds and per-call latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def work(n: int) -> None:
        mine = []
        start.wait()
        for _ in range(n):
            t0 = time.perf_counter()
            op()
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    shares = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=work, args=(n,)) for n in shares]
    for worker in workers:
        worker.start()
    start.wait()
    t0 = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - t0, latencies


def plain_insert(db: Database) -> Callable[[], object]:
    text = canonical_json(PAYLOAD)

    def insert() -> None:
        with db.write() as tx:
            tx.execute("INSERT INTO bench_plain (payload) VALUES (?)", (text,))

    return insert


def bench_backend(name: str, url: str, events: int, key: AuditKey | None) -> None:
    db = Database(parse_db_url(url))
    store: Store = open_store(url, lambda value: value, audit_key=key)
    name = f"{name}{'+seal' if key else ''}"
    try:
        with db.write() as tx:
            tx.execute("CREATE TABLE bench_plain (payload TEXT NOT NULL)")
        for threads in (1, THREADS):
            _, base = timed(plain_insert(db), events, threads)
            wall, lat = timed(
                lambda: store.audit.append("tool_call", actor="U1", thread="T", payload=PAYLOAD),
                events, threads,
            )
            median, base_median = percentile(lat, 50), percentile(base, 50)
            print(f"{name:<14} {threads:>7} {events:>7} {events / wall:>10.0f} "
                  f"{median * 1e3:>10.3f} {percentile(lat, 95) * 1e3:>9.3f} "
                  f"{percentile(lat, 99) * 1e3:>9.3f} {base_median * 1e3:>10.3f} "
                  f"{median / base_median:>7.2f}x")
        t0 = time.perf_counter()
        report = store.audit.verify()
        took = time.perf_counter() - t0
        assert report.ok, report.summary()
        print(f"{name:<14} verify: {report.checked} events in {took * 1e3:.0f} ms "
              f"({report.checked / took:.0f} events/s)")
    finally:
        store.close()
        db.close()


def percentile(values: list[float], pct: int) -> float:
    if pct == 50:
        return statistics.median(values)
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="appends per run")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    backends = {"sqlite": sqlite_url, "postgres": postgres_url}
    chosen = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in backends]
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; choose from {sorted(backends)}")
    print(f"{'backend':<14} {'threads':>7} {'events':>7} {'events/s':>10} "
          f"{'median ms':>10} {'p95 ms':>9} {'p99 ms':>9} {'plain ms':>10} {'ratio':>8}")
    key = AuditKey(os.urandom(32), "a random bench key")
    for name, sealing in ((n, k) for n in chosen for k in (None, key)):
        try:
            with backends[name]() as url:
                bench_backend(name, url, args.events, sealing)
        except psycopg.OperationalError as exc:
            print(f"{name}: unreachable at {PG_URL}: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
