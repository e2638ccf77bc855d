"""Adversarial paths around invariant 1 that hold: a planner cannot run a mutating call as an
observation, a click cannot reach another thread's proposal, a changed call cannot ride on an
old approval, group roles do not lift the self-approval ban, and an expired or denied
proposal cannot be confirmed."""

import pytest

from assistant.models import Actor, Approval, ProposalStatus, ToolCall
from assistant.planning.offline import Plan, PlanRequest
from assistant.runtime import open_runtime
from assistant.session import Session
from assistant.storage import ProposalConflictError

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop",
         "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "why does checkout keep restarting since the deploy?"
ROLLBACK = ToolCall(tool="rollback_deployment", args={
    "namespace": "shop", "deployment": "checkout", "revision": 41})


class ObservesAMutatingCall:
    """A planner that tries to run a mutating call through the read-only runner."""

    def __init__(self) -> None:
        self.observation = None

    def plan(self, request: PlanRequest, run_read_only) -> Plan:
        self.observation = run_read_only(ROLLBACK)
        return Plan(entities=request.linking.entities, observations=(self.observation,))


def _revision(session: Session) -> int:
    return session.rt.backend.inventory().deployment("shop", "checkout").revision


def test_mutating_call_through_the_read_only_runner_is_refused(engine_settings,
                                                               runbook_index):
    planner = ObservesAMutatingCall()
    with open_runtime(engine_settings, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index, planner=planner) as rt:
        session = Session(rt)
        before = _revision(session)
        turn = session.ask("t1", Actor(user_id="U01ALICE"), QUESTION, ALERT)
        assert planner.observation is not None and not planner.observation.ok
        assert planner.observation.error.startswith("policy confirm")
        assert _revision(session) == before == 42
        assert turn.pending == ()
        assert session.rt.store.proposals.for_thread("t1") == []
        calls = [e.payload for e in rt.store.audit.events(thread="t1") if e.kind == "tool_call"
                 and e.payload["call"]["tool"] == ROLLBACK.tool]
        assert [c["outcome"] for c in calls] == ["confirm"]


def test_click_on_another_threads_proposal_is_refused(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        pid = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        session.ask("t2", Actor(user_id="U02BOB"), "what is the error rate of cart?")
        turn = session.respond("t2", pid, Actor(user_id="U01ALICE"), approve=True)
        assert [m.kind for m in turn.messages] == ["refusal"]
        assert session.proposal(pid).status is ProposalStatus.PENDING
        assert session.proposal(pid).approvals == ()
        assert _revision(session) == 42


def test_changed_call_cannot_use_the_old_approval(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        store = session.rt.store
        proposal = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0]
        other = ToolCall(tool="rollback_deployment", args={
            "namespace": "shop", "deployment": "checkout", "revision": 39})
        with pytest.raises(ProposalConflictError, match="needs a new approval"):
            store.proposals.add_approval(Approval(
                proposal_id=proposal.id, approver=Actor(user_id="U01ALICE"),
                args_hash=other.args_hash, approved=True, at=proposal.created_at))
        # A stored body whose call no longer matches the hash it was approved under.
        swapped = proposal.model_copy(update={"id": "p-swapped001", "call": other})
        store.proposals.save(swapped, service="checkout",
                             resource_key="prod/shop/deployment/checkout")
        store.proposals.add_approval(Approval(
            proposal_id=swapped.id, approver=Actor(user_id="U01ALICE"),
            args_hash=swapped.args_hash, approved=True, at=swapped.created_at))
        store.proposals.set_status(swapped.id, ProposalStatus.APPROVED)
        result = session.rt.executor.execute(swapped.id)
        assert result.status.value == "refused"
        assert "arguments changed" in result.output
        assert _revision(session) == 42


def test_requester_in_an_approver_group_cannot_self_approve(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        bob_in_sre = Actor(user_id="U02BOB", groups=("S0SRE",))
        pid = session.ask("t1", bob_in_sre, QUESTION, ALERT).pending[0].id
        turn = session.respond("t1", pid, bob_in_sre, approve=True)
        assert [m.kind for m in turn.messages] == ["refusal"]
        assert "self-approval" in turn.messages[0].text
        assert session.proposal(pid).status is ProposalStatus.PENDING
        assert _revision(session) == 42


def test_expired_proposal_cannot_be_confirmed(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        pid = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        session.rt.backend.wait(16 * 60)  # the prod approval rule's ttl is 15m
        turn = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert "expired" in " ".join(m.text for m in turn.messages)
        assert session.proposal(pid).status is ProposalStatus.EXPIRED
        assert _revision(session) == 42
        expiries = [e for e in session.rt.store.audit.events(thread="t1")
                    if e.kind == "denial" and e.payload.get("reason") == "expired"]
        assert len(expiries) == 1


def test_denied_proposal_cannot_be_confirmed_afterwards(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        pid = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        session.respond("t1", pid, Actor(user_id="U02BOB"), approve=False)
        turn = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert [m.kind for m in turn.messages] == ["refusal"]
        assert session.proposal(pid).status is ProposalStatus.DENIED
        assert _revision(session) == 42
