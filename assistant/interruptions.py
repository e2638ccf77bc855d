"""Claims whose run was cut short: marked interrupted (never re-run: actions are not
idempotent), audited, and told to the proposal's thread and to the operator.

Two ways in: a sweep finds claims whose executor is gone (see storage/executors.py for
when an executor counts as gone), or an approver marks one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.errors import InputError, OpsbotError
from assistant.models import Actor, ProposalStatus
from assistant.policy import Policy, approving_roles
from assistant.storage import Store, StoredProposal, executor_alive


class InterruptNotPermittedError(OpsbotError):
    """The person may not mark this proposal interrupted under the current policy."""


@dataclass(frozen=True)
class Interruption:
    stored: StoredProposal
    thread_text: str  # what the proposal's thread is told
    notice: str  # one line for whoever runs the process


def sweep_interrupted(store: Store, executor_id: str, now: datetime) -> list[Interruption]:
    """Mark the claims of executors that are gone, as seen by the executor ``executor_id``."""
    alive = executor_alive(executor_id, store.executors.get, now)
    found: list[Interruption] = []
    for stored in store.proposals.mark_interrupted(alive, now):
        p = stored.proposal
        store.audit.append("interrupted", actor=stored.claimed_by, thread=p.thread_id,
                           payload={"proposal_id": p.id,
                                    "call": p.call.model_dump(mode="json"),
                                    "noticed_by": executor_id})
        text = (f"{p.call.render()} ({p.id}) was interrupted mid-execution by a crash of "
                f"{stored.claimed_by}; it was not re-run. Check its effect before proposing it "
                "again.")
        store.messages.add(p.thread_id, "opsbot", text, stored.claimed_at or p.created_at)
        found.append(Interruption(stored, text, (
            f"interrupted: {p.call.render()} ({p.id}) in thread {p.thread_id}, claimed by "
            f"{stored.claimed_by} — not re-run")))
    return found


def interrupt_by_hand(store: Store, policy: Policy, proposal_id: str, actor: Actor,
                      reason: str, now: datetime) -> Interruption:
    """An approver declares an executing claim dead (e.g. one made before executors had
    leases, which no sweep marks). Refusals change nothing; a refused person is audited."""
    if not reason.strip():
        raise InputError("say why the claim is dead (it goes into the audit log)",
                         field="--reason")
    stored = store.proposals.get(proposal_id)
    if stored.status is not ProposalStatus.EXECUTING:
        raise InputError(f"proposal {proposal_id} is {stored.status.value}, not executing: "
                         "only a claim still executing can be marked interrupted",
                         field="PROPOSAL_ID")
    p = stored.proposal
    # resource_key is environment/namespace/kind/name (facts.resource_key).
    environment = (stored.resource_key or "").partition("/")[0]
    roles = approving_roles(policy, actor, environment, p.call.tool)
    if not roles:
        why = (f"{actor.user_id} may not approve {p.call.tool} in {environment or '?'} under "
               "the current policy, so may not mark its claim interrupted")
        store.audit.append("denial", actor=actor.user_id, thread=p.thread_id, payload={
            "proposal_id": p.id, "refused_interrupt": True, "reasons": why})
        raise InterruptNotPermittedError(why)
    executor = stored.claimed_by or ""
    marked = store.proposals.interrupt(proposal_id, executor, now)
    if marked is None:
        status = store.proposals.get(proposal_id).status.value
        raise InputError(f"proposal {proposal_id} became {status} meanwhile; nothing marked",
                         field="PROPOSAL_ID")
    store.audit.append("interrupted", actor=actor.user_id, thread=p.thread_id, payload={
        "proposal_id": p.id, "call": p.call.model_dump(mode="json"), "claimed_by": executor,
        "by_hand": True, "roles": sorted(roles), "reason": reason})
    text = (f"{p.call.render()} ({p.id}), claimed by {executor}, was marked interrupted by "
            f"{actor.user_id}: {reason}. It was not re-run; check its effect before proposing it "
            "again.")
    store.messages.add(p.thread_id, "opsbot", text, now)
    return Interruption(marked, text, (
        f"interrupted by {actor.user_id}: {p.call.render()} ({p.id}) in thread "
        f"{p.thread_id}, claimed by {executor} — not re-run"))
