"""A question's run is checkpointed where it ends, a click's run after every step; either
way the thread resumes from the database in a new runtime."""

from conftest import ENGINE_DATABASES

from assistant.models import Actor, ProposalStatus
from assistant.planning.offline import Plan, PlanRequest, ReadOnlyRunner
from assistant.runtime import open_runtime
from assistant.session import Session
from tools.backend import ToolFailure

pytestmark = ENGINE_DATABASES

QUESTION = "why does checkout keep restarting since the deploy?"


def _checkpoints(session: Session, thread: str) -> int:
    return len(list(session.rt.checkpointer.list({"configurable": {"thread_id": thread}})))


def test_a_question_is_checkpointed_once_where_it_pauses_for_confirmation(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"), QUESTION)
        assert len(turn.pending) == 1
        assert _checkpoints(session, "t1") == 1
        assert session.graph.get_state({"configurable": {"thread_id": "t1"}}).interrupts


def test_a_paused_question_is_confirmed_from_a_new_runtime(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        proposal = session.ask("t1", Actor(user_id="U02BOB"), QUESTION).pending[0]
    with open_engine("checkout-bad-deploy") as resumed:
        turn = resumed.respond("t1", proposal.id, Actor(user_id="U01ALICE"), approve=True)
        assert any(m.kind == "result" for m in turn.messages)
        assert resumed.proposal(proposal.id).status is ProposalStatus.EXECUTED


def test_a_click_run_is_checkpointed_after_each_step(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        proposal = session.ask("t1", Actor(user_id="U02BOB"), QUESTION).pending[0]
        before = _checkpoints(session, "t1")
        session.respond("t1", proposal.id, Actor(user_id="U01ALICE"), approve=True)
        # confirm (resumed), execute, verify, confirm again: a checkpoint for each.
        assert _checkpoints(session, "t1") - before >= 4


class EnvironmentGoneWhilePlanning:
    """A planner that finds the environment unreachable outside any tool call."""

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        raise ToolFailure("Kubernetes API unreachable: connection refused", transient=True)


def test_a_question_stopped_by_the_environment_keeps_the_steps_it_finished(
        engine_settings, runbook_index):
    with open_runtime(engine_settings, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index, planner=EnvironmentGoneWhilePlanning()) as rt:
        session = Session(rt)
        turn = session.ask("t1", Actor(user_id="U02BOB"), QUESTION)
        assert [m.kind for m in turn.messages] == ["failure"]
        assert session.graph.get_state({"configurable": {"thread_id": "t1"}}).next == ("plan",)
