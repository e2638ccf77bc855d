"""The answer to a question: its candidates proposed (each decided by policy), the
answer composed, its charts, and a card per proposal awaiting confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.answer import compose_answer
from assistant.models import Actor, Outcome
from assistant.planning.candidates import CANDIDATE_FAILURES, not_proposed_note
from assistant.planning.offline import Plan
from assistant.redaction import Redactor
from assistant.steps.charts import chart_messages
from assistant.steps.proposing import Prepared, Proposer
from assistant.steps.state import Atomic, ThreadState, Update, message
from assistant.storage import AuditLog, MessageStore
from tools.backend import Backend


@dataclass(frozen=True)
class Answer:
    proposer: Proposer
    backend: Backend
    messages: MessageStore
    audit: AuditLog
    redactor: Redactor
    transaction: Atomic

    def __call__(self, state: ThreadState) -> Update:
        actor = Actor.model_validate(state["actor"])
        thread = state["thread_id"]
        result = Plan.model_validate(state["plan"])
        # Every candidate is built and decided first (reads of the environment); what the
        # step records is then stored in one commit, in candidate order.
        outcomes: list[Prepared | dict[str, Any]] = []
        not_proposed: list[str] = []
        for c in result.candidates:
            try:
                outcomes.append(self.proposer.prepare(actor, thread, c.call, c.why,
                                                      c.runbook_id, c.step_index))
            except CANDIDATE_FAILURES as exc:
                note = self.redactor.redact(not_proposed_note(c.call, exc))
                not_proposed.append(note)
                outcomes.append({
                    "call": c.call.model_dump(mode="json"), "rationale": c.why,
                    "runbook_id": c.runbook_id, "runbook_step": c.step_index, "reason": note})
        proposals = [o.proposal for o in outcomes if isinstance(o, Prepared)]
        result = result.model_copy(update={"notes": (*result.notes, *not_proposed)})
        answer = compose_answer(result, proposals)
        now = self.backend.now()
        with self.transaction():
            for outcome in outcomes:
                if isinstance(outcome, Prepared):
                    self.proposer.record(outcome)
                else:
                    self.audit.append("not_proposed", actor=actor.user_id, thread=thread,
                                      payload=outcome)
            self.audit.append("answer", actor=None, thread=thread, payload={"text": answer})
            self.messages.add(thread, "opsbot", answer, now)
        waiting = [p for p in proposals if p.decision.outcome is Outcome.CONFIRM]
        new = [p.id for p in waiting]
        return {
            "new_proposals": new,
            "pending": [*state.get("pending", []), *new],
            "outbox": [message("answer", answer), *chart_messages(result.observations),
                       *(message("card", p.id, p.id) for p in waiting)],
        }
