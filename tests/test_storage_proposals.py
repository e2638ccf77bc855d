"""Proposals, approvals, status changes and the once-only execution claim."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import FakeRedaction, RawDatabase
from proposal_records import CHECKOUT, T0, approval, approved, proposal, succeeded

from assistant.models import (
    ExecutionResult,
    ExecutionStatus,
    ProposalStatus,
)
from assistant.storage import (
    ClaimResult,
    ProposalConflictError,
    Store,
    UnknownProposalError,
    open_store,
)

S = ProposalStatus


def test_saved_proposal_reads_back_with_status_and_columns(store: Store) -> None:
    p = proposal()
    assert store.proposals.save(p, service="checkout", resource_key=CHECKOUT)
    stored = store.proposals.get("P1")
    assert stored.proposal == p
    assert stored.status is S.PENDING
    assert (stored.service, stored.resource_key) == ("checkout", CHECKOUT)
    assert stored.approvals == () and stored.result is None and stored.claimed_by is None


def test_saving_the_same_proposal_again_is_a_no_op(store: Store) -> None:
    store.proposals.save(proposal(), service="checkout", resource_key=CHECKOUT)
    assert not store.proposals.save(proposal(), service="checkout", resource_key=CHECKOUT)


def test_saving_a_different_call_under_an_existing_id_is_refused(store: Store) -> None:
    store.proposals.save(proposal(), service="checkout", resource_key=CHECKOUT)
    with pytest.raises(ProposalConflictError, match="different call"):
        store.proposals.save(proposal(revision=40), service="checkout", resource_key=CHECKOUT)


def test_unknown_proposal_is_a_clear_error(store: Store) -> None:
    with pytest.raises(UnknownProposalError, match="'nope'"):
        store.proposals.get("nope")
    with pytest.raises(UnknownProposalError):
        store.proposals.claim("nope", "E1", T0)


def test_for_thread_lists_only_that_thread(store: Store) -> None:
    for pid, thread in [("P1", "A"), ("P2", "B"), ("P3", "A")]:
        store.proposals.save(proposal(pid, thread), service="checkout", resource_key=CHECKOUT)
    assert [s.proposal.id for s in store.proposals.for_thread("A")] == ["P1", "P3"]
    assert store.proposals.for_thread("C") == []


def test_free_text_is_redacted_but_the_call_is_kept_exact(
    store: Store, redaction: FakeRedaction, raw_db: RawDatabase
) -> None:
    p = proposal(rationale=f"the log shows password {redaction.secret}")
    store.proposals.save(p, service="checkout", resource_key=CHECKOUT)
    stored = store.proposals.get(p.id).proposal
    assert stored.rationale == f"the log shows password {redaction.mask}"
    assert stored.call == p.call and stored.args_hash == p.args_hash
    rows = raw_db.query("SELECT body FROM proposals")
    assert redaction.secret not in rows[0][0]


def test_approvals_are_recorded_once_per_approver(store: Store) -> None:
    p = proposal()
    store.proposals.save(p, service="checkout", resource_key=CHECKOUT)
    assert store.proposals.add_approval(approval(p, "U-BOB"))
    assert not store.proposals.add_approval(approval(p, "U-BOB", approved=False))
    assert store.proposals.add_approval(approval(p, "U-CAROL", approved=False))
    approvals = store.proposals.get(p.id).approvals
    assert [(a.approver.user_id, a.approved) for a in approvals] == [
        ("U-BOB", True), ("U-CAROL", False)
    ]


def test_approval_for_other_arguments_is_refused(store: Store) -> None:
    p = proposal()
    store.proposals.save(p, service="checkout", resource_key=CHECKOUT)
    with pytest.raises(ProposalConflictError, match="needs a new approval"):
        store.proposals.add_approval(approval(p, args_hash=proposal(revision=7).args_hash))
    assert store.proposals.get(p.id).approvals == ()


@pytest.mark.parametrize("target", [S.APPROVED, S.DENIED, S.EXPIRED, S.DENIED_BY_POLICY])
def test_pending_moves_once_to_a_decision(store: Store, target: ProposalStatus) -> None:
    store.proposals.save(proposal(), service="checkout", resource_key=CHECKOUT)
    assert store.proposals.set_status("P1", target)
    assert store.proposals.get("P1").status is target
    assert not store.proposals.set_status("P1", S.DENIED)
    assert store.proposals.get("P1").status is target


def test_approved_can_lapse_or_be_refused_at_execution_time(store: Store) -> None:
    approved(store)
    assert not store.proposals.set_status("P1", S.EXPIRED)  # expected pending: no longer
    assert store.proposals.set_status("P1", S.EXPIRED, expected=S.APPROVED)
    assert store.proposals.get("P1").status is S.EXPIRED


@pytest.mark.parametrize("target", [S.EXECUTING, S.EXECUTED, S.FAILED, S.INTERRUPTED])
def test_set_status_cannot_reach_execution_states(store: Store, target: ProposalStatus) -> None:
    store.proposals.save(proposal(), service="checkout", resource_key=CHECKOUT)
    with pytest.raises(ValueError, match="cannot move"):
        store.proposals.set_status("P1", target)


def test_claim_wins_once_and_the_loser_learns_who_ran_it(store: Store) -> None:
    approved(store)
    first = store.proposals.claim("P1", "host:1:a", T0)
    assert first.claimed and first.status is S.EXECUTING and first.claimed_by == "host:1:a"
    second = store.proposals.claim("P1", "host:2:b", T0 + timedelta(seconds=1))
    assert not second.claimed
    assert (second.status, second.claimed_by, second.claimed_at) == (S.EXECUTING, "host:1:a", T0)
    assert "already being executed by host:1:a" in second.explain()

    assert store.proposals.finish("P1", succeeded(), T0 + timedelta(seconds=2))
    third = store.proposals.claim("P1", "host:3:c", T0 + timedelta(seconds=3))
    assert not third.claimed and third.status is S.EXECUTED
    assert third.result == succeeded()
    assert f"already executed by host:1:a at {T0.isoformat()}" in third.explain()


@pytest.mark.parametrize("status", [S.PENDING, S.DENIED, S.DENIED_BY_POLICY, S.EXPIRED])
def test_claim_fails_unless_approved(store: Store, status: ProposalStatus) -> None:
    store.proposals.save(proposal(), service="checkout", resource_key=CHECKOUT)
    if status is not S.PENDING:
        store.proposals.set_status("P1", status)
    result = store.proposals.claim("P1", "E1", T0)
    assert not result.claimed and result.status is status
    assert result.claimed_by is None
    assert "not approved" in result.explain()
    assert store.proposals.get("P1").status is status


def test_twenty_concurrent_claimers_one_winner(db_url: str, redaction: FakeRedaction) -> None:
    claimers = 20
    with open_store(db_url, redaction.redact) as setup:
        approved(setup)
    # One store per claimer: separate connections, as separate replicas would have.
    stores = [open_store(db_url, redaction.redact) for _ in range(claimers)]
    start = threading.Barrier(claimers)
    results: list[ClaimResult] = []
    errors: list[BaseException] = []

    def claim(n: int) -> None:
        try:
            start.wait()
            results.append(stores[n].proposals.claim("P1", f"replica-{n}", T0))
        except BaseException as exc:
            errors.append(exc)

    try:
        workers = [threading.Thread(target=claim, args=(n,)) for n in range(claimers)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        for opened in stores:
            opened.close()

    assert errors == []
    winners = [r for r in results if r.claimed]
    assert len(results) == claimers and len(winners) == 1
    assert all(r.claimed_by == winners[0].claimed_by for r in results)
    with open_store(db_url, redaction.redact) as check:
        assert check.proposals.get("P1").claimed_by == winners[0].claimed_by


def test_finish_records_failure_and_redacts_output(
    store: Store, redaction: FakeRedaction
) -> None:
    approved(store)
    store.proposals.claim("P1", "E1", T0)
    failed = ExecutionResult(proposal_id="P1", status=ExecutionStatus.FAILED,
                             output=f"auth failed for {redaction.secret}", attempts=3)
    assert store.proposals.finish("P1", failed, T0)
    stored = store.proposals.get("P1")
    assert stored.status is S.FAILED and stored.finished_at == T0
    assert stored.result is not None
    assert stored.result.output == f"auth failed for {redaction.mask}"
    assert not store.proposals.finish("P1", failed, T0)


def test_finish_needs_an_executing_claim_and_a_run_outcome(store: Store) -> None:
    approved(store)
    assert not store.proposals.finish("P1", succeeded(), T0)
    store.proposals.claim("P1", "E1", T0)
    with pytest.raises(ValueError, match="not already-executed"):
        store.proposals.finish("P1", succeeded().model_copy(
            update={"status": ExecutionStatus.ALREADY_EXECUTED}), T0)
    with pytest.raises(ValueError, match="result is for P2"):
        store.proposals.finish("P1", succeeded("P2"), T0)


def test_claims_of_dead_executors_become_interrupted_and_never_rerun(store: Store) -> None:
    for pid in ("P1", "P2", "P3"):
        approved(store, pid)
    store.proposals.claim("P1", "dead-host:1:x", T0)
    store.proposals.claim("P2", "live-host:2:y", T0)
    assert store.proposals.interrupted() == []

    marked = store.proposals.mark_interrupted(lambda executor: executor.startswith("live"),
                                              T0 + timedelta(minutes=5))
    assert [m.proposal.id for m in marked] == ["P1"]
    assert [s.proposal.id for s in store.proposals.interrupted()] == ["P1"]
    assert store.proposals.get("P1").status is S.INTERRUPTED
    assert store.proposals.get("P2").status is S.EXECUTING
    assert store.proposals.get("P3").status is S.APPROVED

    again = store.proposals.claim("P1", "new-host:3:z", T0 + timedelta(minutes=6))
    assert not again.claimed and again.status is S.INTERRUPTED
    assert "never re-run" in again.explain()
    assert not store.proposals.finish("P1", succeeded(), T0)
    assert store.proposals.mark_interrupted(lambda _: False, T0) == [
        store.proposals.get("P2")
    ]


def test_mutation_count_and_in_flight_facts(store: Store) -> None:
    for pid in ("P1", "P2", "P3", "P4"):
        approved(store, pid)
    store.proposals.save(proposal("P5"), service="payments", resource_key="prod/pay/x/y")
    store.proposals.claim("P1", "E1", T0 - timedelta(hours=2))
    store.proposals.finish("P1", succeeded("P1"), T0)
    store.proposals.claim("P2", "E1", T0)
    store.proposals.finish("P2", succeeded("P2"), T0)
    store.proposals.claim("P3", "E1", T0 + timedelta(minutes=1))

    assert store.proposals.count_mutations("checkout", T0 - timedelta(hours=1)) == 2
    assert store.proposals.count_mutations("checkout", T0 - timedelta(hours=3)) == 3
    assert store.proposals.count_mutations("payments", T0 - timedelta(hours=3)) == 0
    assert store.proposals.in_flight(CHECKOUT)
    store.proposals.finish("P3", succeeded("P3"), T0 + timedelta(minutes=2))
    assert not store.proposals.in_flight(CHECKOUT)
    assert not store.proposals.in_flight("prod/pay/x/y")
