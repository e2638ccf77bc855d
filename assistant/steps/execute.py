"""Run a confirmed proposal, then verify its effect: two steps, so the result reaches the
thread before the watch (minutes, against a real cluster) ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.answer import describe_result
from assistant.executor import Executor
from assistant.models import ExecutionStatus
from assistant.planning.offline import Plan
from assistant.redaction import Redactor
from assistant.steps.charts import chart_messages
from assistant.steps.reads import read_again
from assistant.steps.state import ThreadState, Update, message
from assistant.steps.verdict import TellVerdict
from assistant.storage import MessageStore, ProposalStore, VerificationStore
from tools.backend import Backend
from tools.catalog import get_tool


@dataclass(frozen=True)
class Execute:
    executor: Executor
    proposals: ProposalStore
    messages: MessageStore
    backend: Backend

    def __call__(self, state: ThreadState) -> Update:
        pid = state["to_execute"]
        assert pid is not None
        result = self.executor.execute(pid)
        proposal = self.proposals.get(pid).proposal
        text = describe_result(proposal, result)
        self.messages.add(proposal.thread_id, "opsbot", text, self.backend.now())
        ran = result.status is ExecutionStatus.SUCCEEDED
        return {"to_execute": None, "to_verify": pid if ran else None,
                "outbox": [message("result" if ran else "failure", text, pid)]}


def after_execute(state: ThreadState) -> str:
    return "verify" if state.get("to_verify") else "confirm"


@dataclass(frozen=True)
class Verify:
    executor: Executor
    tell: TellVerdict
    proposals: ProposalStore
    verifications: VerificationStore
    backend: Backend
    redactor: Redactor

    def __call__(self, state: ThreadState) -> Update:
        pid = state["to_verify"]
        assert pid is not None
        verified = self.executor.verify(pid)
        stored = self.proposals.get(pid)
        proposal = stored.proposal
        out: list[dict[str, Any]] = []
        pending = list(state.get("pending", []))
        # Taken by whoever gets here first: this step, or a run an adapter starts for a
        # watch another process finished (its watcher's lease ran out meanwhile).
        finished = self.verifications.take_report(pid, self.backend.now())
        if finished is not None:
            out, pending = self.tell(finished, pending, resumed=verified is None)
        elif self.executor.stopping.is_set():
            out.append(message("notice", f"{proposal.call.render()} ran; opsbot is restarting "
                                         "before it finished watching the effect, so another "
                                         "replica (or the next start) takes the watch over and "
                                         "reports here.", pid))
        if state.get("plan"):
            # The same metrics again, now with the action marked: "did it help?" at a glance.
            asked = Plan.model_validate(state["plan"]).observations
            again = [read_again(self.backend, self.redactor, o.call) for o in asked
                     if get_tool(o.call.tool).chart is not None]
            acted_at = stored.claimed_at.isoformat() if stored.claimed_at else None
            out.extend(chart_messages(again, acted_at, pid))
        return {"to_verify": None, "pending": pending, "outbox": out}
