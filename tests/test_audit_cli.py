"""`opsbot audit verify | export | tail` over a store (the redactor is injected here)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from conftest import RawDatabase

from assistant.cli import main
from assistant.cli.audit import (
    PAYLOAD_PREVIEW_CHARS,
    export_log,
    register,
    tail_log,
    verify_log,
)
from assistant.models import AuditEvent
from assistant.redaction import Redactor
from assistant.storage import Store, open_store


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="opsbot")
    register(root.add_subparsers(dest="command", required=True))
    return root


def fill(store: Store) -> None:
    store.audit.append("question", actor="U1", thread="A", payload={"text": "why 500s?"})
    store.audit.append("proposal", actor="U1", thread="B", payload={"tool": "rollback"})
    store.audit.append("answer", actor=None, thread="A", payload={"text": "x" * 500})


def test_verify_exits_0_on_a_sound_chain(store: Store) -> None:
    fill(store)
    out = io.StringIO()
    assert verify_log(store, out) == 0
    assert out.getvalue().startswith("audit log OK: 3 events")


def test_verify_exits_1_and_names_the_first_bad_event(
    store: Store, raw_db: RawDatabase
) -> None:
    fill(store)
    raw_db.drop_audit_guard()
    raw_db.execute("UPDATE audit_events SET kind = 'approval' WHERE seq = 2")
    out = io.StringIO()
    assert verify_log(store, out) == 1
    assert "BROKEN at seq 2" in out.getvalue()


def test_export_writes_jsonl(store: Store) -> None:
    fill(store)
    out = io.StringIO()
    assert export_log(store, out, None) == 3
    events = [AuditEvent.model_validate_json(line) for line in out.getvalue().splitlines()]
    assert events == list(store.audit.events())


def test_tail_shows_newest_events_of_a_thread(store: Store) -> None:
    fill(store)
    out = io.StringIO()
    tail_log(store, out, n=1, thread="A")
    (line,) = out.getvalue().splitlines()
    seq, _day, _time, kind, actor, thread, payload = line.split()
    assert (seq, kind, actor, thread) == ("3", "answer", "actor=-", "thread=A")
    assert payload.startswith('{"text":"xxx') and payload.endswith("…")
    assert len(payload) == PAYLOAD_PREVIEW_CHARS


def test_tail_of_an_empty_thread_says_so(store: Store) -> None:
    out = io.StringIO()
    tail_log(store, out, n=5, thread="nope")
    assert out.getvalue() == "no audit events for thread nope\n"


def test_arguments_parse() -> None:
    args = parser().parse_args(["audit", "tail", "--thread", "T1", "-n", "5"])
    assert (args.thread, args.n) == ("T1", 5)
    args = parser().parse_args(["audit", "export", "--format", "jsonl", "--out", "log.jsonl"])
    assert str(args.out) == "log.jsonl"
    assert parser().parse_args(["audit", "verify"]).func.__name__ == "run_verify"


@pytest.mark.parametrize("argv", [
    ["audit", "tail", "-n", "0"],
    ["audit", "tail", "-n", "many"],
    ["audit", "export", "--format", "csv"],
    ["audit"],
])
def test_bad_arguments_are_rejected(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(argv)
    assert "error" in capsys.readouterr().err


def test_opsbot_audit_commands_end_to_end(
    db_url: str, raw_db: RawDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPSBOT_DB", db_url)
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    secret = "AKIAIOSFODNN7EXAMPLE"
    with open_store(db_url, Redactor().redact_value) as store:
        fill(store)
        store.audit.append("tool_call", actor="U1", thread="A", payload={"out": f"key {secret}"})

    assert main(["audit", "verify"]) == 0
    assert "audit log OK: 4 events" in capsys.readouterr().out

    out_file = tmp_path / "audit.jsonl"
    assert main(["audit", "export", "--format", "jsonl", "--out", str(out_file)]) == 0
    exported = out_file.read_text().splitlines()
    assert len(exported) == 4 and secret not in out_file.read_text()
    assert main(["audit", "export"]) == 0
    assert capsys.readouterr().out.splitlines() == exported

    assert main(["audit", "tail", "--thread", "A", "-n", "2"]) == 0
    assert [line.split()[3] for line in capsys.readouterr().out.splitlines()] == [
        "answer", "tool_call"
    ]

    raw_db.drop_audit_guard()
    raw_db.execute("DELETE FROM audit_events WHERE seq = 2")
    assert main(["audit", "verify"]) == 1
    assert "BROKEN at seq 2: event 2 is missing" in capsys.readouterr().out
