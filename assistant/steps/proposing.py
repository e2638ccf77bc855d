"""The one way a mutating call becomes a proposal: pinned, decided, recorded, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from assistant.facts import estimate_blast_radius, resource_key
from assistant.gate import PolicyGate
from assistant.models import Actor, Outcome, Proposal, ProposalStatus, ToolCall
from assistant.redaction import Redactor
from assistant.steps.state import Atomic
from assistant.storage import AuditLog, ProposalStore
from tools.backend import Backend, preview_call, run_tool
from tools.catalog import get_tool


@dataclass(frozen=True)
class Prepared:
    """A proposal built and decided, not yet recorded."""

    proposal: Proposal
    status: ProposalStatus
    service: str | None
    resource_key: str


@dataclass(frozen=True)
class Proposer:
    gate: PolicyGate
    backend: Backend
    proposals: ProposalStore
    audit: AuditLog
    redactor: Redactor
    transaction: Atomic
    # The executor id of this process, stored with each proposal it records: a proposal
    # whose run never showed it is closed once its maker is gone (assistant/unshown.py).
    maker: str | None = None

    def pin(self, call: ToolCall) -> ToolCall:
        """What "the default" means now (a rollback's target revision), filled in by the
        tool, so the approval covers exactly what runs."""
        spec = get_tool(call.tool)
        args = spec.validate_args(call.args)
        if spec.pin is None:
            return call
        pinned = spec.pin(args, lambda probe: run_tool(self.backend, probe))
        return ToolCall(tool=call.tool, args={**call.args, **pinned}) if pinned else call

    def propose(self, actor: Actor, thread: str, call: ToolCall, why: str,
                runbook_id: str | None, step: int | None) -> Proposal:
        """Validated, decided, recorded. Raises one of CANDIDATE_FAILURES, having recorded
        nothing, when the call cannot be proposed (invalid arguments, a target the backend
        cannot find, size or preview)."""
        return self.record(self.prepare(actor, thread, call, why, runbook_id, step))

    def prepare(self, actor: Actor, thread: str, call: ToolCall, why: str,
                runbook_id: str | None, step: int | None) -> Prepared:
        """Validated and decided, nothing recorded yet; raises as propose() does."""
        call = self.pin(call)
        gated = self.gate.decide(actor, call)
        facts, decision = gated.facts, gated.decision
        proposal = Proposal(
            id=f"p-{uuid.uuid4().hex[:10]}",
            thread_id=thread,
            call=call,
            rationale=why,
            runbook_id=runbook_id,
            runbook_step=step,
            requester=actor,
            blast_radius=estimate_blast_radius(self.backend, call),
            preview=self.redactor.redact(preview_call(self.backend, call)),
            args_hash=call.args_hash,
            created_at=facts.now,
            decision=decision,
        )
        status = (ProposalStatus.PENDING if decision.outcome is Outcome.CONFIRM
                  else ProposalStatus.DENIED_BY_POLICY)
        return Prepared(proposal, status, facts.blast_radius.service,
                        resource_key(self.backend.environment, call))

    def record(self, prepared: Prepared) -> Proposal:
        """Store the proposal with its proposal and decision events, all in one commit:
        none of them is ever on record alone."""
        proposal = prepared.proposal
        actor, thread = proposal.requester.user_id, proposal.thread_id
        with self.transaction(), self.audit.batch():
            self.proposals.save(proposal, status=prepared.status, service=prepared.service,
                                resource_key=prepared.resource_key, made_by=self.maker)
            self.audit.record("proposal", actor=actor, thread=thread,
                              payload=proposal.model_dump(mode="json"))
            self.audit.record("decision", actor=actor, thread=thread, payload={
                "proposal_id": proposal.id, "stage": "proposal",
                **proposal.decision.model_dump(mode="json")})
        return proposal
