"""Proposals nobody confirmed in time: marked expired (their approval window closed), audited,
and told to their thread. The one place that decides a proposal is overdue.

The graph expires a thread's proposals when that thread next moves; chat adapters also sweep
every pending proposal now and then, so a card does not keep live buttons for hours in a
thread where nothing happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from assistant.models import ProposalStatus
from assistant.storage import Store, StoredProposal

# Pending proposals looked at per sweep; older ones wait for the next.
SWEEP_LIMIT = 1000


@dataclass(frozen=True)
class Expiry:
    stored: StoredProposal  # as it was while pending
    text: str  # what its thread is told


def overdue(stored: StoredProposal, now: datetime) -> bool:
    ttl = stored.proposal.decision.ttl_seconds
    if not ttl or stored.status is not ProposalStatus.PENDING:
        return False
    return (now - stored.proposal.created_at).total_seconds() > ttl


def expire_overdue(store: Store, now: datetime,
                   proposal_ids: Iterable[str] | None = None) -> list[Expiry]:
    """Expire the overdue ones among ``proposal_ids`` (default: every pending proposal).
    ``now`` is the environment's clock, which the proposals were stamped with."""
    candidates = ([store.proposals.get(pid) for pid in proposal_ids]
                  if proposal_ids is not None
                  else store.proposals.listing(ProposalStatus.PENDING, SWEEP_LIMIT,
                                               oldest_first=True))
    expired: list[Expiry] = []
    for stored in candidates:
        pid = stored.proposal.id
        if overdue(stored, now) and store.proposals.set_status(
                pid, ProposalStatus.EXPIRED, expected=ProposalStatus.PENDING):
            store.audit.append("denial", actor=None, thread=stored.proposal.thread_id,
                               payload={"proposal_id": pid, "reason": "expired"})
            expired.append(Expiry(stored, f"Proposal {pid} expired unconfirmed."))
    return expired
