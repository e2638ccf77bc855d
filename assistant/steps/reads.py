"""Read-only tool calls made while answering: decided by policy, run, redacted, audited."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.gate import PolicyGate
from assistant.models import Actor, Outcome, ToolCall
from assistant.planning.offline import Observation
from assistant.redaction import Redactor
from assistant.steps.state import ProgressSink, message
from assistant.storage import AuditLog
from tools.backend import Backend, ToolFailure, run_tool


@dataclass(frozen=True)
class ReadOnlyRunner:
    """Runs one read-only call for ``actor`` in ``thread`` (a planner's or an analyzer's)."""

    gate: PolicyGate
    backend: Backend
    audit: AuditLog
    redactor: Redactor
    tell: ProgressSink
    actor: Actor
    thread: str

    def __call__(self, call: ToolCall) -> Observation:
        self.tell(self.thread, message("progress", f"reading {call.render()}"))
        decision = self.gate.decide(self.actor, call).decision
        if decision.outcome is not Outcome.ALLOW:
            self._audit({"call": call.model_dump(mode="json"),
                         "outcome": decision.outcome.value, "reasons": decision.explain()})
            return Observation(call=call, ok=False,
                               error=f"policy {decision.outcome.value}: {decision.explain()}",
                               text="")
        try:
            out = run_tool(self.backend, call)
        except (ToolFailure, ValueError, KeyError) as exc:
            err = self.redactor.redact(str(exc))
            self._audit({"call": call.model_dump(mode="json"), "error": err})
            return Observation(call=call, ok=False, error=err, text="")
        text = self.redactor.redact(out.text)
        self._audit({"call": call.model_dump(mode="json"), "output": text})
        return Observation(call=call, ok=True, text=text,
                           data=self.redactor.redact_value(out.json_data()))

    def _audit(self, payload: dict[str, object]) -> None:
        self.audit.record("tool_call", actor=self.actor.user_id, thread=self.thread,
                          payload=payload)


def read_again(backend: Backend, redactor: Redactor, call: ToolCall) -> Observation:
    """A read repeated after an action (its chart, with the action marked): already
    decided when first made, so not decided or audited again."""
    try:
        out = run_tool(backend, call)
    except ToolFailure as exc:
        return Observation(call=call, ok=False, text="", error=redactor.redact(str(exc)))
    return Observation(call=call, ok=True, text=redactor.redact(out.text),
                       data=redactor.redact_value(out.json_data()))
