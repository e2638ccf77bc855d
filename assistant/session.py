"""The one API chat adapters use: ask in a thread, click Confirm/Deny, read what to show.

It drives the checkpointed graph; every text it returns has passed the redactor. Adapters
never reach into the runtime: what they need of it (the settings, a thread's summary, who
may approve, the executor's runs, the claims a heartbeat ended) is a method here.

A run's messages are handed out as each step of the graph finishes (``progress``), so an
adapter can show a read, a result or a verification while the run goes on; the Turn
returned at the end carries them all (but the transient "progress" notes of reads and
findings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Durability
from pydantic import BaseModel, ConfigDict

from assistant.clicks import record_refused_click
from assistant.config import Settings
from assistant.executor import RunOutcome
from assistant.expiry import SWEEP_LIMIT, Expiry, expire_overdue
from assistant.graph import build_graph
from assistant.heartbeat import ClaimEnded, Listener
from assistant.models import Actor, AuditEvent, Proposal, ProposalStatus, RefusalCause, Runbook
from assistant.policy import roles_of
from assistant.retrieval.index import IndexUnavailable
from assistant.runtime import Runtime
from assistant.steps.state import ThreadState
from assistant.steps.verdict import report_input
from assistant.storage import FinishedWatch, StoredProposal, executor_alive
from assistant.storage.checkpointer import ping_checkpoints
from assistant.storage.timestamps import utc_now
from assistant.summary import incident_summary
from assistant.telemetry.correlation import handling
from assistant.telemetry.metrics import Metrics
from assistant.unshown import click_refusal, close_unshown
from tools.backend import ToolFailure

log = logging.getLogger(__name__)


class OutMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    # answer | progress | card | chart | result | verification | failure | notice | refusal
    kind: str
    text: str
    proposal_id: str | None = None
    data: dict[str, Any] | None = None  # chart: a ChartMessage's JSON


class Step(BaseModel):
    """The messages one finished step of a run produced (``node`` names the step)."""

    model_config = ConfigDict(frozen=True)

    node: str
    messages: tuple[OutMessage, ...]


Progress = Callable[[Step], None]


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)

    thread_id: str
    messages: tuple[OutMessage, ...]
    pending: tuple[Proposal, ...]
    timings_ms: dict[str, float] = {}


class Session:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.graph = build_graph(runtime, runtime.checkpointer, self._relay)
        # The progress callback of each thread's run in flight (one run per thread at a
        # time: adapters serialise a thread's work).
        self._progress: dict[str, Progress] = {}
        # Start-up recovery: what questions cut short by a dead process left unshown.
        pending = self.rt.store.proposals.listing(ProposalStatus.PENDING, SWEEP_LIMIT,
                                                  oldest_first=True)
        for thread_id in dict.fromkeys(s.proposal.thread_id for s in pending if s.made_by):
            self._close_unshown(thread_id, [s for s in pending
                                            if s.proposal.thread_id == thread_id])

    def _relay(self, thread_id: str, raw: dict[str, Any]) -> None:
        progress = self._progress.get(thread_id)
        if progress is not None:
            progress(Step(node="progress", messages=(self._message(raw),)))

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _message(self, raw: dict[str, Any]) -> OutMessage:
        return OutMessage(kind=raw["kind"], text=self.rt.redact(raw["text"]),
                          proposal_id=raw.get("proposal_id"),
                          data=self.rt.redact_value(raw["data"]) if raw.get("data") else None)

    def _shown(self, thread_id: str) -> list[str]:
        """The proposals the thread's checkpointed state shows as awaiting confirmation."""
        snap = self.graph.get_state(self._config(thread_id))
        return list(snap.values.get("pending", [])) if snap and snap.values else []

    def _close_unshown(self, thread_id: str,
                       candidates: list[StoredProposal] | None = None) -> None:
        """Close the thread's pending proposals no card showed, made by a process that is
        gone, or by this one: no run of the thread is in flight here when it next moves."""
        me = self.rt.executor.executor_id
        alive = executor_alive(me, self.rt.store.executors.get, utc_now())
        close_unshown(self.rt.store, candidates if candidates is not None
                      else self.rt.store.proposals.for_thread(thread_id),
                      self._shown(thread_id), lambda maker: maker == me or not alive(maker))

    def _run(self, thread_id: str, payload: ThreadState | Command[Any] | None,
             progress: Progress | None, durability: Durability = "async") -> Turn:
        if progress is not None:
            self._progress[thread_id] = progress
        try:
            return self._stream(thread_id, payload, progress, durability)
        finally:
            self._progress.pop(thread_id, None)

    def _stream(self, thread_id: str, payload: ThreadState | Command[Any] | None,
                progress: Progress | None, durability: Durability) -> Turn:
        messages: list[OutMessage] = []
        # Cards wait for the end of the run: a step's messages arrive before its checkpoint
        # is stored, and a button shown for a proposal the thread's state does not hold
        # yet (a crash in between) could never be clicked.
        cards: list[OutMessage] = []
        timings: dict[str, float] = {}
        last = time.perf_counter()
        try:
            for update in self.graph.stream(payload, self._config(thread_id),
                                            stream_mode="updates", durability=durability):
                now = time.perf_counter()
                for node, values in update.items():
                    if node == "__interrupt__":
                        continue
                    timings[node] = timings.get(node, 0.0) + (now - last) * 1000
                    step = Step(node=node, messages=tuple(
                        map(self._message, (values or {}).get("outbox") or [])))
                    messages.extend(step.messages)
                    cards.extend(m for m in step.messages if m.kind == "card")
                    shown = tuple(m for m in step.messages if m.kind != "card")
                    if progress is not None and shown:
                        progress(step.model_copy(update={"messages": shown}))
                last = now
        except ToolFailure as exc:
            # The environment itself failed (an API down, 403, timeout) outside a tool call;
            # the run stops at its last checkpoint and the thread is told plainly.
            text = self.rt.redact(f"I could not reach the environment: {exc}")
            self.rt.store.audit.append("error", actor=None, thread=thread_id,
                                       payload={"error": text})
            failure = OutMessage(kind="failure", text=text)
            if progress is not None:
                progress(Step(node="error", messages=(failure,)))
            return Turn(thread_id=thread_id, messages=(*messages, failure),
                        pending=tuple(self.pending(thread_id)), timings_ms=timings)
        self.rt.save_state()
        if progress is not None and cards:
            progress(Step(node="cards", messages=tuple(cards)))
        return Turn(thread_id=thread_id, messages=tuple(messages),
                    pending=tuple(self.pending(thread_id)), timings_ms=timings)

    def ask(self, thread_id: str, actor: Actor, question: str,
            alert: dict[str, str] | None = None, *, progress: Progress | None = None) -> Turn:
        """Answer a question; its log lines and audit events share one correlation id."""
        with handling(thread_id=thread_id):
            started = time.perf_counter()
            outcome = "error"
            try:
                self._close_unshown(thread_id)
                # A question's run is checkpointed once, where it ends (paused for a
                # confirmation, finished, or stopped by an error), not after every step: a
                # process killed mid-question leaves the thread as it was before the
                # question, and the question is asked again. Its steps have no effect
                # outside the store (reads, records, proposals not yet shown, which
                # _close_unshown closes once their process is gone), so nothing can run
                # twice. A click's run keeps a checkpoint per step: a run stopped
                # between approval and execution is finished by the next Confirm.
                # Redacted before it enters graph state: checkpoints are stored, so egress.
                turn = self._run(thread_id, {
                    "thread_id": thread_id,
                    # NUL cannot be stored in PostgreSQL text and never means anything here.
                    "question": self.rt.redact(question.replace("\x00", "")),
                    "actor": actor.model_dump(mode="json"),
                    "alert": self.rt.redact_value(alert or {}),
                    # A report run cut short must not turn this question into one.
                    "to_report": None,
                }, progress, durability="exit")
                outcome = "failed" if any(m.kind == "failure" for m in turn.messages) \
                    else "answered"
                return turn
            finally:
                seconds = time.perf_counter() - started
                self.rt.metrics.answer_seconds.labels(outcome=outcome).observe(seconds)
                log.info("question of %s %s in %.0f ms", actor.user_id, outcome,
                         seconds * 1000)

    def respond(self, thread_id: str, proposal_id: str, actor: Actor, approve: bool, *,
                progress: Progress | None = None) -> Turn:
        """A Confirm or Deny click. Policy decides whether this actor's click counts."""
        with handling(thread_id=thread_id, proposal_id=proposal_id):
            return self._respond(thread_id, proposal_id, actor, approve, progress)

    def _respond(self, thread_id: str, proposal_id: str, actor: Actor, approve: bool,
                 progress: Progress | None) -> Turn:
        self._close_unshown(thread_id)
        snap = self.graph.get_state(self._config(thread_id))
        click = {"proposal_id": proposal_id, "actor": actor.model_dump(mode="json"),
                 "approve": approve}
        if snap.interrupts:
            return self._run(thread_id, Command(resume=click), progress)
        if snap.next:
            stopped_on = snap.values.get("to_execute")
            if stopped_on and not (approve and proposal_id == stopped_on
                                   and self.rt.gate.may_finish(
                                       actor, self.rt.store.proposals.get(stopped_on).proposal)):
                return self._refusal(thread_id, proposal_id, actor, (
                    f"A run in this thread stopped before {stopped_on} finished executing; "
                    f"an approver must click Confirm on {stopped_on} to finish it."),
                    "stopped-run", progress)
            # Finish the stopped run (a crash mid-step). The executor re-checks policy,
            # approval and its expiry, and its claim makes sure nothing runs twice.
            finished = self._run(thread_id, None, progress)
            if self.graph.get_state(self._config(thread_id)).interrupts:
                later = self._run(thread_id, Command(resume=click), progress)
                return later.model_copy(update={"messages": finished.messages + later.messages})
            return finished
        stored = self.rt.store.proposals.get(proposal_id)
        unshown = click_refusal(stored, snap.values.get("pending", []) if snap.values else [])
        if unshown is not None:
            return self._refusal(thread_id, proposal_id, actor, unshown, "not-pending",
                                 progress)
        text = f"Proposal {proposal_id} is not awaiting confirmation (it is {stored.status.value})."
        if stored.result is not None:
            text += f" Executed by {stored.claimed_by} at {stored.claimed_at}."
        return self._refusal(thread_id, proposal_id, actor, text, "not-pending", progress)

    def verifications_to_report(self) -> list[FinishedWatch]:
        """Verifications finished outside their thread's runs (a watch resumed after its
        process stopped) that no thread has been told of yet."""
        return self.rt.store.verifications.unreported()

    def report_verification(self, proposal_id: str, *,
                            progress: Progress | None = None) -> Turn | None:
        """Tell ``proposal_id``'s finished verification to its thread, as the verification
        step would have, with the undo card if the action made things worse; None when it
        is not finished or some process, this or another, has already told it."""
        finished = self.rt.store.verifications.take_report(proposal_id, self.rt.backend.now())
        if finished is None:
            return None
        with handling(thread_id=finished.thread_id, proposal_id=proposal_id):
            return self._run(finished.thread_id, report_input(finished), progress)

    def _refusal(self, thread_id: str, proposal_id: str, actor: Actor, text: str,
                 cause: RefusalCause, progress: Progress | None) -> Turn:
        """A click that changes nothing: told to the clicker and recorded."""
        text = self.rt.redact(text)
        record_refused_click(self.rt.store.audit, actor, thread_id, proposal_id, text, cause)
        refusal = OutMessage(kind="refusal", text=text, proposal_id=proposal_id)
        if progress is not None:
            progress(Step(node="refusal", messages=(refusal,)))
        return Turn(thread_id=thread_id, messages=(refusal,),
                    pending=tuple(self.pending(thread_id)))

    def pending(self, thread_id: str) -> list[Proposal]:
        snap = self.graph.get_state(self._config(thread_id))
        ids = snap.values.get("pending", []) if snap and snap.values else []
        stored = [self.rt.store.proposals.get(pid) for pid in ids]
        return [s.proposal for s in stored if s.status is ProposalStatus.PENDING]

    def proposal(self, proposal_id: str) -> StoredProposal:
        return self.rt.store.proposals.get(proposal_id)

    # What adapters need of the runtime, and nothing more.
    @property
    def settings(self) -> Settings:
        return self.rt.settings

    def redact(self, text: str) -> str:
        return self.rt.redact(text)

    def redact_value(self, value: Any) -> Any:
        return self.rt.redact_value(value)

    def summary(self, thread_id: str) -> str:
        """The thread's incident summary (Markdown), from its audit trail."""
        return incident_summary(thread_id, self.rt.store.audit.events(thread=thread_id))

    def remember_message(self, thread_id: str, author: str, text: str, at: datetime) -> None:
        """Something said in the thread before opsbot was there: context for planners."""
        self.rt.store.messages.add(thread_id, author, text, at)

    def holds_a_role(self, actor: Actor) -> bool:
        return bool(roles_of(self.rt.gate.snapshot(), actor))

    def role_assignments(self) -> tuple[Mapping[str, frozenset[str]],
                                        Mapping[str, frozenset[str]]]:
        """Who holds which roles under the policy in force: (by user, by chat group)."""
        policy = self.rt.gate.snapshot()
        return policy.user_roles, policy.group_roles

    def runbook(self, runbook_id: str) -> Runbook | None:
        try:
            return self.rt.index.get(runbook_id)
        except KeyError:
            return None

    def run_outcome(self, proposal_id: str) -> RunOutcome | None:
        """What became of this process's run of ``proposal_id``, recorded or not."""
        return self.rt.executor.outcome(proposal_id)

    def ran_elsewhere(self, stored: StoredProposal) -> bool:
        """Whether another process (or replica) claimed ``stored``."""
        return stored.claimed_by not in (None, self.rt.executor.executor_id)

    def ping_database(self, timeout: float) -> None:
        """Raise unless the store and the checkpoints both answer: a question needs both."""
        self.rt.store.ping(timeout)
        ping_checkpoints(self.rt.checkpointer, timeout)

    def expire_overdue(self) -> list[Expiry]:
        """Expire every overdue pending proposal, in every thread."""
        return expire_overdue(self.rt.store, self.rt.backend.now())

    def claims_ended_at_start(self) -> list[ClaimEnded]:
        return list(self.rt.ended_at_start)

    @property
    def metrics(self) -> Metrics:
        return self.rt.metrics

    @property
    def executor_id(self) -> str:
        return self.rt.executor.executor_id

    def check_policy_loaded(self) -> None:
        """Raise unless a policy is in force (a broken edit keeps the last one loaded)."""
        self.rt.policies.current()

    def check_index_open(self) -> None:
        """Raise unless the runbook index holds runbooks."""
        if self.rt.index.is_empty:
            raise IndexUnavailable("no runbooks are indexed: check OPSBOT_RUNBOOKS and the log")

    def begin_shutdown(self) -> None:
        """The process is shutting down: backend waits end at once, verifications under way
        end at their next look, the LLM planner makes no further model call."""
        self.rt.shutdown.set()

    def thread_events(self, thread_id: str) -> list[AuditEvent]:
        return list(self.rt.store.audit.events(thread=thread_id))

    def record_event(self, kind: str, *, actor: str | None, thread: str,
                     payload: dict[str, Any]) -> None:
        """Add an event the adapter witnessed (an alert firing or resolving) to the audit."""
        self.rt.store.audit.append(kind, actor=actor, thread=thread, payload=payload)

    def on_audit_event(self, observer: Callable[[AuditEvent], None]) -> None:
        """Call ``observer`` with every audit event this process records from now on."""
        self.rt.store.audit.subscribe(observer)

    def on_claim_ended(self, listener: Listener) -> Callable[[], None]:
        """Hear of claims a later heartbeat ends; returns the way to stop."""
        return self.rt.heartbeat.subscribe(listener)
