"""The price of de-duplicating Slack events in the database instead of in process memory.

    .venv/bin/python -m evals.bench.event_dedup [--events N]

Each Slack event is taken once across replicas by inserting its id into slack_events
(SlackRecords.take_event) on the dispatcher thread, after the acknowledgement. This times N
first deliveries and N repeats on SQLite (a temporary file) and on PostgreSQL (a schema of
its own, dropped after), against the per-process memory of event ids the database replaced.
Prints median and p95 per event and each median's ratio to the memory baseline.
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
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from assistant.slack.records import SlackRecords

PG_URL = os.environ.get("OPSBOT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
KEPT_IN_MEMORY = 10_000
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class MemoryOfEvents:
    """The baseline: the bounded per-process set of event ids opsbot used to keep."""

    def __init__(self) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > KEPT_IN_MEMORY:
                self._ids.popitem(last=False)
            return True


def timed(take: Callable[[str], bool], ids: list[str]) -> list[float]:
    out = []
    for event_id in ids:
        started = time.perf_counter()
        take(event_id)
        out.append(time.perf_counter() - started)
    return out


@contextmanager
def postgres_schema() -> Iterator[str]:
    schema = f"opsbot_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def report(name: str, samples: list[float], baseline: float) -> None:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[18]
    print(f"{name:<36} median {median * 1e6:9.1f} µs   p95 {p95 * 1e6:9.1f} µs   "
          f"x{median / baseline:8.1f}")


def bench_postgres(url: str, ids: list[str], baseline: float) -> None:
    records = SlackRecords.open(url)
    try:
        def take(event_id: str) -> bool:
            return records.take_event(event_id, "bench", NOW)

        report("postgres take_event, first delivery", timed(take, ids), baseline)
        report("postgres take_event, repeat", timed(take, ids), baseline)
    finally:
        records.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args(argv)
    ids = [f"Ev{i:010d}" for i in range(args.events)]
    memory = MemoryOfEvents()
    first = timed(memory.take, ids)
    again = timed(memory.take, ids)
    baseline = statistics.median(first)
    report("memory, first delivery", first, baseline)
    report("memory, repeat", again, baseline)
    with tempfile.TemporaryDirectory() as home:
        records = SlackRecords.open(f"sqlite:///{Path(home) / 'bench.db'}")
        try:
            def take(event_id: str) -> bool:
                return records.take_event(event_id, "bench", NOW)

            report("sqlite take_event, first delivery", timed(take, ids), baseline)
            report("sqlite take_event, repeat", timed(take, ids), baseline)
        finally:
            records.close()
    try:
        with postgres_schema() as url:
            bench_postgres(url, ids, baseline)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is unreachable at {PG_URL}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
