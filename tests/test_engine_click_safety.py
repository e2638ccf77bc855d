"""Regressions from the safety review: a failed click is never replayed as someone else's,
a stale approval never runs, a retried rollback never takes a second step, and a tool that
raises leaves a recorded failure rather than a stuck claim."""

import pytest

from assistant.models import Actor, Approval, ExecutionStatus, ProposalStatus, ToolCall
from tools.backend import ToolFailure

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "why does checkout keep restarting since the deploy?"


def test_a_click_that_failed_is_not_replayed_as_the_next_persons_click(open_engine):
    with open_engine("checkout-bad-deploy") as s:
        pid = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        backend = s.rt.backend
        working = backend.inventory
        backend.inventory = lambda: (_ for _ in ()).throw(ToolFailure("apiserver down"))
        failed = s.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert [m.kind for m in failed.messages] == ["failure"]
        assert "not applied" in failed.messages[0].text
        backend.inventory = working
        denied = s.respond("t1", pid, Actor(user_id="U02BOB"), approve=False)
        assert "denied by U02BOB" in denied.messages[0].text
        assert s.proposal(pid).status is ProposalStatus.DENIED
        kinds = [e.kind for e in s.rt.store.audit.events(thread="t1")]
        assert "execution" not in kinds


def test_an_approval_left_unexecuted_expires_and_others_cannot_finish_it(open_engine):
    with open_engine("checkout-bad-deploy") as s:
        pid = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        executor = s.rt.executor
        real = executor.execute
        executor.execute = lambda p: (_ for _ in ()).throw(RuntimeError("killed mid-step"))
        with pytest.raises(RuntimeError, match="killed mid-step"):
            s.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        executor.execute = real
        assert s.proposal(pid).status is ProposalStatus.APPROVED
        s.rt.backend.wait(3 * 86400)
        viewer = s.respond("t1", pid, Actor(user_id="U03CAROL"), approve=False)
        assert viewer.messages[0].kind == "refusal"
        assert s.proposal(pid).status is ProposalStatus.APPROVED
        late = s.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert any("expired" in m.text for m in late.messages)
        assert s.proposal(pid).status is ProposalStatus.EXPIRED
        assert "execution" in [e.kind for e in s.rt.store.audit.events(thread="t1")]
        assert s.proposal(pid).result is None


def test_a_rollback_without_revision_is_pinned_when_proposed(open_engine):
    from assistant.planning.offline import Plan, PlannedCall

    class Unpinned:
        def plan(self, request, run_read_only):
            call = ToolCall(tool="rollback_deployment",
                            args={"namespace": "shop", "deployment": "checkout"})
            return Plan(entities=request.linking.entities, candidates=(
                PlannedCall(call=call, why="roll back", runbook_id=None, step_index=None),))

    with open_engine("checkout-bad-deploy") as s:
        s.rt.planner = Unpinned()
        from assistant.session import Session

        session = Session(s.rt)
        (proposal,) = session.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending
        assert proposal.call.args["revision"] == 41
        assert "42 -> 41" in proposal.preview


def test_unpinned_rollback_is_not_retried_after_a_transient_failure(open_engine):
    with open_engine("checkout-bad-deploy") as s:
        rt = s.rt
        p = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0]
        call = ToolCall(tool="rollback_deployment",
                        args={"namespace": "shop", "deployment": "checkout"})
        q = p.model_copy(update={"id": "p-norev00001", "call": call,
                                 "args_hash": call.args_hash})
        rt.store.proposals.save(q, service="checkout",
                                resource_key="prod/shop/deployment/checkout")
        rt.store.proposals.add_approval(Approval(
            proposal_id=q.id, approver=Actor(user_id="U01ALICE"), args_hash=q.args_hash,
            approved=True, at=q.created_at))
        rt.store.proposals.set_status(q.id, ProposalStatus.APPROVED)
        backend = rt.backend
        applied = backend.rollback_deployment

        def applies_then_times_out(args, approved_by=None):
            applied(args, approved_by)
            raise ToolFailure("timed out waiting for the API response", transient=True)

        backend.rollback_deployment = applies_then_times_out
        rt.executor.sleep = lambda _s: None
        result = rt.executor.execute(q.id)
        assert result.status is ExecutionStatus.FAILED
        assert result.attempts == 1
        assert backend.inventory().deployment("shop", "checkout").revision == 41


def test_a_tool_that_raises_unexpectedly_ends_in_a_recorded_failure(open_engine):
    with open_engine("cart-memory-leak") as s:
        pid = s.ask("t1", Actor(user_id="U02BOB"), "cart keeps getting OOMKilled").pending[0].id
        s.rt.backend.restart_deployment = lambda args, approved_by=None: 1 / 0
        turn = s.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert any(m.kind == "failure" and "ZeroDivisionError" in m.text for m in turn.messages)
        stored = s.proposal(pid)
        assert stored.status is ProposalStatus.FAILED
        assert not s.rt.store.proposals.in_flight("prod/shop/deployment/cart")


def test_an_approval_for_another_environment_never_runs_here(open_engine):
    with open_engine("checkout-bad-deploy") as s:  # a prod world
        pid = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        store = s.rt.store
        stored = store.proposals.get(pid)
        # The same approval as if another environment's opsbot had recorded it in this
        # database (a shared OPSBOT_DB by mistake).
        staging = stored.proposal.model_copy(update={"id": "p-staging"})
        store.proposals.save(staging, status=ProposalStatus.PENDING, service="checkout",
                             resource_key="staging/shop/deployment/checkout")
        assert store.proposals.set_status("p-staging", ProposalStatus.APPROVED)
        store.proposals.add_approval(Approval(
            proposal_id="p-staging", approver=Actor(user_id="U01ALICE"),
            args_hash=staging.args_hash, approved=True, at=staging.created_at))
        revision = s.rt.backend.inventory().deployment("shop", "checkout").revision
        result = s.rt.executor.execute("p-staging")
        assert result.status is ExecutionStatus.REFUSED
        assert "proposed for staging; this opsbot acts on prod" in result.output
        assert store.proposals.get("p-staging").status is ProposalStatus.APPROVED
        assert s.rt.backend.inventory().deployment("shop", "checkout").revision == revision
