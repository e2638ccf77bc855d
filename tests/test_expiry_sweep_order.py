"""The expiry sweep reaches the oldest pending proposals first: with more pending than one
sweep looks at, an overdue one must not wait behind newer ones forever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from proposal_records import T0, proposal

from assistant import expiry
from assistant.models import ProposalStatus
from assistant.storage import Store


def test_an_overdue_proposal_is_expired_even_behind_a_full_sweep_of_newer_ones(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expiry, "SWEEP_LIMIT", 2)
    ttl = 900
    for n in range(3):
        p = proposal(f"P{n}")
        p = p.model_copy(update={
            "created_at": T0 + timedelta(minutes=10 * n),
            "decision": p.decision.model_copy(update={"ttl_seconds": ttl})})
        store.proposals.save(p, service="checkout", resource_key=None)
    now = T0 + timedelta(seconds=ttl + 60)  # only P0 (the oldest) is overdue
    for _ in range(3):  # however many sweeps run
        expiry.expire_overdue(store, now)
    assert store.proposals.get("P0").status is ProposalStatus.EXPIRED
