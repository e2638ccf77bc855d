"""A question cut short after recording its proposals but before its checkpoint (written
where a question ends) leaves them pending with no card ever shown. They are closed, with
an audit event saying why, when the thread next moves or a process starts, once the
process that made them is gone; a click on one says it was never shown."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ENGINE_DATABASES

from assistant.models import Actor, ProposalStatus
from assistant.session import Session
from assistant.unshown import REASON

pytestmark = ENGINE_DATABASES

QUESTION = "why does checkout keep restarting since the deploy?"
ASKER, APPROVER = Actor(user_id="U02BOB"), Actor(user_id="U01ALICE")


class Died(BaseException):
    """The process dying mid-question: nothing after it runs."""


def _die(*_args: Any, **_kwargs: Any) -> None:
    raise Died


def _cut_short(session: Session, thread: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Ask, and die where the question's checkpoint would be written, its proposal
    recorded; the id of the proposal left behind."""
    with monkeypatch.context() as dying, pytest.raises(Died):
        for write in ("put", "put_writes"):
            dying.setattr(session.rt.checkpointer, write, _die)
        session.ask(thread, ASKER, QUESTION)
    shown = {p.id for p in session.pending(thread)}  # as the checkpoint has it
    [left] = [s.proposal.id for s in session.rt.store.proposals.for_thread(thread)
              if s.status is ProposalStatus.PENDING and s.proposal.id not in shown]
    return left


def _closings(session: Session, thread: str) -> list[dict[str, Any]]:
    return [e.payload for e in session.thread_events(thread)
            if e.kind == "denial" and e.payload.get("reason") == REASON]


def test_a_new_process_closes_what_a_dead_one_never_showed(open_engine, monkeypatch):
    with open_engine("checkout-bad-deploy") as crashed:
        left = _cut_short(crashed, "t1", monkeypatch)
    with open_engine("checkout-bad-deploy") as restarted:
        assert restarted.proposal(left).status is ProposalStatus.NEVER_SHOWN
        assert _closings(restarted, "t1") == [{"proposal_id": left, "reason": REASON}]
        turn = restarted.respond("t1", left, APPROVER, approve=True)
        [refusal] = turn.messages
        assert refusal.kind == "refusal"
        assert "never shown" in refusal.text and "Ask the question again" in refusal.text
        assert restarted.proposal(left).status is ProposalStatus.NEVER_SHOWN


def test_the_next_question_in_the_thread_closes_them_and_shows_its_own(open_engine, monkeypatch):
    with open_engine("checkout-bad-deploy") as session:
        left = _cut_short(session, "t1", monkeypatch)
        turn = session.ask("t1", ASKER, QUESTION)
        assert session.proposal(left).status is ProposalStatus.NEVER_SHOWN
        assert [p.id for p in turn.pending] != [left] and len(turn.pending) == 1
        assert len(_closings(session, "t1")) == 1


def test_a_click_in_a_thread_paused_on_another_card_closes_them(open_engine, monkeypatch):
    with open_engine("checkout-bad-deploy") as session:
        shown = session.ask("t1", ASKER, QUESTION).pending[0].id
        left = _cut_short(session, "t1", monkeypatch)
        turn = session.respond("t1", left, APPROVER, approve=True)
        assert [m.kind for m in turn.messages] == ["refusal"]
        assert "never shown" in turn.messages[0].text
        assert session.proposal(left).status is ProposalStatus.NEVER_SHOWN
        assert [p.id for p in session.pending("t1")] == [shown]


def test_what_a_live_replica_has_not_shown_yet_is_left_to_it(open_engine, monkeypatch):
    with open_engine("checkout-bad-deploy") as replica:
        left = _cut_short(replica, "t1", monkeypatch)  # as if its question were still running
        with open_engine("checkout-bad-deploy") as other:
            turn = other.respond("t1", left, APPROVER, approve=True)
            assert other.proposal(left).status is ProposalStatus.PENDING
            assert "has not been shown" in turn.messages[0].text
            assert _closings(other, "t1") == []
