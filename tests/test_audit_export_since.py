"""`opsbot audit export --since SEQ|TIME` and `--follow`: a SIEM ships only what it has not
got, as it is recorded, and never a stretch of the log that fails its chain."""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import RawDatabase

from assistant.cli.audit import Follow, export_log, register
from assistant.config import Settings
from assistant.models import AuditEvent
from assistant.storage import Store, open_store
from assistant.storage.audit import AuditChainBroken
from assistant.storage.audit_key import audit_key_for

START = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def stepping_store(db_url: str) -> Iterator[Store]:
    """A store whose clock moves one minute per event, from START."""
    ticks = iter(range(10_000))
    with open_store(db_url, lambda v: v, clock=lambda: START + timedelta(
            minutes=next(ticks))) as opened:
        yield opened


def _record(store: Store, n: int) -> None:
    for i in range(n):
        store.audit.append("question", actor="U7", thread="T-disk",
                           payload={"text": f"is the volume full yet? ({i})"})


def _seqs(text: str) -> list[int]:
    return [AuditEvent.model_validate_json(line).seq for line in text.splitlines()]


def test_since_a_seq_exports_only_the_events_after_it(stepping_store: Store) -> None:
    _record(stepping_store, 5)
    out = io.StringIO()
    assert export_log(stepping_store, out, None, since=3) == 5
    assert _seqs(out.getvalue()) == [4, 5]


def test_since_the_last_seq_exports_nothing_and_stays_there(stepping_store: Store) -> None:
    _record(stepping_store, 2)
    out = io.StringIO()
    assert export_log(stepping_store, out, None, since=2) == 2
    assert out.getvalue() == ""


def test_since_a_time_starts_at_the_first_event_recorded_then(stepping_store: Store) -> None:
    _record(stepping_store, 6)  # at START + 0..5 minutes
    since = stepping_store.audit.seq_before(START + timedelta(minutes=3, seconds=30))
    out = io.StringIO()
    export_log(stepping_store, out, None, since=since)
    assert _seqs(out.getvalue()) == [5, 6]
    assert stepping_store.audit.seq_before(START) == 0


def test_an_edited_event_in_the_exported_stretch_stops_the_export_at_it(
        stepping_store: Store, raw_db: RawDatabase) -> None:
    _record(stepping_store, 5)
    raw_db.drop_audit_guard()
    raw_db.execute("UPDATE audit_events SET actor = 'U666' WHERE seq = 4")
    out = io.StringIO()
    with pytest.raises(AuditChainBroken, match="after event 3: event 4: its contents"):
        export_log(stepping_store, out, None, since=2)
    assert _seqs(out.getvalue()) == [3]


def test_a_deleted_event_just_before_the_stretch_is_reported(
        stepping_store: Store, raw_db: RawDatabase) -> None:
    _record(stepping_store, 4)
    raw_db.drop_audit_guard()
    raw_db.execute("DELETE FROM audit_events WHERE seq = 2")
    with pytest.raises(AuditChainBroken, match="event 2 is missing"):
        export_log(stepping_store, io.StringIO(), None, since=2)


def test_follow_ships_events_recorded_while_it_runs_then_stops_when_told(
        stepping_store: Store) -> None:
    _record(stepping_store, 1)
    out = io.StringIO()
    follow = Follow(0.02)
    finished: list[int] = []
    worker = threading.Thread(
        target=lambda: finished.append(export_log(stepping_store, out, None, 0, follow)))
    worker.start()
    try:
        _record(stepping_store, 3)
        deadline = time.monotonic() + 10
        while _seqs(out.getvalue()) != [1, 2, 3, 4] and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        follow.stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert _seqs(out.getvalue()) == [1, 2, 3, 4]
    assert finished == [4]


@pytest.mark.parametrize("given", ["yesterday", "-3", "2026-13-40"])
def test_since_that_is_neither_a_seq_nor_a_time_is_refused(given: str) -> None:
    root = argparse.ArgumentParser(prog="opsbot")
    register(root.add_subparsers(dest="command", required=True))
    with pytest.raises(SystemExit):
        root.parse_args(["audit", "export", "--since", given])


def test_a_naive_time_is_taken_as_utc() -> None:
    root = argparse.ArgumentParser(prog="opsbot")
    register(root.add_subparsers(dest="command", required=True))
    args = root.parse_args(["audit", "export", "--since", "2026-03-09T04:03:00"])
    assert args.since == datetime(2026, 3, 9, 4, 3, tzinfo=UTC)


def test_follow_on_the_command_line_ends_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.from_env({"OPSBOT_HOME": str(home)})
    with open_store(settings.db_url, lambda v: v,
                    audit_key=audit_key_for(None, home, create=True)) as store:
        _record(store, 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    follower = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "audit", "export", "--since", "1", "--follow",
         "--poll", "0.1"],
        cwd=REPO, env={**env, "OPSBOT_HOME": str(home)}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert follower.stdout is not None
        shipped = [follower.stdout.readline() for _ in range(2)]
        assert _seqs("".join(shipped)) == [2, 3]
        follower.send_signal(signal.SIGINT)
        rest, err = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert follower.returncode == 0, err
    assert rest == ""
    assert "exported 2 events; the last is 3 (continue with --since 3)" in err
