"""Tell a thread how a finished watch ended: the verdict, or why none could be made, and,
when the action made things worse, its undo proposed (through policy and a human again).

One place for it, whichever process watched: the verification step calls it right after
watching, and a run started for a watch finished elsewhere (resumed by another replica
after its watcher stopped) calls it through ``Report``. The caller holds the watch's
report (``VerificationStore.take_report``), so each outcome is told once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from assistant.answer import describe_verification
from assistant.models import Outcome, Proposal, ToolCall
from assistant.planning.candidates import CANDIDATE_FAILURES, not_proposed_note
from assistant.redaction import Redactor
from assistant.steps.proposing import Proposer
from assistant.steps.state import ThreadState, Update, message
from assistant.storage import AuditLog, FinishedWatch, MessageStore, ProposalStore
from tools.backend import Backend


@dataclass(frozen=True)
class TellVerdict:
    proposer: Proposer
    proposals: ProposalStore
    messages: MessageStore
    audit: AuditLog
    backend: Backend
    redactor: Redactor

    def __call__(self, finished: FinishedWatch, pending: list[str], *,
                 resumed: bool) -> tuple[list[dict[str, Any]], list[str]]:
        """The messages telling ``finished``'s outcome, and ``pending`` with the undo added
        when policy lets a human confirm it. ``resumed``: another process did the watching."""
        stored = self.proposals.get(finished.proposal_id)
        proposal, result = stored.proposal, stored.result
        what = f"{proposal.call.render()} ({proposal.id})"
        verification = result.verification if result is not None else None
        if verification is None:
            text = (f"I could not finish verifying {what} after the process watching it "
                    f"stopped: {finished.gave_up}. The action itself ran and succeeded; "
                    "check its effect by hand.")
        else:
            text = describe_verification(verification)
            if resumed:
                text = (f"Verification of {what}, resumed after the process watching it "
                        f"stopped: {text}")
        self.messages.add(proposal.thread_id, "opsbot", text, self.backend.now())
        out = [message("notice" if verification is None else "verification", text,
                       proposal.id)]
        pending = list(pending)
        undo_call = result.compensation if result is not None else None
        if undo_call is not None:
            out.extend(self._propose_undo(proposal, undo_call, pending))
        return out, pending

    def _propose_undo(self, proposal: Proposal, call: ToolCall,
                      pending: list[str]) -> list[dict[str, Any]]:
        why = f"verification says {proposal.call.render()} made things worse; this undoes it"
        try:
            undo = self.proposer.propose(proposal.requester, proposal.thread_id, call, why,
                                         proposal.runbook_id, None)
        except CANDIDATE_FAILURES as exc:
            # The environment moved on since the verdict (someone already put it back):
            # the verdict still reaches the thread, with why no undo is offered.
            note = self.redactor.redact(not_proposed_note(call, exc))
            self.audit.append("not_proposed", actor=proposal.requester.user_id,
                              thread=proposal.thread_id, payload={
                                  "call": call.model_dump(mode="json"), "rationale": why,
                                  "runbook_id": proposal.runbook_id, "runbook_step": None,
                                  "reason": note})
            return [message("notice", f"Undo {note}", proposal.id)]
        out = [message("notice", f"Suggested: {undo.call.render()} "
                                 f"(policy {undo.decision.outcome.value})", undo.id)]
        if undo.decision.outcome is Outcome.CONFIRM:
            pending.append(undo.id)
            out.append(message("card", undo.id, undo.id))
        return out


def report_input(finished: FinishedWatch) -> ThreadState:
    """A run's input that tells ``finished`` (its report already taken) to its thread."""
    return {"thread_id": finished.thread_id, "to_report": asdict(finished)}


@dataclass(frozen=True)
class Report:
    """The step of a run started to tell a watch finished elsewhere."""

    tell: TellVerdict

    def __call__(self, state: ThreadState) -> Update:
        taken = state["to_report"]
        assert taken is not None
        out, pending = self.tell(FinishedWatch(**taken), state.get("pending", []),
                                 resumed=True)
        return {"to_report": None, "pending": pending, "outbox": out}


def after_start(state: ThreadState) -> str:
    return "report" if state.get("to_report") else "intake"
