"""Concurrent writers, in threads and in separate processes, never break the chain."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import FakeRedaction

from assistant.storage import Dialect, Store, open_store

REPO = Path(__file__).resolve().parent.parent

# Waits for "go" on stdin so that both processes append at the same time.
WRITER = """
import sys
from assistant.storage import open_store
with open_store(sys.argv[1], lambda value: value) as store:
    store.audit.append("question", actor="warmup", thread=sys.argv[2], payload={})
    print("ready", flush=True)
    sys.stdin.readline()
    for n in range(int(sys.argv[3])):
        store.audit.append("tool_call", actor="U1", thread=sys.argv[2], payload={"n": n})
"""


@pytest.mark.usefixtures("raw_db")  # each of its backends, for the store asked for below
@pytest.mark.parametrize("sealing", ["store", "sealed_store"])
def test_eight_threads_appending_keep_one_valid_chain(
    request: pytest.FixtureRequest, sealing: str
) -> None:
    store: Store = request.getfixturevalue(sealing)
    threads, per_thread = 8, 50
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                store.audit.append("tool_call", actor=f"W{worker}", thread="T", payload={"n": n})
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    report = store.audit.verify()
    assert report.ok, report.summary()
    assert report.checked == threads * per_thread
    assert report.sealed == (report.checked if sealing == "sealed_store" else 0)
    events = list(store.audit.events())
    for w in range(threads):
        assert [e.payload["n"] for e in events if e.actor == f"W{w}"] == list(range(per_thread))


def test_two_processes_appending_keep_one_valid_chain(
    db_url: str, redaction: FakeRedaction
) -> None:
    per_process = 100
    with open_store(db_url, redaction.redact):
        pass  # create the schema once, so the writers race on appends only
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, f"P{p}", str(per_process)],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr

    with open_store(db_url, redaction.redact) as store:
        report = store.audit.verify()
        assert report.ok, report.summary()
        assert report.checked == 2 * (per_process + 1)
        threads = [e.thread for e in store.audit.events() if e.kind == "tool_call"]
    assert threads.count("P0") == threads.count("P1") == per_process


def test_connections_do_not_pile_up_with_finished_threads(store: Store) -> None:
    store.audit.append("question", actor="U1", thread="T", payload={})
    for n in range(5):
        worker = threading.Thread(
            target=store.audit.append, args=("question",),
            kwargs={"actor": "U1", "thread": "T", "payload": {"n": n}},
        )
        worker.start()
        worker.join()
    if store.dialect is Dialect.SQLITE:
        # This thread's connection plus the last worker's, whose thread is not yet replaced.
        assert store.open_connections == 2
    else:
        # One pooled connection, lent to each thread in turn.
        assert store.open_connections == 1
    assert store.audit.verify().checked == 6
