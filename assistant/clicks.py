"""A Confirm or Deny click on a proposal awaiting confirmation: whether it counts (asked
of the policy, through the gate), what it changes, and what the thread is told.

A click that changes nothing is refused: told to the clicker and recorded, here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.gate import PolicyGate
from assistant.models import Actor, Approval, ProposalStatus, Reason, RefusalCause
from assistant.redaction import Redactor
from assistant.steps.state import Update, message
from assistant.storage import AuditLog, ProposalStore
from assistant.unshown import click_refusal


def record_refused_click(audit: AuditLog, actor: Actor, thread: str, proposal_id: str,
                         text: str, cause: RefusalCause) -> None:
    """Audit a Confirm or Deny that was refused; ``text`` is already redacted."""
    audit.append("denial", actor=actor.user_id, thread=thread, payload={
        "proposal_id": proposal_id, "refused_click": True, "cause": cause, "reasons": text})


def _explain(reasons: Sequence[Reason]) -> str:
    return "; ".join(r.render() for r in reasons)


@dataclass(frozen=True)
class ClickHandler:
    gate: PolicyGate
    proposals: ProposalStore
    audit: AuditLog
    redactor: Redactor

    def refuse(self, actor: Actor, thread: str, pid: str, text: str,
               cause: RefusalCause) -> Update:
        text = self.redactor.redact(text)
        record_refused_click(self.audit, actor, thread, pid, text, cause)
        return {"to_execute": None, "outbox": [message("refusal", text, pid)]}

    def __call__(self, request: dict[str, Any], pending: list[str]) -> Update:
        """The state update for ``request`` (proposal_id, actor, approve) while ``pending``
        await confirmation in the thread."""
        pid = request["proposal_id"]
        actor = Actor.model_validate(request["actor"])
        stored = self.proposals.get(pid)
        proposal = stored.proposal
        thread = proposal.thread_id
        if pid not in pending:
            return self.refuse(actor, thread, pid, click_refusal(stored, pending) or (
                f"Proposal {pid} is not awaiting confirmation in this thread "
                f"(it is {stored.status.value})."), "not-pending")
        gated = self.gate.check_click(actor, proposal, stored.approvals)
        check, facts = gated.check, gated.facts
        if not request["approve"]:
            if actor.user_id != proposal.requester.user_id and not check.ok:
                return self.refuse(actor, thread, pid, f"{actor.user_id} may not deny {pid}: "
                                                       f"{_explain(check.reasons)}",
                                   "not-permitted")
            if not self.proposals.set_status(pid, ProposalStatus.DENIED,
                                             expected=ProposalStatus.PENDING):
                now = self.proposals.get(pid).status.value
                return self.refuse(actor, thread, pid, f"Too late to deny {pid}: it is {now}.",
                                   "too-late")
            self.proposals.add_approval(Approval(
                proposal_id=pid, approver=actor, args_hash=proposal.args_hash, approved=False,
                at=facts.now))
            self.audit.append("denial", actor=actor.user_id, thread=thread,
                              payload={"proposal_id": pid})
            return {"pending": [p for p in pending if p != pid], "to_execute": None,
                    "outbox": [message("notice", f"{proposal.call.render()} denied by "
                                                 f"{actor.user_id}.", pid)]}
        if not check.ok:
            return self.refuse(actor, thread, pid, f"{actor.user_id} cannot approve {pid}: "
                                                   f"{_explain(check.reasons)}", "not-permitted")
        # The approval and the status change it makes are one write: the loser of two
        # approvers racing on two replicas is refused and leaves no approval behind.
        if not self.proposals.approve(Approval(
                proposal_id=pid, approver=actor, args_hash=proposal.args_hash, approved=True,
                at=facts.now), enough=check.approvals_needed == 0):
            now = self.proposals.get(pid).status
            if now is not ProposalStatus.PENDING:
                return self.refuse(actor, thread, pid,
                                   f"Too late to confirm {pid}: it is {now.value}.", "too-late")
            return self.refuse(actor, thread, pid,
                               f"{actor.user_id} has already approved {pid}.",
                               "already-approved")
        self.audit.append("approval", actor=actor.user_id, thread=thread, payload={
            "proposal_id": pid, "args_hash": proposal.args_hash,
            "remaining": check.approvals_needed, "policy_version": gated.version})
        if check.approvals_needed > 0:
            return {"to_execute": None, "outbox": [message(
                "notice", f"Approved by {actor.user_id}; {check.approvals_needed} more "
                          "approval(s) needed.", pid)]}
        return {"pending": [p for p in pending if p != pid], "to_execute": pid,
                "outbox": [message("notice", f"Confirmed by {actor.user_id}; running "
                                             f"{proposal.call.render()}.", pid)]}
