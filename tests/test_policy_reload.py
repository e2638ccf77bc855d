"""Policy files are reloaded while the process runs: a revoked role stops working within
the check interval, and an edit that does not load keeps the last good policy in force."""

from __future__ import annotations

import functools
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.models import Actor, ProposalStatus
from assistant.policy import roles_of
from assistant.policy.source import PolicyChange, PolicySource

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "why does checkout keep restarting since the deploy?"
ALICE_SRE = "U01ALICE: {name: alice, roles: [sre]}"
ALICE_VIEWER = "U01ALICE: {name: alice, roles: [viewer]}"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(REPO_ROOT / "policies", target, ignore=shutil.ignore_patterns("tests"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_revoked_role_takes_effect_after_the_check_interval(policy_dir: Path) -> None:
    ticks = Ticks()
    source = PolicySource(policy_dir, check_seconds=1.0, monotonic=ticks)
    heard: list[PolicyChange] = []
    source.listen(heard.append)
    alice = Actor(user_id="U01ALICE")
    assert roles_of(source.current(), alice) == {"sre"}
    _edit(policy_dir / "roles.yaml", ALICE_SRE, ALICE_VIEWER)
    ticks.now = 0.5
    assert roles_of(source.current(), alice) == {"sre"}  # not looked at yet
    ticks.now = 1.0
    assert roles_of(source.current(), alice) == {"viewer"}
    [change] = heard
    assert change.error is None and str(policy_dir / "roles.yaml") in change.files
    assert change.version == source.current().version


def test_an_edit_that_does_not_load_keeps_the_last_good_policy_and_is_reported_once(
        policy_dir: Path) -> None:
    ticks = Ticks()
    source = PolicySource(policy_dir, check_seconds=1.0, monotonic=ticks)
    heard: list[PolicyChange] = []
    source.listen(heard.append)
    good = source.current()
    _edit(policy_dir / "roles.yaml", ALICE_SRE, "U01ALICE: {name: alice, roles: [sre]")
    for step in (1.0, 2.0, 3.0):
        ticks.now = step
        assert source.current() is good
    [failed] = heard
    assert failed.error is not None and "roles.yaml" in failed.error
    assert failed.version == good.version
    _edit(policy_dir / "roles.yaml", "roles: [sre]", "roles: [viewer]}")
    ticks.now = 4.0
    assert roles_of(source.current(), Actor(user_id="U01ALICE")) == {"viewer"}
    assert [c.error is None for c in heard] == [False, True]


def test_a_removed_policy_folder_keeps_the_last_good_policy(policy_dir: Path) -> None:
    ticks = Ticks()
    source = PolicySource(policy_dir, check_seconds=1.0, monotonic=ticks)
    good = source.current()
    shutil.rmtree(policy_dir)
    ticks.now = 1.0
    assert source.current() is good


@pytest.fixture
def session(policy_dir: Path, tmp_path: Path, runbook_index: Any,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A running engine on the copied policy files, checking them on every decision."""
    import assistant.runtime as runtime
    from assistant.session import Session

    monkeypatch.setattr(runtime, "PolicySource",
                        functools.partial(PolicySource, check_seconds=0.0))
    settings = Settings.from_env({"OPSBOT_HOME": str(tmp_path / "home"),
                                  "OPSBOT_POLICIES": str(policy_dir)})
    with runtime.open_runtime(settings, "checkout-bad-deploy", persist_sandbox=False,
                              index=runbook_index) as rt:
        yield Session(rt)


def test_a_running_engine_refuses_the_click_of_an_approver_whose_role_was_revoked(
        policy_dir: Path, session: Any) -> None:
    rt = session.rt
    pid = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
    _edit(policy_dir / "roles.yaml", ALICE_SRE, ALICE_VIEWER)
    turn = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
    assert [m.kind for m in turn.messages] == ["refusal"]
    assert session.proposal(pid).status is ProposalStatus.PENDING
    [event] = [e for e in rt.store.audit.events() if e.kind == "policy"]
    assert event.payload["reloaded"] is True


def test_an_approver_revoked_between_the_click_and_the_run_does_not_count(
        policy_dir: Path, session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = session.rt
    pid = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
    run = rt.executor.execute

    def revoked_first(proposal_id: str) -> Any:
        _edit(policy_dir / "roles.yaml", ALICE_SRE, ALICE_VIEWER)
        return run(proposal_id)

    monkeypatch.setattr(rt.executor, "execute", revoked_first)
    turn = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
    assert any("still count under the current policy" in m.text for m in turn.messages)
    assert session.proposal(pid).status is ProposalStatus.DENIED_BY_POLICY
    assert [e for e in rt.store.audit.events() if e.kind == "execution"
            and e.payload.get("status") == "succeeded"] == []


def test_a_same_size_rewrite_in_the_same_instant_is_still_seen(policy_dir: Path) -> None:

    ticks = Ticks()
    source = PolicySource(policy_dir, check_seconds=1.0, monotonic=ticks)
    heard: list[PolicyChange] = []
    source.listen(heard.append)
    roles = policy_dir / "roles.yaml"
    before = roles.stat()
    _edit(roles, ALICE_SRE, ALICE_SRE.replace("[sre]", "[ops]"))  # same size
    os.utime(roles, ns=(before.st_atime_ns, before.st_mtime_ns))  # same timestamp tick
    ticks.now = 1.0
    source.current()
    [change] = heard
    assert change.error is not None and "unknown role 'ops'" in change.error


def test_a_listener_that_fails_does_not_fail_the_decision(policy_dir: Path) -> None:
    ticks = Ticks()
    source = PolicySource(policy_dir, check_seconds=1.0, monotonic=ticks)

    def broken(_change: PolicyChange) -> None:
        raise RuntimeError("audit store closed")

    source.listen(broken)
    _edit(policy_dir / "roles.yaml", ALICE_SRE, ALICE_VIEWER)
    ticks.now = 1.0
    assert roles_of(source.current(), Actor(user_id="U01ALICE")) == {"viewer"}


def test_a_reload_that_fails_is_logged_and_audited_with_its_place_and_changes_nothing(
        policy_dir: Path, session: Any, caplog: pytest.LogCaptureFixture) -> None:
    rt = session.rt
    good = rt.policy
    freeze = policy_dir / "freeze.yaml"
    _edit(freeze, "to: 2027-01-04 08:00", "to: 2027-02-30")
    line = freeze.read_text().splitlines().index("    to: 2027-02-30") + 1
    where = f"{freeze}:{line}: freeze_windows.0.to"
    with caplog.at_level(logging.ERROR, logger="assistant.policy.source"):
        assert rt.policy is good
    assert any(where in record.getMessage() for record in caplog.records)
    [event] = [e for e in rt.store.audit.events() if e.kind == "policy"]
    assert event.payload["reloaded"] is False and where in event.payload["error"]
    assert event.payload["version"] == good.version
    assert session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending


def test_a_reload_that_lists_a_user_twice_keeps_the_previous_roles(policy_dir: Path) -> None:
    ticks = Ticks()
    source = PolicySource(policy_dir, check_seconds=1.0, monotonic=ticks)
    heard: list[PolicyChange] = []
    source.listen(heard.append)
    carol = "U03CAROL: {name: carol, roles: [viewer]}"
    _edit(policy_dir / "roles.yaml", carol, f"{carol}\n  U03CAROL: {{name: carol, roles: [sre]}}")
    ticks.now = 1.0
    assert roles_of(source.current(), Actor(user_id="U03CAROL")) == {"viewer"}
    [failed] = heard
    assert failed.error is not None and "duplicate key 'U03CAROL'" in failed.error
