"""Proposals recorded by a question that never finished: pending in the store, yet no card
was ever shown, because the run's checkpoint (written where a question ends) never held
them. The one place that decides such a proposal is closed, and what a click on it is told.

A proposal counts as shown once its thread's checkpointed state lists it as awaiting
confirmation. One that is not is closed only when the process whose run made it is gone
(or is this one, which runs a thread's work one at a time): a live replica may be about to
show it. Proposals recorded before their maker was stored are left to the expiry sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from assistant.models import ProposalStatus
from assistant.storage import Store, StoredProposal

REASON = "never shown: the question that made it did not finish"


def unshown(stored: StoredProposal, shown: Collection[str]) -> bool:
    """Pending, yet not among what its thread shows as awaiting confirmation."""
    return stored.status is ProposalStatus.PENDING and stored.proposal.id not in shown


def close_unshown(store: Store, candidates: Iterable[StoredProposal], shown: Collection[str],
                  gone: Callable[[str], bool]) -> list[StoredProposal]:
    """Close each unshown candidate whose maker is ``gone``, audited with the reason;
    returns those this call closed (as they were while pending)."""
    closed = []
    for stored in candidates:
        if not unshown(stored, shown) or stored.made_by is None or not gone(stored.made_by):
            continue
        pid = stored.proposal.id
        with store.transaction():
            if store.proposals.set_status(pid, ProposalStatus.NEVER_SHOWN):
                store.audit.append("denial", actor=None, thread=stored.proposal.thread_id,
                                   payload={"proposal_id": pid, "reason": REASON})
                closed.append(stored)
    return closed


def click_refusal(stored: StoredProposal, shown: Collection[str]) -> str | None:
    """What a Confirm or Deny on a proposal its thread never showed is told; None for any
    other proposal."""
    pid = stored.proposal.id
    if stored.status is ProposalStatus.NEVER_SHOWN:
        return (f"Proposal {pid} was never shown: the question that made it did not finish, "
                "so it was closed and cannot be confirmed. Ask the question again for a "
                "fresh proposal.")
    if unshown(stored, shown):
        return (f"Proposal {pid} has not been shown in this thread: the question that made "
                "it has not finished (or its process stopped moments ago). It cannot be "
                "confirmed; wait for its card, or ask the question again.")
    return None
