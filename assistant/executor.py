"""The executor: the only code that runs a mutating tool.

Order matters and is the safety argument: the approval must cover the exact args hash,
policy is decided again with fresh facts and must still say confirm, then the proposal is
claimed with a conditional update (at most once across clicks, retries, replicas and
restarts), then the tool runs with bounded retries, the output is redacted, and the result
is recorded. The result goes to the local spool before the database, so a database failing
at that moment cannot make an action that ran vanish.

Verifying the effect is a step of its own (``verify``), after the result is recorded: it
watches for minutes, and the watch is recorded with the result so that a process dying
mid-watch leaves an action that succeeded and a watch another process resumes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from assistant.compensation import compensating_call
from assistant.gate import PolicyGate
from assistant.models import (
    ExecutionResult,
    ExecutionStatus,
    Outcome,
    PendingVerification,
    Proposal,
    ProposalStatus,
    ToolCall,
    Verification,
)
from assistant.storage import AuditLog, Store, StoredProposal
from assistant.storage.spool import ResultSpool
from assistant.verification import judge, snapshot
from tools.backend import AlreadyInPlace, Backend, ToolFailure, run_tool
from tools.catalog import get_tool

logger = logging.getLogger(__name__)


# Runs this process remembers, for telling the truth about a click whose reply failed.
REMEMBERED_RUNS = 256


def _action_of(proposal: Proposal) -> dict[str, Any]:
    """What an execution event says of the action besides its result, so a reader (the
    metrics, a SIEM) needs no join with the proposal event."""
    return {"tool": proposal.call.tool, "runbook_id": proposal.runbook_id}


def audit_execution(audit: AuditLog, proposal: Proposal, result: ExecutionResult) -> None:
    """The audit events of a run's result: its execution, and its verification if any."""
    thread = proposal.thread_id
    audit.append("execution", actor=result.executed_by, thread=thread,
                 payload={**result.model_dump(mode="json"), **_action_of(proposal)})
    audit_verification(audit, thread, result)


def audit_verification(audit: AuditLog, thread: str, result: ExecutionResult) -> None:
    if result.verification is not None:
        audit.append("verification", actor=result.executed_by, thread=thread, payload={
            "proposal_id": result.proposal_id, **result.verification.model_dump(mode="json"),
        })


@dataclass(frozen=True)
class RunOutcome:
    """A run of this process: what ran, its result, and whether the database holds it yet."""

    call: ToolCall
    result: ExecutionResult
    recorded: bool


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    deadline_seconds: float = 60.0
    max_backoff_seconds: float = 10.0


