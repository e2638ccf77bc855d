"""`opsbot proposals list | interrupt`: the manual way out for a claim no sweep marks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from proposal_records import approved

from assistant.cli import main
from assistant.models import ProposalStatus
from assistant.storage import Store, open_store
from assistant.storage.timestamps import utc_now

S = ProposalStatus
BEFORE_LEASES = "old-host:77:cccc"  # a claim made before executors had rows
REPLICA = "replica-b:4242:bbbb"


@pytest.fixture
def db(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPSBOT_DB", db_url)
    for name in ("OPSBOT_POLICIES", "OPSBOT_BACKEND", "OPSBOT_TRUST_CLI_IDENTITY"):
        monkeypatch.delenv(name, raising=False)
    if not db_url.startswith("sqlite"):  # a shared database needs a trusted shell
        monkeypatch.setenv("OPSBOT_TRUST_CLI_IDENTITY", "1")
    with open_store(db_url, str) as store:
        approved(store, "P1")
        store.proposals.claim("P1", BEFORE_LEASES, utc_now())
        yield store


def opsbot(*argv: str) -> int:
    return main(["proposals", *argv])


def test_an_approver_interrupts_a_claim_from_before_leases(
        db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert opsbot("interrupt", "P1", "--as", "U01ALICE",
                  "--reason", "old-host was decommissioned") == 0
    out, err = capsys.readouterr()
    assert "interrupted by U01ALICE: rollback_deployment(" in out and "not re-run" in out
    assert f"{BEFORE_LEASES} has no lease record" in err
    stored = db.proposals.get("P1")
    assert stored.status is S.INTERRUPTED and stored.result is None
    event = list(db.audit.events(thread="T1"))[-1]
    assert (event.kind, event.actor) == ("interrupted", "U01ALICE")
    assert event.payload["reason"] == "old-host was decommissioned"
    assert event.payload["claimed_by"] == BEFORE_LEASES and event.payload["roles"] == ["sre"]
    said = db.messages.list("T1")[-1]
    assert "marked interrupted by U01ALICE: old-host was decommissioned" in said.text
    assert not db.proposals.claim("P1", REPLICA, utc_now()).claimed


@pytest.mark.parametrize("user", ["U02BOB", "U03CAROL", "U99NOBODY"])
def test_someone_the_policy_does_not_let_approve_the_tool_is_refused(
        db: Store, user: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert opsbot("interrupt", "P1", "--as", user, "--reason", "stuck") == 2
    err = capsys.readouterr().err
    assert f"{user} may not approve rollback_deployment in prod" in err
    assert db.proposals.get("P1").status is S.EXECUTING
    refusal = list(db.audit.events(thread="T1"))[-1]
    assert (refusal.kind, refusal.actor) == ("denial", user)
    assert refusal.payload["refused_interrupt"] is True


def test_a_proposal_that_is_not_executing_is_refused_naming_its_status(
        db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    approved(db, "P2")
    assert opsbot("interrupt", "P2", "--as", "U01ALICE", "--reason", "stuck") == 2
    assert "PROPOSAL_ID: proposal P2 is approved, not executing" in capsys.readouterr().err
    assert db.proposals.get("P2").status is S.APPROVED
    assert opsbot("interrupt", "P9", "--as", "U01ALICE", "--reason", "stuck") == 2
    assert "no proposal with id 'P9'" in capsys.readouterr().err


def test_a_blank_reason_is_refused(db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert opsbot("interrupt", "P1", "--as", "U01ALICE", "--reason", "  ") == 2
    assert "--reason: say why" in capsys.readouterr().err
    assert db.proposals.get("P1").status is S.EXECUTING


def test_against_a_real_environment_the_shell_must_be_trusted(
        db: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_TRUST_CLI_IDENTITY", raising=False)
    monkeypatch.setenv("OPSBOT_BACKEND", "kubernetes")
    assert opsbot("interrupt", "P1", "--as", "U01ALICE", "--reason", "stuck") == 2
    assert "OPSBOT_TRUST_CLI_IDENTITY" in capsys.readouterr().err
    assert db.proposals.get("P1").status is S.EXECUTING


def test_a_sandbox_shell_on_a_shared_database_must_be_trusted(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, postgres_url: str) -> None:
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPSBOT_DB", postgres_url)
    for name in ("OPSBOT_BACKEND", "OPSBOT_TRUST_CLI_IDENTITY", "OPSBOT_POLICIES"):
        monkeypatch.delenv(name, raising=False)
    with open_store(postgres_url, str) as store:
        approved(store, "P1")
        store.proposals.claim("P1", BEFORE_LEASES, utc_now())
        assert opsbot("interrupt", "P1", "--as", "U01ALICE", "--reason", "stuck") == 2
        assert "shared database" in capsys.readouterr().err
        assert store.proposals.get("P1").status is S.EXECUTING


def test_interrupting_a_live_executors_claim_warns(
        db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    approved(db, "P2")
    db.executors.register(REPLICA, utc_now(), 10)
    db.proposals.claim("P2", REPLICA, utc_now())
    assert opsbot("interrupt", "P2", "--as", "U01ALICE", "--reason", "host unreachable") == 0
    err = capsys.readouterr().err
    assert f"{REPLICA} renewed its lease" in err and "may still be running" in err


def test_list_shows_claims_with_their_heartbeat_age(
        db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    approved(db, "P2")
    db.executors.register(REPLICA, utc_now() - timedelta(seconds=75), 10)
    db.proposals.claim("P2", REPLICA, utc_now())
    approved(db, "P3")
    assert opsbot("list", "--status", "executing") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    p1 = next(line for line in lines if line.startswith("P1 "))
    p2 = next(line for line in lines if line.startswith("P2 "))
    assert "rollback_deployment(deployment='checkout'" in p1 and "thread=T1" in p1
    assert f"claimed_by={BEFORE_LEASES}" in p1 and "heartbeat=unknown (no lease record)" in p1
    assert "heartbeat=1m1" in p2 and "ago (lease 1m00s, lease expired)" in p2
    assert opsbot("list") == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert opsbot("list", "--status", "interrupted") == 0
    assert capsys.readouterr().out.strip() == "no interrupted proposals"
