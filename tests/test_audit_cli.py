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
from assistant.storage import GENESIS_HASH, Store, open_store
from assistant.storage.audit_key import read_audit_key


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


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """`opsbot` run in-process against the test database, with a home of its own."""
    monkeypatch.setenv("OPSBOT_DB", db_url)
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    return monkeypatch


def test_opsbot_audit_commands_end_to_end(
    db_url: str, raw_db: RawDatabase, tmp_path: Path, cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
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


def test_head_anchors_the_log_and_verify_expect_finds_it_wiped(
    db_url: str, raw_db: RawDatabase, tmp_path: Path, cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text("0123456789abcdef" * 4 + "\n")
    cli_env.setenv("OPSBOT_AUDIT_KEY_FILE", str(key_file))
    key = read_audit_key(key_file)
    with open_store(db_url, Redactor().redact_value, audit_key=key) as store:
        fill(store)
        last = store.audit.tail(1)[0]

    assert main(["audit", "head"]) == 0
    anchor = capsys.readouterr().out.strip()
    assert anchor == f"3:{last.hash}"
    assert main(["audit", "verify", "--expect", anchor]) == 0
    assert f"3 sealed with audit key {key.key_id}" in capsys.readouterr().out

    raw_db.drop_audit_guard()
    raw_db.execute("DELETE FROM audit_events")
    raw_db.execute(f"UPDATE audit_head SET seq = 0, hash = '{GENESIS_HASH}', seal = NULL")
    assert main(["audit", "verify", "--expect", anchor]) == 1
    assert "BROKEN at seq 1: the log ends at seq 0" in capsys.readouterr().out

    cli_env.delenv("OPSBOT_AUDIT_KEY_FILE")
    with open_store(db_url, Redactor().redact_value, audit_key=key) as store:
        fill(store)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("audit log NOT VERIFIED") and "OPSBOT_AUDIT_KEY_FILE" in out


def test_verify_on_a_dropped_table_reports_broken(
    db_url: str, raw_db: RawDatabase, cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with open_store(db_url, Redactor().redact_value) as store:
        fill(store)
    raw_db.execute("DROP TABLE audit_events")
    assert main(["audit", "verify"]) == 1
    assert ("BROKEN at seq 1: audit_events missing from the database (dropped)"
            in capsys.readouterr().out)
    assert main(["audit", "head"]) == 2
    assert "audit_events missing" in capsys.readouterr().err


@pytest.mark.parametrize("anchor", ["3", "x:" + "0" * 64, "3:" + "0" * 63, "3:" + "A" * 64])
def test_expect_must_be_seq_colon_hash(
    anchor: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["audit", "verify", "--expect", anchor])
    assert "is not SEQ:HASH" in capsys.readouterr().err
