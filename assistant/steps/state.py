"""The per-thread graph state and the shape of the messages a step hands out.

State holds only JSON-able values so any checkpointer (SQLite, Postgres) can persist it and
any replica can resume it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict


class ThreadState(TypedDict, total=False):
    thread_id: str
    question: str | None
    actor: dict[str, Any] | None
    alert: dict[str, str] | None
    entities: dict[str, Any] | None  # carried across turns for follow-up questions
    known_actor: bool  # False: nobody granted the asker a role, so nothing is looked up
    linking: dict[str, Any] | None  # this question's entity linking
    hits: list[dict[str, Any]]
    plan: dict[str, Any] | None  # this question's Plan
    new_proposals: list[str]
    pending: list[str]
    to_execute: str | None
    to_verify: str | None  # executed; its verification is the next step
    # A watch another process finished (steps/verdict.py's FinishedWatch), its report taken
    # for this run to tell the thread.
    to_report: dict[str, Any] | None
    # The messages of the latest step only: the Session hands each step's out as it
    # finishes, so the checkpoint never accumulates a thread's history (charts included).
    outbox: list[dict[str, Any]]


Update = dict[str, Any]  # what a step returns: the state keys it changes

# Told a transient note (a read, a finding) of a thread's run while the run goes on.
ProgressSink = Callable[[str, dict[str, Any]], None]


def message(kind: str, text: str, proposal_id: str | None = None,
            data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "proposal_id": proposal_id, "data": data}