@dataclass
class Executor:
    backend: Backend
    gate: PolicyGate
    store: Store
    redact: Callable[[str], str]
    executor_id: str
    spool: ResultSpool
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Post-action verification polls the target's health until it has clearly improved
    # or the bound runs out, so a slow recovery is not reported as "unchanged" too early.
    verify_interval_seconds: float = 30.0
    verify_bound_seconds: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    # Set when the process shuts down: a verification in progress ends at its next look, so
    # the watch ends with its verdict recorded instead of being cut off mid-watch.
    stopping: threading.Event = field(default_factory=threading.Event)
    _runs: OrderedDict[str, RunOutcome] = field(default_factory=OrderedDict, init=False)
    _runs_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def outcome(self, proposal_id: str) -> RunOutcome | None:
        """What became of this process's run of ``proposal_id``; None if it ran none."""
        with self._runs_lock:
            return self._runs.get(proposal_id)

    def _remember(self, call: ToolCall, result: ExecutionResult, *, recorded: bool) -> None:
        with self._runs_lock:
            self._runs[result.proposal_id] = RunOutcome(call, result, recorded)
            self._runs.move_to_end(result.proposal_id)
            while len(self._runs) > REMEMBERED_RUNS:
                self._runs.popitem(last=False)

    def _audit(self, kind: str, actor: str | None, thread: str, payload: dict[str, Any]) -> None:
        self.store.audit.append(kind, actor=actor, thread=thread, payload=payload)

    def _refuse(self, proposal: Proposal, why: str) -> ExecutionResult:
        result = ExecutionResult(
            proposal_id=proposal.id, status=ExecutionStatus.REFUSED, output=self.redact(why)
        )
        self._audit("execution", None, proposal.thread_id,
                    {**result.model_dump(mode="json"), **_action_of(proposal)})
        return result

    def execute(self, proposal_id: str) -> ExecutionResult:
        stored = self.store.proposals.get(proposal_id)
        proposal = stored.proposal
        thread = proposal.thread_id
        if stored.status is not ProposalStatus.APPROVED:
            return self._already(stored)
        environment = (stored.resource_key or "").partition("/")[0]
        if environment and environment != self.backend.environment:
            # A database shared by mistake (a sandbox pointed at production's OPSBOT_DB)
            # must not run a production approval against the wrong world, or vice versa.
            return self._refuse(
                proposal, f"{proposal_id} was proposed for {environment}; this opsbot acts on "
                f"{self.backend.environment}")
        if proposal.call.args_hash != proposal.args_hash:
            return self._refuse(proposal, "arguments changed since the proposal")
        valid = [
            a for a in stored.approvals if a.approved and a.args_hash == proposal.args_hash
        ]
        if len(valid) < max(1, proposal.decision.approvals_required):
            return self._refuse(
                proposal,
                f"{len(valid)} valid approval(s), {proposal.decision.approvals_required} needed",
            )
        ttl = proposal.decision.ttl_seconds
        approved_at = max(a.at for a in valid)
        if ttl is not None and (self.backend.now() - approved_at).total_seconds() > ttl:
            # An approval is for acting now, not whenever a stopped run is picked up again.
            self.store.proposals.set_status(
                proposal_id, ProposalStatus.EXPIRED, expected=ProposalStatus.APPROVED)
            return self._refuse(
                proposal,
                f"the approval from {approved_at:%Y-%m-%d %H:%M} UTC expired after "
                f"{ttl // 60} min without running; propose it again")
        recheck = self.gate.recheck(proposal, valid)
        self._audit("decision", proposal.requester.user_id, thread, {
            "proposal_id": proposal_id, "stage": "execution-recheck",
            **recheck.decision.model_dump(mode="json"),
        })
        if recheck.decision.outcome is not Outcome.CONFIRM:
            self.store.proposals.set_status(
                proposal_id, ProposalStatus.DENIED_BY_POLICY, expected=ProposalStatus.APPROVED
            )
            return self._refuse(
                proposal, f"policy no longer allows this: {recheck.decision.explain()}")
        # The policy may have changed since the clicks (files are reloaded while running):
        # only approvers who still qualify count, against what the policy requires now.
        counted = recheck.counted
        if len(counted) < recheck.approvals_needed:
            self.store.proposals.set_status(
                proposal_id, ProposalStatus.DENIED_BY_POLICY, expected=ProposalStatus.APPROVED
            )
            return self._refuse(
                proposal,
                f"{len(counted)} approval(s) still count under the current policy, "
                f"{recheck.approvals_needed} needed; propose it again")
        facts = recheck.facts
        claim = self.store.proposals.claim(proposal_id, self.executor_id, facts.now)
        if not claim.claimed:
            return self._already(self.store.proposals.get(proposal_id))
        # Several approvers are all named, in the order they approved, so a silence's
        # createdBy answers "who let this happen" without a trip to the audit log.
        approved_by = ", ".join(a.approver.user_id for a in sorted(valid, key=lambda a: a.at)
                                if a.approver.user_id in counted)
        return self._run_claimed(proposal, approved_by)

    def _already(self, stored: StoredProposal) -> ExecutionResult:
        if stored.result is not None:
            return stored.result.model_copy(update={
                "status": ExecutionStatus.ALREADY_EXECUTED,
                "output": f"already executed by {stored.claimed_by} at {stored.claimed_at}: "
                          f"{stored.result.output}",
            })
        return ExecutionResult(
            proposal_id=stored.proposal.id,
            status=ExecutionStatus.ALREADY_EXECUTED
            if stored.status in (ProposalStatus.EXECUTING, ProposalStatus.EXECUTED)
            else ExecutionStatus.REFUSED,
            output=f"proposal is {stored.status.value}"
            + (f" (claimed by {stored.claimed_by} at {stored.claimed_at})"
               if stored.claimed_by else ""),
            executed_by=stored.claimed_by,
        )

    def _retrying(self, idempotent: bool) -> Retrying:
        def transient(exc: BaseException) -> bool:
            if not isinstance(exc, ToolFailure) or not exc.transient:
                return False
            # A throttled request (Retry-After) was refused before it took effect, so even a
            # non-idempotent step may be sent again; any other failure might have applied.
            return idempotent or exc.retry_after is not None

        backoff = wait_random_exponential(multiplier=0.5, max=self.retry.max_backoff_seconds)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            after = exc.retry_after if isinstance(exc, ToolFailure) else None
            return max(backoff(state), after or 0.0)

        return Retrying(
            retry=retry_if_exception(transient),
            stop=stop_after_attempt(self.retry.max_attempts)
            | stop_after_delay(self.retry.deadline_seconds),
            wait=wait,
            sleep=self.sleep,
            reraise=True,
        )

    def verify(self, proposal_id: str) -> ExecutionResult | None:
        """Watch the effect of this executor's run of ``proposal_id`` and record the verdict:
        the result completed with it, or None when nothing is due here (no verification,
        or another executor took the watch over)."""
        pending = self.store.verifications.watching(proposal_id, self.executor_id)
        return self.watch(pending) if pending is not None else None

    def watch(self, pending: PendingVerification) -> ExecutionResult | None:
        """Watch a verification this executor holds until it settles or its bound (counted
        from when the action ran, so a resumed watch does not start over) runs out."""
        verification = self._watch_health(pending)
        if verification is None:
            # Cut short by a shutdown: no verdict (a rollout half done looks worse than it
            # is), so no undo either. The watch stays open for a live replica, or the next
            # start, to take over once this executor's lease has stopped.
            return None
        undo = pending.undo if verification.verdict == "worse" else None
        # One transaction: an adapter that sees the watch finished (and takes its report)
        # must find the verdict on the result, never a finished watch without one. Ending
        # the watch first makes this executor the only one to record a verdict.
        with self.store.transaction():
            if not self.store.verifications.finish(pending.proposal_id, self.executor_id,
                                                   self.backend.now()):
                return None
            result = self.store.proposals.add_verification(pending.proposal_id, verification,
                                                           undo)
            if result is not None:
                audit_verification(self.store.audit, pending.thread_id, result)
        return result

    def _watch_health(self, pending: PendingVerification) -> Verification | None:
        bound = pending.bound_seconds
        step = min(self.verify_interval_seconds, bound)
        waited = 0.0
        while True:
            self.backend.wait(step)
            waited += step
            after = snapshot(self.backend.inventory(), pending.watch)
            verdict = judge(pending.before, after)
            since_action = (self.backend.now() - pending.started_at).total_seconds()
            # A shutdown cuts the backend's wait short, so the steps asked for overstate the
            # watch: only the backend's clock says how long it lasted.
            elapsed = since_action if self.stopping.is_set() else max(waited, since_action)
            settled = verdict.verdict == "improved" and not after.firing_alerts
            if settled or elapsed >= bound:
                return verdict.model_copy(
                    update={"detail": f"{verdict.detail} (after {elapsed:.0f} s)"})
            if self.stopping.is_set():
                return None

    def _run_claimed(self, proposal: Proposal, approved_by: str) -> ExecutionResult:
        proposal_id, thread, call = proposal.id, proposal.thread_id, proposal.call
        spec = get_tool(call.tool)
        args = spec.validate_args(call.args)
        watch = spec.watched(args)
        before = snapshot(self.backend.inventory(), watch)
        started = time.perf_counter()
        attempts = 0
        status = ExecutionStatus.SUCCEEDED
        produced: BaseModel | None = None
        try:
            for attempt in self._retrying(spec.repeatable(args)):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    ran = run_tool(self.backend, call, approved_by=approved_by)
                    output = ran.text
                    produced = ran.data
        except AlreadyInPlace as exc:
            if attempts > 1:
                # An earlier attempt failed in a way that may have applied (its answer
                # lost): what is in place is most likely that attempt's doing.
                output, produced = exc.done.text, exc.done.data
            else:
                # Nothing of ours ran before: someone else did it, and this run did nothing.
                status = ExecutionStatus.FAILED
                output = f"{call.tool} changed nothing: {exc}"
        except ToolFailure as exc:
            status = ExecutionStatus.FAILED
            output = f"{call.tool} failed after {attempts} attempt(s): {exc}"
        except Exception as exc:  # the claim must end in a recorded outcome, never hang
            logger.exception("%s raised while executing %s", call.tool, proposal_id)
            status = ExecutionStatus.FAILED
            output = f"{call.tool} failed unexpectedly after {attempts} attempt(s): {exc!r}"
        duration_ms = (time.perf_counter() - started) * 1000
        result = ExecutionResult(
            proposal_id=proposal_id,
            status=status,
            output=self.redact(output),
            attempts=attempts,
            duration_ms=round(duration_ms, 2),
            executed_by=self.executor_id,
        )
        # Verification is a step of its own, after the result is recorded: watching can
        # take minutes, and a crash while watching must not undo what is known to have run.
        pending = PendingVerification(
            proposal_id=proposal_id, thread_id=thread, call=call, watch=watch, before=before,
            started_at=self.backend.now(), bound_seconds=self.verify_bound_seconds,
            undo=compensating_call(call, produced),
        ) if status is ExecutionStatus.SUCCEEDED and self.verify_bound_seconds > 0 else None
        self._remember(call, result, recorded=False)
        try:
            with self.spool.kept(thread, result):
                if pending is not None:
                    self.store.verifications.start(pending, self.executor_id)
                self.store.proposals.finish(proposal_id, result)
                audit_execution(self.store.audit, proposal, result)
        except Exception:
            # The claim stays executing under this live executor (the resource stays
            # clearly owned) until a heartbeat records the spooled result.
            logger.warning("the result of %s could not be recorded; it is kept in %s and "
                           "recorded when the database is back", proposal_id,
                           self.spool.folder, exc_info=True)
            raise
        self._remember(call, result, recorded=True)
        return result
