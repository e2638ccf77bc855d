"""A rollback proposal for shop/checkout, its approvals and its result, as the storage tests
(and the tests building on stored proposals) save them."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import RawDatabase

from assistant.models import (
    Actor,
    Approval,
    BlastRadius,
    Decision,
    ExecutionResult,
    ExecutionStatus,
    Outcome,
    Proposal,
    ProposalStatus,
    ToolCall,
)
from assistant.storage import Store
from assistant.storage.timestamps import db_time

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CHECKOUT = "prod/shop/deployment/checkout"


def proposal(pid: str = "P1", thread: str = "T1", revision: int = 41,
             rationale: str = "roll back the bad deploy") -> Proposal:
    call = ToolCall(tool="rollback_deployment",
                    args={"namespace": "shop", "deployment": "checkout", "revision": revision})
    return Proposal(
        id=pid,
        thread_id=thread,
        call=call,
        rationale=rationale,
        runbook_id="k8s-crashloop-after-deploy",
        runbook_step=1,
        requester=Actor(user_id="U-ALICE"),
        blast_radius=BlastRadius(namespaces=("shop",), service="checkout", pods_affected=3),
        preview="checkout: revision 42 -> 41",
        args_hash=call.args_hash,
        created_at=T0,
        decision=Decision(outcome=Outcome.CONFIRM, reasons=(), approver_roles=("sre",),
                          approvals_required=1, policy_version="v1"),
    )


def approval(p: Proposal, user: str = "U-BOB", approved: bool = True,
             args_hash: str | None = None) -> Approval:
    return Approval(proposal_id=p.id, approver=Actor(user_id=user),
                    args_hash=args_hash or p.args_hash, approved=approved, at=T0)


def approved(store: Store, pid: str = "P1") -> Proposal:
    p = proposal(pid)
    store.proposals.save(p, service="checkout", resource_key=CHECKOUT)
    assert store.proposals.set_status(pid, ProposalStatus.APPROVED)
    return p


def succeeded(pid: str = "P1", output: str = "rolled back") -> ExecutionResult:
    return ExecutionResult(proposal_id=pid, status=ExecutionStatus.SUCCEEDED, output=output,
                           attempts=1, duration_ms=12.5, executed_by="E1")


def stored_before_makers(raw_db: RawDatabase, p: Proposal, status: str = "pending",
                         claimed_by: str | None = None) -> None:
    """A proposal row as opsbot wrote it before proposals kept their maker (migration 10),
    for upgrade tests: the store's code of today writes that column."""
    raw_db.execute(
        "INSERT INTO proposals (id, thread_id, tool, args_hash, status, service, "
        "resource_key, created_at, body, claimed_by, claimed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p.id, p.thread_id, p.call.tool, p.args_hash, status, p.blast_radius.service,
         CHECKOUT, db_time(p.created_at), p.model_dump_json(), claimed_by,
         db_time(T0) if claimed_by else None))
