"""The executor: the only code that runs a mutating tool.

Order matters and is the safety argument: the approval must cover the exact args hash,
policy is decided again with fresh facts and must still say confirm, then the proposal is
claimed with a conditional update (at most once across clicks, retries, replicas and
restarts), then the tool runs with bounded retries, the output is redacted, and the result
and a verification of its effect are recorded. The result goes to the local spool before the
database, so a database failing at that moment cannot make an action that ran vanish.
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
from assistant.facts import gather_facts
from assistant.models import (
    ExecutionResult,
    ExecutionStatus,
    Outcome,
    ProposalStatus,
    ToolCall,
    Verification,
    Watch,
)
from assistant.policy import counted_approvers, decide
from assistant.policy.source import PolicyProvider
from assistant.storage import AuditLog
from assistant.storage.spool import ResultSpool
from assistant.verification import HealthSnapshot, judge, snapshot
from tools.backend import Backend, ToolFailure, run_tool
from tools.catalog import get_tool

logger = logging.getLogger(__name__)


# Runs this process remembers, for telling the truth about a click whose reply failed.
REMEMBERED_RUNS = 256


def audit_execution(audit: AuditLog, thread: str, result: ExecutionResult) -> None:
    """The audit events of a run's result: its execution, and its verification if any."""
    audit.append("execution", actor=result.executed_by, thread=thread,
                 payload=result.model_dump(mode="json"))
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
    policies: PolicyProvider
    store: Any  # assistant.storage Store
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
    # the claim ends with its result recorded instead of being cut off mid-watch.
    stopping: threading.Event = field(default_factory=threading.Event)
    _runs: OrderedDict[str, RunOutcome] = field(default_factory=OrderedDict, init=False)
    _runs_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def policy(self) -> Any:
        return self.policies.current()

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

    def _refuse(self, proposal_id: str, thread: str, why: str) -> ExecutionResult:
        result = ExecutionResult(
            proposal_id=proposal_id, status=ExecutionStatus.REFUSED, output=self.redact(why)
        )
        self._audit("execution", None, thread, result.model_dump(mode="json"))
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
                proposal_id, thread,
                f"{proposal_id} was proposed for {environment}; this opsbot acts on "
                f"{self.backend.environment}")
        if proposal.call.args_hash != proposal.args_hash:
            return self._refuse(proposal_id, thread, "arguments changed since the proposal")
        valid = [
            a for a in stored.approvals if a.approved and a.args_hash == proposal.args_hash
        ]
        if len(valid) < max(1, proposal.decision.approvals_required):
            return self._refuse(
                proposal_id, thread,
                f"{len(valid)} valid approval(s), {proposal.decision.approvals_required} needed",
            )
        ttl = proposal.decision.ttl_seconds
        approved_at = max(a.at for a in valid)
        if ttl is not None and (self.backend.now() - approved_at).total_seconds() > ttl:
            # An approval is for acting now, not whenever a stopped run is picked up again.
            self.store.proposals.set_status(
                proposal_id, ProposalStatus.EXPIRED, expected=ProposalStatus.APPROVED)
            return self._refuse(
                proposal_id, thread,
                f"the approval from {approved_at:%Y-%m-%d %H:%M} UTC expired after "
                f"{ttl // 60} min without running; propose it again")
        facts = gather_facts(
            self.backend, self.store.proposals,
            self.policy.rate_window(self.backend.environment), proposal.call,
        )
        recheck = decide(self.policy, proposal.requester, proposal.call, facts)
        self._audit("decision", proposal.requester.user_id, thread, {
            "proposal_id": proposal_id, "stage": "execution-recheck",
            **recheck.model_dump(mode="json"),
        })
        if recheck.outcome is not Outcome.CONFIRM:
            self.store.proposals.set_status(
                proposal_id, ProposalStatus.DENIED_BY_POLICY, expected=ProposalStatus.APPROVED
            )
            return self._refuse(
                proposal_id, thread, f"policy no longer allows this: {recheck.explain()}"
            )
        # The policy may have changed since the clicks (files are reloaded while running):
        # only approvers who still qualify count, against what the policy requires now.
        counted = counted_approvers(self.policy, proposal, recheck, valid)
        needed = max(1, recheck.approvals_required)
        if len(counted) < needed:
            self.store.proposals.set_status(
                proposal_id, ProposalStatus.DENIED_BY_POLICY, expected=ProposalStatus.APPROVED
            )
            return self._refuse(
                proposal_id, thread,
                f"{len(counted)} approval(s) still count under the current policy, {needed} "
                "needed; propose it again")
        claim = self.store.proposals.claim(proposal_id, self.executor_id, facts.now)
        if not claim.claimed:
            return self._already(self.store.proposals.get(proposal_id))
        # Several approvers are all named, in the order they approved, so a silence's
        # createdBy answers "who let this happen" without a trip to the audit log.
        approved_by = ", ".join(a.approver.user_id for a in sorted(valid, key=lambda a: a.at)
                                if a.approver.user_id in counted)
        return self._run_claimed(proposal_id, thread, proposal.call, approved_by)

    def _already(self, stored: Any) -> ExecutionResult:
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

    def _verify(self, before: HealthSnapshot, watch: Watch) -> Verification:
        waited = 0.0
        step = min(self.verify_interval_seconds, self.verify_bound_seconds)
        began = self.backend.now()
        while True:
            self.backend.wait(step)
            waited += step
            after = snapshot(self.backend.inventory(), watch)
            verdict = judge(before, after)
            settled = verdict.verdict == "improved" and not after.firing_alerts
            # A shutdown cuts the backend's wait short: its clock says how long it watched.
            watched = (self.backend.now() - began).total_seconds()
            if settled or waited >= self.verify_bound_seconds:
                return verdict.model_copy(
                    update={"detail": f"{verdict.detail} (after {watched:.0f} s)"})
            if self.stopping.is_set():
                return verdict.model_copy(update={"detail": (
                    f"{verdict.detail} (after {watched:.0f} s; watching stopped early: opsbot "
                    "was shutting down)")})

    def _run_claimed(self, proposal_id: str, thread: str, call: ToolCall,
                     approved_by: str) -> ExecutionResult:
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
        except ToolFailure as exc:
            status = ExecutionStatus.FAILED
            output = f"{call.tool} failed after {attempts} attempt(s): {exc}"
        except Exception as exc:  # the claim must end in a recorded outcome, never hang
            logger.exception("%s raised while executing %s", call.tool, proposal_id)
            status = ExecutionStatus.FAILED
            output = f"{call.tool} failed unexpectedly after {attempts} attempt(s): {exc!r}"
        duration_ms = (time.perf_counter() - started) * 1000
        verification: Verification | None = None
        if status is ExecutionStatus.SUCCEEDED and self.verify_bound_seconds > 0:
            verification = self._verify(before, watch)
        worse = verification is not None and verification.verdict == "worse"
        result = ExecutionResult(
            proposal_id=proposal_id,
            status=status,
            output=self.redact(output),
            attempts=attempts,
            duration_ms=round(duration_ms, 2),
            executed_by=self.executor_id,
            verification=verification,
            compensation=compensating_call(call, produced) if worse else None,
        )
        self._remember(call, result, recorded=False)
        try:
            with self.spool.kept(thread, result):
                self.store.proposals.finish(proposal_id, result)
                audit_execution(self.store.audit, thread, result)
        except Exception:
            # The claim stays executing under this live executor (the resource stays
            # clearly owned) until a heartbeat records the spooled result.
            logger.warning("the result of %s could not be recorded; it is kept in %s and "
                           "recorded when the database is back", proposal_id,
                           self.spool.folder, exc_info=True)
            raise
        self._remember(call, result, recorded=True)
        return result

