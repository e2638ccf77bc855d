"""LangGraph checkpoints persist in the store's database: a new saver resumes a paused graph."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from assistant.storage import open_checkpointer
from assistant.storage.database import connect_sqlite


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


def test_a_tasks_writes_to_several_channels_are_one_transaction(tmp_path: Path) -> None:
    with open_checkpointer(f"sqlite:///{tmp_path / 'ckpt.db'}") as saver:
        assert isinstance(saver, SqliteSaver)
        config = {"configurable": {"thread_id": "T9", "checkpoint_ns": "",
                                   "checkpoint_id": "c-1"}}
        statements: list[str] = []
        saver.conn.set_trace_callback(statements.append)
        saver.put_writes(config, [("plan", {"a": 1}), ("pending", ["p-1"]),
                                  ("outbox", [{"kind": "answer"}])], task_id="t-1")
        saver.conn.set_trace_callback(None)
        assert [s.split()[0] for s in statements if s.startswith(("BEGIN", "COMMIT"))] \
            == ["BEGIN", "COMMIT"]
        assert saver.conn.execute("SELECT count(*) FROM writes").fetchone()[0] == 3


def test_checkpoints_are_synced_by_the_store_commits_after_them(tmp_path: Path) -> None:
    """Store writes precede every effect and sync the disk (FULL); checkpoints ride on
    them (NORMAL) instead of syncing each step."""
    full, normal = 2, 1
    path = tmp_path / "both.db"
    with open_checkpointer(f"sqlite:///{path}") as saver:
        assert isinstance(saver, SqliteSaver)
        assert saver.conn.execute("PRAGMA synchronous").fetchone()[0] == normal
        assert saver.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store_conn = connect_sqlite(str(path))
    try:
        assert store_conn.execute("PRAGMA synchronous").fetchone()[0] == full
    finally:
        store_conn.close()
