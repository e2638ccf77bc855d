"""Approvers racing (on several replicas) for the one approval a proposal needs: exactly
one is recorded and approves it; the others leave no approval behind."""

from __future__ import annotations

import threading

from proposal_records import approval, proposal

from assistant.models import ProposalStatus
from assistant.storage import Store


def test_of_racing_approvers_only_the_winner_is_recorded(store: Store) -> None:
    p = proposal()
    store.proposals.save(p, service="checkout", resource_key="prod/shop/deployment/checkout")
    approvers = [f"U-SRE{n}" for n in range(6)]
    start = threading.Barrier(len(approvers))
    won: dict[str, bool] = {}

    def click(user: str) -> None:
        start.wait()
        won[user] = store.proposals.approve(approval(p, user), enough=True)

    racers = [threading.Thread(target=click, args=(user,)) for user in approvers]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()

    winners = [user for user, ok in won.items() if ok]
    assert len(won) == len(approvers) and len(winners) == 1
    stored = store.proposals.get(p.id)
    assert stored.status is ProposalStatus.APPROVED
    assert [a.approver.user_id for a in stored.approvals] == winners


def test_an_approval_that_is_not_enough_keeps_the_proposal_pending(store: Store) -> None:
    p = proposal()
    store.proposals.save(p, service="checkout", resource_key="prod/shop/deployment/checkout")
    assert store.proposals.approve(approval(p, "U-ONE"), enough=False)
    assert not store.proposals.approve(approval(p, "U-ONE"), enough=True)  # a repeat click
    assert store.proposals.get(p.id).status is ProposalStatus.PENDING
    assert store.proposals.approve(approval(p, "U-TWO"), enough=True)
    stored = store.proposals.get(p.id)
    assert stored.status is ProposalStatus.APPROVED
    assert [a.approver.user_id for a in stored.approvals] == ["U-ONE", "U-TWO"]
