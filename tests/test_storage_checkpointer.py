"""LangGraph checkpoints persist in the store's database: a new saver resumes a paused graph."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from assistant.storage import open_checkpointer


class Steps(TypedDict):
    done: Annotated[list[str], operator.add]


def paused_before_execute(saver: BaseCheckpointSaver[str]) -> CompiledStateGraph:
    graph = StateGraph(Steps)
    graph.add_node("propose", lambda _: {"done": ["propose"]})
    graph.add_node("execute", lambda _: {"done": ["execute"]})
    graph.add_edge(START, "propose")
    graph.add_edge("propose", "execute")
    graph.add_edge("execute", END)
    return graph.compile(checkpointer=saver, interrupt_before=["execute"])


def test_a_graph_paused_by_one_saver_resumes_with_a_new_one(db_url: str) -> None:
    config = {"configurable": {"thread_id": "T1"}}
    with open_checkpointer(db_url) as saver:
        first = paused_before_execute(saver)
        assert first.invoke({"done": []}, config) == {"done": ["propose"]}
        assert first.get_state(config).next == ("execute",)

    with open_checkpointer(db_url) as saver:
        resumed = paused_before_execute(saver)
        assert resumed.get_state(config).next == ("execute",)
        assert resumed.invoke(None, config) == {"done": ["propose", "execute"]}
        assert resumed.get_state(config).next == ()
        other = {"configurable": {"thread_id": "T2"}}
        assert resumed.get_state(other).values == {}
