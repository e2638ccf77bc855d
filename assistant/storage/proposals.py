"""Proposals, their approvals and the once-only execution claim (safety invariant 5).

Every status change is a conditional UPDATE (``... WHERE status = <expected>``): on both
databases only one of several concurrent writers can see its condition hold, so double
clicks, retries, replicas and restarts cannot run a proposal twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.models import (
    Approval,
    ExecutionResult,
    ExecutionStatus,
    Proposal,
    ProposalStatus,
    ToolCall,
    Verification,
)
from assistant.storage.audit import Redact
from assistant.storage.database import Database, Transaction
from assistant.storage.errors import ProposalConflictError, UnknownProposalError
from assistant.storage.timestamps import db_time, parse_db_time, utc_now

S = ProposalStatus

# What set_status may do; executing/executed/failed/interrupted are reached only through
# claim(), finish(), record_late() and mark_interrupted().
_DECISION_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    S.PENDING: frozenset({S.APPROVED, S.DENIED, S.EXPIRED, S.DENIED_BY_POLICY,
                          S.NEVER_SHOWN}),
    # An approval can lapse, or the policy re-check before execution can refuse it.
    S.APPROVED: frozenset({S.EXPIRED, S.DENIED, S.DENIED_BY_POLICY}),
}

# Execution started, so the service may have changed even if the run failed or was cut off.
_STARTED = (S.EXECUTING, S.EXECUTED, S.FAILED, S.INTERRUPTED)

_FINISHED_STATUS = {
    ExecutionStatus.SUCCEEDED: S.EXECUTED,
    ExecutionStatus.FAILED: S.FAILED,
    ExecutionStatus.REFUSED: S.FAILED,
}

_COLUMNS = ("id, status, service, resource_key, body, claimed_by, claimed_at, finished_at, "
            "result, made_by")


@dataclass(frozen=True)
class StoredProposal:
    proposal: Proposal
    status: ProposalStatus
    service: str | None
    resource_key: str | None
    approvals: tuple[Approval, ...]
    result: ExecutionResult | None
    claimed_by: str | None
    claimed_at: datetime | None
    finished_at: datetime | None
    made_by: str | None = None  # the executor whose run recorded it; None on older rows


@dataclass(frozen=True)
class ClaimResult:
    """Who runs a proposal. ``claimed`` is True for exactly one caller, ever."""

    proposal_id: str
    claimed: bool
    status: ProposalStatus
    claimed_by: str | None
    claimed_at: datetime | None
    result: ExecutionResult | None

    def explain(self) -> str:
        who, when = self.claimed_by, self.claimed_at.isoformat() if self.claimed_at else "?"
        if self.claimed:
            return f"proposal {self.proposal_id} claimed by {who} at {when}"
        if self.status in (S.EXECUTED, S.FAILED):
            return (
                f"proposal {self.proposal_id} already executed by {who} at {when} "
                f"({self.status.value})"
            )
        if self.status is S.EXECUTING:
            return f"proposal {self.proposal_id} is already being executed by {who} since {when}"
        if self.status is S.INTERRUPTED:
            return (
                f"proposal {self.proposal_id} was interrupted while {who} executed it "
                f"(claimed at {when}); it is never re-run"
            )
        return f"proposal {self.proposal_id} is {self.status.value}, not approved"


class ProposalStore:
    def __init__(self, db: Database, redact: Redact) -> None:
        self._db = db
        self._redact = redact

    def save(
        self,
        proposal: Proposal,
        *,
        service: str | None,
        resource_key: str | None,
        status: ProposalStatus = S.PENDING,
        made_by: str | None = None,
    ) -> bool:
        """Store a new proposal; returns False if this exact call is already stored.

        ``resource_key`` is environment/namespace/kind/name, e.g. prod/shop/deployment/checkout.
        ``made_by`` is the executor id of the process whose run records it.
        Saving again (a graph node replayed after a restart) is a no-op; a different call
        under the same id is a ProposalConflictError.
        """
        if status not in (S.PENDING, S.DENIED_BY_POLICY, S.APPROVED):
            raise ValueError(f"a proposal cannot be saved as {status.value}")
        stored = proposal.model_copy(
            update={
                "rationale": str(self._redact(proposal.rationale)),
                "preview": str(self._redact(proposal.preview)),
            }
        )
        with self._db.write() as tx:
            existing = tx.one(
                "SELECT tool, args_hash FROM proposals WHERE id = ?", (proposal.id,)
            )
            if existing is not None:
                if existing != (proposal.call.tool, proposal.args_hash):
                    raise ProposalConflictError(
                        f"proposal {proposal.id!r} is already stored with a different call "
                        f"({existing[0]}, args hash {existing[1][:12]})"
                    )
                return False
            tx.execute(
                "INSERT INTO proposals (id, thread_id, tool, args_hash, status, service, "
                "resource_key, created_at, body, made_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (proposal.id, proposal.thread_id, proposal.call.tool, proposal.args_hash,
                 status.value, service, resource_key, db_time(proposal.created_at),
                 stored.model_dump_json(), made_by),
            )
        return True

    def get(self, proposal_id: str) -> StoredProposal:
        with self._db.read() as tx:
            found = self._load(tx, "WHERE id = ?", (proposal_id,))
        if not found:
            raise UnknownProposalError(proposal_id)
        return found[0]

    def for_thread(self, thread_id: str) -> list[StoredProposal]:
        with self._db.read() as tx:
            return self._load(tx, "WHERE thread_id = ? ORDER BY created_at, id", (thread_id,))

    def add_approval(self, approval: Approval) -> bool:
        """Record a Confirm or Deny click; returns False for a repeat click by the same person.

        The first click of each approver counts. An approval for other arguments than the
        stored proposal's is refused: approvals are bound to the exact call (invariant 1d).
        """
        with self._db.write() as tx:
            _require_same_call(tx, approval)
            return _insert_approval(tx, approval)

    def approve(self, approval: Approval, *, enough: bool) -> bool:
        """Record a Confirm click that counts, together with what it does to the status:
        the proposal must still be pending, and becomes approved when ``enough`` (this
        approval completes what the policy requires). False, with nothing recorded, when
        it is no longer pending or this approver is already recorded: of two approvers
        racing on two replicas, the loser leaves no approval behind."""
        with self._db.write() as tx:
            _require_same_call(tx, approval)
            # The conditional update comes first: on PostgreSQL it locks the row, so racing
            # approvals of one proposal take their turns from here on.
            if not tx.execute(
                "UPDATE proposals SET status = ? WHERE id = ? AND status = ?",
                ((S.APPROVED if enough else S.PENDING).value, approval.proposal_id,
                 S.PENDING.value),
            ):
                return False
            if _insert_approval(tx, approval):
                return True
            tx.execute("UPDATE proposals SET status = ? WHERE id = ?",
                       (S.PENDING.value, approval.proposal_id))
        return False

    def set_status(
        self,
        proposal_id: str,
        status: ProposalStatus,
        *,
        expected: ProposalStatus = S.PENDING,
    ) -> bool:
        """Move from ``expected`` to ``status``; False if the proposal was no longer there."""
        if status not in _DECISION_TRANSITIONS.get(expected, frozenset()):
            raise ValueError(
                f"set_status cannot move a proposal from {expected.value} to {status.value}"
            )
        with self._db.write() as tx:
            changed = tx.execute(
                "UPDATE proposals SET status = ? WHERE id = ? AND status = ?",
                (status.value, proposal_id, expected.value),
            )
            if not changed:
                self._require(tx, proposal_id)
        return changed == 1

    def claim(self, proposal_id: str, executor: str, now: datetime) -> ClaimResult:
        """Take the right to execute: approved -> executing, for one caller only.

        ``executor`` identifies the process (see executors.new_executor_id).
        """
        with self._db.write() as tx:
            changed = tx.execute(
                "UPDATE proposals SET status = ?, claimed_by = ?, claimed_at = ? "
                "WHERE id = ? AND status = ?",
                (S.EXECUTING.value, executor, db_time(now), proposal_id, S.APPROVED.value),
            )
            stored = self._require(tx, proposal_id)
        return ClaimResult(
            proposal_id=proposal_id,
            claimed=changed == 1,
            status=stored.status,
            claimed_by=stored.claimed_by,
            claimed_at=stored.claimed_at,
            result=stored.result,
        )

    def finish(
        self, proposal_id: str, result: ExecutionResult, now: datetime | None = None
    ) -> bool:
        """executing -> executed (succeeded) or failed (failed, refused), with the result.

        False if the claim is no longer executing (e.g. marked interrupted meanwhile).
        """
        return self._end(proposal_id, result, now, "status = ?", (S.EXECUTING.value,))

    def record_late(
        self, proposal_id: str, result: ExecutionResult, now: datetime | None = None
    ) -> bool:
        """Record a result its executor could not write when the run ended (the database
        was unavailable): executing, or interrupted by a sweep meanwhile, -> executed or
        failed. Only the claim's own executor's result counts; False when there is nothing
        to change (already recorded, or claimed by someone else)."""
        if not result.executed_by:
            raise ValueError(f"the result for {proposal_id} does not say who executed it")
        return self._end(proposal_id, result, now, "status IN (?, ?) AND claimed_by = ?",
                         (S.EXECUTING.value, S.INTERRUPTED.value, result.executed_by))

    def add_verification(self, proposal_id: str, verification: Verification,
                         compensation: ToolCall | None) -> ExecutionResult | None:
        """Complete an executed proposal's result with its verification (made after the
        result was recorded); None when there is no executed result to complete."""
        with self._db.write() as tx:
            stored = self._require(tx, proposal_id)
            if stored.status is not S.EXECUTED or stored.result is None:
                return None
            result = stored.result.model_copy(update={
                "verification": verification.model_copy(
                    update={"detail": str(self._redact(verification.detail))}),
                "compensation": compensation})
            tx.execute("UPDATE proposals SET result = ? WHERE id = ? AND status = ?",
                       (result.model_dump_json(), proposal_id, S.EXECUTED.value))
        return result

    def _end(self, proposal_id: str, result: ExecutionResult, now: datetime | None,
             condition: str, params: tuple[str, ...]) -> bool:
        status = _FINISHED_STATUS.get(result.status)
        if status is None:
            raise ValueError(f"a claim ends with a run's outcome, not {result.status.value}")
        if result.proposal_id != proposal_id:
            raise ValueError(f"result is for {result.proposal_id}, not {proposal_id}")
        stored = result.model_copy(update={"output": str(self._redact(result.output))})
        with self._db.write() as tx:
            changed = tx.execute(
                "UPDATE proposals SET status = ?, result = ?, finished_at = ? "
                f"WHERE id = ? AND {condition}",
                (status.value, stored.model_dump_json(), db_time(now or utc_now()), proposal_id,
                 *params),
            )
            if not changed:
                self._require(tx, proposal_id)
        return changed == 1

    def mark_interrupted(
        self, executor_alive: Callable[[str], bool], now: datetime | None = None
    ) -> list[StoredProposal]:
        """Mark executing claims whose executor is gone as interrupted; they never re-run.

        Returns the proposals this call marked, for the caller to audit and report.
        """
        with self._db.read() as tx:
            claims = tx.all(
                "SELECT id, claimed_by FROM proposals WHERE status = ?", (S.EXECUTING.value,)
            )
        dead = [(pid, who) for pid, who in claims if not executor_alive(who)]
        marked_at = now or utc_now()
        marked: list[StoredProposal] = []
        for proposal_id, executor in dead:
            stored = self.interrupt(proposal_id, executor, marked_at)
            if stored is not None:
                marked.append(stored)
        return marked

    def interrupt(
        self, proposal_id: str, executor: str, now: datetime
    ) -> StoredProposal | None:
        """executing -> interrupted for the claim ``executor`` holds; it never re-runs.

        None if the proposal is no longer executing under that claim (it finished, or was
        marked already). The executor id is in the condition: a claim re-taken since is
        left alone.
        """
        with self._db.write() as tx:
            if tx.execute(
                "UPDATE proposals SET status = ?, finished_at = ? "
                "WHERE id = ? AND status = ? AND claimed_by = ?",
                (S.INTERRUPTED.value, db_time(now), proposal_id, S.EXECUTING.value, executor),
            ):
                return self._require(tx, proposal_id)
            self._require(tx, proposal_id)
        return None

    def listing(
        self, status: ProposalStatus | None = None, limit: int = 50, *,
        oldest_first: bool = False,
    ) -> list[StoredProposal]:
        """The newest proposals first (or the oldest), all or of one status."""
        where, params = ("WHERE status = ? ", (status.value,)) if status else ("", ())
        order = "created_at, id" if oldest_first else "created_at DESC, id"
        with self._db.read() as tx:
            return self._load(tx, f"{where}ORDER BY {order} LIMIT ?", (*params, limit))

    def interrupted(self) -> list[StoredProposal]:
        with self._db.read() as tx:
            return self._load(
                tx, "WHERE status = ? ORDER BY claimed_at, id", (S.INTERRUPTED.value,)
            )

    def count_mutations(self, service: str, since: datetime) -> int:
        """Executions of proposals on ``service`` started at or after ``since``.

        Failed and interrupted runs count too: they may have changed the service.
        """
        marks = ", ".join("?" for _ in _STARTED)
        with self._db.read() as tx:
            row = tx.one(
                f"SELECT COUNT(*) FROM proposals WHERE service = ? AND claimed_at >= ? "
                f"AND status IN ({marks})",
                (service, db_time(since), *(s.value for s in _STARTED)),
            )
        return int(row[0]) if row else 0

    def in_flight(self, resource_key: str) -> bool:
        """Is a proposal on this resource executing right now?"""
        with self._db.read() as tx:
            row = tx.one(
                "SELECT 1 FROM proposals WHERE resource_key = ? AND status = ? LIMIT 1",
                (resource_key, S.EXECUTING.value),
            )
        return row is not None

    def _require(self, tx: Transaction, proposal_id: str) -> StoredProposal:
        found = self._load(tx, "WHERE id = ?", (proposal_id,))
        if not found:
            raise UnknownProposalError(proposal_id)
        return found[0]

    @staticmethod
    def _load(tx: Transaction, where: str, params: tuple[Any, ...]) -> list[StoredProposal]:
        rows = tx.all(f"SELECT {_COLUMNS} FROM proposals {where}", params)
        if not rows:
            return []
        approvals = _approvals_by_proposal(tx, [row[0] for row in rows])
        return [_to_stored(row, approvals.get(row[0], ())) for row in rows]


def _require_same_call(tx: Transaction, approval: Approval) -> None:
    row = tx.one("SELECT args_hash FROM proposals WHERE id = ?", (approval.proposal_id,))
    if row is None:
        raise UnknownProposalError(approval.proposal_id)
    if row[0] != approval.args_hash:
        raise ProposalConflictError(
            f"approval by {approval.approver.user_id} is for args hash "
            f"{approval.args_hash[:12]}, but proposal {approval.proposal_id} has "
            f"{row[0][:12]}: a changed call needs a new approval"
        )


def _insert_approval(tx: Transaction, approval: Approval) -> bool:
    """False when this approver is already recorded: their first click counts."""
    if tx.one(
        "SELECT 1 FROM approvals WHERE proposal_id = ? AND approver_id = ?",
        (approval.proposal_id, approval.approver.user_id),
    ):
        return False
    tx.execute(
        "INSERT INTO approvals (proposal_id, approver_id, approved, at, body) "
        "VALUES (?, ?, ?, ?, ?)",
        (approval.proposal_id, approval.approver.user_id, int(approval.approved),
         db_time(approval.at), approval.model_dump_json()),
    )
    return True


def _approvals_by_proposal(
    tx: Transaction, proposal_ids: Iterable[str]
) -> dict[str, tuple[Approval, ...]]:
    ids = list(proposal_ids)
    marks = ", ".join("?" for _ in ids)
    rows = tx.all(
        f"SELECT proposal_id, body FROM approvals WHERE proposal_id IN ({marks}) "
        "ORDER BY at, approver_id",
        ids,
    )
    grouped: dict[str, list[Approval]] = {}
    for proposal_id, body in rows:
        grouped.setdefault(proposal_id, []).append(Approval.model_validate_json(body))
    return {key: tuple(value) for key, value in grouped.items()}


def _to_stored(row: tuple[Any, ...], approvals: tuple[Approval, ...]) -> StoredProposal:
    (_id, status, service, resource_key, body, claimed_by, claimed_at, finished_at, result,
     made_by) = row
    return StoredProposal(
        proposal=Proposal.model_validate_json(body),
        status=ProposalStatus(status),
        service=service,
        resource_key=resource_key,
        approvals=approvals,
        result=ExecutionResult.model_validate_json(result) if result else None,
        claimed_by=claimed_by,
        claimed_at=parse_db_time(claimed_at) if claimed_at else None,
        finished_at=parse_db_time(finished_at) if finished_at else None,
        made_by=made_by,
    )
