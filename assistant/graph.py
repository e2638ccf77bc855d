"""The per-thread LangGraph graph: intake -> retrieve -> plan -> answer -> confirm ->
execute -> verify, wired from the steps in assistant/steps/ and the runtime's parts. A run
started to tell a verification another process finished goes report -> confirm instead.

Each step gets only the collaborators it uses, so it can be built and run on its own; this
module only decides the order.
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from assistant.clicks import ClickHandler
from assistant.runtime import Runtime
from assistant.steps.answer import Answer
from assistant.steps.confirm import Confirm, after_confirm
from assistant.steps.execute import Execute, Verify, after_execute
from assistant.steps.intake import Intake, after_intake
from assistant.steps.plan import PlanStep
from assistant.steps.proposing import Proposer
from assistant.steps.retrieve import Retrieve
from assistant.steps.state import ProgressSink, ThreadState
from assistant.steps.verdict import Report, TellVerdict, after_start


def build_graph(rt: Runtime, checkpointer: BaseCheckpointSaver[str],
                tell: ProgressSink) -> CompiledStateGraph[ThreadState]:
    store, redactor, backend = rt.store, rt.redactor, rt.backend
    proposer = Proposer(rt.gate, backend, store.proposals, store.audit, redactor,
                        store.transaction, maker=rt.executor.executor_id)
    builder = StateGraph(ThreadState)
    builder.add_node("intake", Intake(rt.gate, backend, store.messages, store.audit, redactor,
                                      store.transaction))
    builder.add_node("retrieve", Retrieve(backend, rt.index, store.audit, redactor))
    builder.add_node("plan", PlanStep(rt.gate, backend, rt.index, rt.planner, store.messages,
                                      store.audit, redactor, tell))
    # Named "policy" in checkpoints written before the steps were split out.
    builder.add_node("policy", Answer(proposer, backend, store.messages, store.audit,
                                      redactor, store.transaction))
    builder.add_node("confirm", Confirm(
        store, backend.now, ClickHandler(rt.gate, store.proposals, store.audit, redactor),
        store.audit, redactor))
    builder.add_node("execute", Execute(rt.executor, store.proposals, store.messages, backend))
    verdicts = TellVerdict(proposer, store.proposals, store.messages, store.audit, backend,
                          redactor)
    builder.add_node("verify", Verify(rt.executor, verdicts, store.proposals, store.verifications,
                                      backend, redactor))
    builder.add_node("report", Report(verdicts))
    builder.add_conditional_edges(START, after_start, ["intake", "report"])
    builder.add_conditional_edges("intake", after_intake, ["retrieve", "confirm"])
    builder.add_edge("retrieve", "plan")
    builder.add_edge("plan", "policy")
    builder.add_edge("policy", "confirm")
    builder.add_conditional_edges("confirm", after_confirm, ["execute", "confirm", END])
    builder.add_conditional_edges("execute", after_execute, ["verify", "confirm"])
    builder.add_edge("verify", "confirm")
    builder.add_edge("report", "confirm")
    return builder.compile(checkpointer=checkpointer)
