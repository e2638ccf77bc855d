"""The policy gate decides each question against one policy snapshot: a reload between the
reads of one decision can no longer mix versions (rate window from one, outcome from
another, counted approvers from a third)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import REPO_ROOT
from assistant.gate import PolicyGate
from assistant.models import Actor, Approval, ExecutionStatus, Outcome, ProposalStatus
from assistant.policy import Policy, load_policy
from assistant.policy.source import FixedPolicy, PolicyChange
from assistant.session import Session

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "checkout pods restart over and over after today's rollout, what now?"
APPROVER = Actor(user_id="U01ALICE")


def _revoked_policy(tmp: Path) -> Policy:
    """The shipped policy with the approver demoted to viewer: a reload that must stop her
    approval from counting, and a different version."""
    target = tmp / "policies-revoked"
    shutil.copytree(REPO_ROOT / "policies", target, ignore=shutil.ignore_patterns("tests"))
    roles = target / "roles.yaml"
    roles.write_text(roles.read_text().replace(
        "U01ALICE: {name: alice, roles: [sre]}", "U01ALICE: {name: alice, roles: [viewer]}"))
    return load_policy([target])


class ReloadingEveryRead:
    """A provider whose files change between any two reads, in the order drawn."""

    def __init__(self, versions: list[Policy]) -> None:
        self._next: Iterator[Policy] = itertools.cycle(versions)

    def current(self) -> Policy:
        return next(self._next)

    def listen(self, listener: Callable[[PolicyChange], None]) -> None:
        """Reloads here are driven by the test, not by files."""


def test_a_reload_between_reads_never_mixes_policy_versions_in_a_decision(
        open_engine, tmp_path: Path) -> None:
    with open_engine("checkout-bad-deploy") as s:
        rt = s.rt
        granted = rt.policies.current()
        revoked = _revoked_policy(tmp_path)
        assert granted.version != revoked.version
        by_version = {granted.version: granted, revoked.version: revoked}
        template = s.ask("t-gate", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0]
        rt.executor.verify_bound_seconds = 0
        serial = itertools.count()

        @settings(max_examples=25, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(st.booleans(), min_size=1, max_size=6))
        def property(reloads: list[bool]) -> None:
            versions = [granted if keep else revoked for keep in reloads]
            rt.executor.gate = PolicyGate(ReloadingEveryRead(versions), rt.backend,
                                          rt.store.proposals)
            pid = f"p-gate{next(serial):05d}"
            proposal = template.model_copy(update={"id": pid})
            rt.store.proposals.save(proposal, status=ProposalStatus.APPROVED,
                                    service="checkout",
                                    resource_key="prod/shop/deployment/checkout")
            rt.store.proposals.add_approval(Approval(
                proposal_id=pid, approver=APPROVER, args_hash=proposal.args_hash,
                approved=True, at=rt.backend.now()))
            result = rt.executor.execute(pid)
            (event,) = [e for e in rt.store.audit.events(thread="t-gate")
                        if e.kind == "decision" and e.payload.get("proposal_id") == pid]
            version = event.payload["policy_version"]
            assert version in by_version
            approver_counts = by_version[version] is granted
            if event.payload["outcome"] != Outcome.CONFIRM.value:
                assert result.status is ExecutionStatus.REFUSED
                assert "no longer allows" in result.output
            elif approver_counts:
                assert result.status is not ExecutionStatus.REFUSED, result.output
            else:
                assert result.status is ExecutionStatus.REFUSED
                assert "0 approval(s) still count" in result.output

        property()


def test_a_click_is_judged_and_audited_under_one_policy_version(open_engine,
                                                                tmp_path: Path) -> None:
    with open_engine("checkout-bad-deploy") as s:
        rt = s.rt
        granted = rt.policies.current()
        revoked = _revoked_policy(tmp_path)
        pid = s.ask("t-click", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        rt.gate = PolicyGate(ReloadingEveryRead([revoked, granted]), rt.backend,
                             rt.store.proposals)
        s = Session(rt)  # the graph's steps take the gate when they are built
        refused = s.respond("t-click", pid, APPROVER, approve=True)
        assert [m.kind for m in refused.messages] == ["refusal"]
        assert "holds none of" in refused.messages[0].text
        rt.gate = PolicyGate(ReloadingEveryRead([granted, revoked]), rt.backend,
                             rt.store.proposals)
        s = Session(rt)
        rt.executor.gate = PolicyGate(FixedPolicy(granted), rt.backend, rt.store.proposals)
        confirmed = s.respond("t-click", pid, APPROVER, approve=True)
        assert any(m.kind == "result" for m in confirmed.messages)
        (approval,) = [e for e in rt.store.audit.events(thread="t-click")
                       if e.kind == "approval"]
        assert approval.payload["policy_version"] == granted.version
