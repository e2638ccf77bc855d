"""The one API chat adapters use: ask in a thread, click Confirm/Deny, read what to show.

It drives the checkpointed graph; every text it returns has passed the redactor.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.types import Command
from pydantic import BaseModel, ConfigDict

from assistant.graph import build_graph
from assistant.models import Actor, Proposal, ProposalStatus
from assistant.runtime import Runtime
from tools.backend import ToolFailure


class OutMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str  # answer | card | chart | result | verification | failure | notice | refusal
    text: str
    proposal_id: str | None = None
    data: dict[str, Any] | None = None  # chart: a ChartMessage's JSON


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)

    thread_id: str
    messages: tuple[OutMessage, ...]
    pending: tuple[Proposal, ...]
    timings_ms: dict[str, float] = {}


class Session:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.graph = build_graph(runtime, runtime.checkpointer)

    @staticmethod
    def _config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}}

    def _outbox_len(self, thread_id: str) -> int:
        snap = self.graph.get_state(self._config(thread_id))
        return len(snap.values.get("outbox", [])) if snap and snap.values else 0

    def _run(self, thread_id: str, payload: Any) -> Turn:
        seen = self._outbox_len(thread_id)
        timings: dict[str, float] = {}
        last = time.perf_counter()
        try:
            for update in self.graph.stream(payload, self._config(thread_id),
                                            stream_mode="updates"):
                now = time.perf_counter()
                for node in update:
                    if node != "__interrupt__":
                        timings[node] = timings.get(node, 0.0) + (now - last) * 1000
                last = now
        except ToolFailure as exc:
            # The environment itself failed (an API down, 403, timeout) outside a tool call;
            # the run stops at its last checkpoint and the thread is told plainly.
            text = self.rt.redact(f"I could not reach the environment: {exc}")
            self.rt.store.audit.append("error", actor=None, thread=thread_id,
                                       payload={"error": text})
            return Turn(thread_id=thread_id,
                        messages=(OutMessage(kind="failure", text=text),),
                        pending=tuple(self.pending(thread_id)), timings_ms=timings)
        self.rt.save_state()
        values = self.graph.get_state(self._config(thread_id)).values
        fresh = values.get("outbox", [])[seen:]
        messages = tuple(
            OutMessage(kind=m["kind"], text=self.rt.redact(m["text"]),
                       proposal_id=m.get("proposal_id"),
                       data=self.rt.redact_value(m["data"]) if m.get("data") else None)
            for m in fresh
        )
        return Turn(thread_id=thread_id, messages=messages,
                    pending=tuple(self.pending(thread_id)), timings_ms=timings)

    def ask(self, thread_id: str, actor: Actor, question: str,
            alert: dict[str, str] | None = None) -> Turn:
        # Redacted before it enters graph state: checkpoints are stored, so they are egress.
        return self._run(thread_id, {
            "thread_id": thread_id,
            # NUL cannot be stored in PostgreSQL text and never means anything in a question.
            "question": self.rt.redact(question.replace("\x00", "")),
            "actor": actor.model_dump(mode="json"),
            "alert": self.rt.redact_value(alert or {}),
        })

    def respond(self, thread_id: str, proposal_id: str, actor: Actor, approve: bool) -> Turn:
        """A Confirm or Deny click. Policy decides whether this actor's click counts."""
        snap = self.graph.get_state(self._config(thread_id))
        click = {"proposal_id": proposal_id, "actor": actor.model_dump(mode="json"),
                 "approve": approve}
        if snap.interrupts:
            return self._run(thread_id, Command(resume=click))
        if snap.next:
            stopped_on = snap.values.get("to_execute")
            if stopped_on and not (approve and proposal_id == stopped_on
                                   and self._may_approve(actor, stopped_on)):
                return self._refusal(thread_id, proposal_id, actor, (
                    f"A run in this thread stopped before {stopped_on} finished executing; "
                    f"an approver must click Confirm on {stopped_on} to finish it."))
            # Finish the stopped run (a crash mid-step). The executor re-checks policy,
            # approval and its expiry, and its claim makes sure nothing runs twice.
            finished = self._run(thread_id, None)
            if self.graph.get_state(self._config(thread_id)).interrupts:
                later = self._run(thread_id, Command(resume=click))
                return later.model_copy(update={"messages": finished.messages + later.messages})
            return finished
        stored = self.rt.store.proposals.get(proposal_id)
        text = f"Proposal {proposal_id} is not awaiting confirmation (it is {stored.status.value})."
        if stored.result is not None:
            text += f" Executed by {stored.claimed_by} at {stored.claimed_at}."
        return self._refusal(thread_id, proposal_id, actor, text)

    def _may_approve(self, actor: Actor, proposal_id: str) -> bool:
        return self.rt.gate.may_finish(actor, self.rt.store.proposals.get(proposal_id).proposal)

    def _refusal(self, thread_id: str, proposal_id: str, actor: Actor, text: str) -> Turn:
        """A click that changes nothing: told to the clicker and recorded."""
        text = self.rt.redact(text)
        self.rt.store.audit.append("denial", actor=actor.user_id, thread=thread_id, payload={
            "proposal_id": proposal_id, "refused_click": True, "reasons": text})
        return Turn(thread_id=thread_id,
                    messages=(OutMessage(kind="refusal", text=text, proposal_id=proposal_id),),
                    pending=tuple(self.pending(thread_id)))

    def pending(self, thread_id: str) -> list[Proposal]:
        snap = self.graph.get_state(self._config(thread_id))
        ids = snap.values.get("pending", []) if snap and snap.values else []
        stored = [self.rt.store.proposals.get(pid) for pid in ids]
        return [s.proposal for s in stored if s.status is ProposalStatus.PENDING]

    def proposal(self, proposal_id: str) -> Any:
        return self.rt.store.proposals.get(proposal_id)
