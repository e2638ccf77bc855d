"""Gather the facts the policy engine decides on, from the backend and storage only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from assistant.models import BlastRadius, Facts, ToolCall
from tools.backend import Backend
from tools.catalog import get_tool


class MutationHistory(Protocol):
    def count_mutations(self, service: str, since: datetime) -> int: ...

    def in_flight(self, resource_key: str) -> bool: ...


def resource_key(environment: str, call: ToolCall) -> str:
    """One key per thing a mutating call changes; at most one action in flight per key."""
    spec = get_tool(call.tool)
    return f"{environment}/{spec.resource_of(spec.validate_args(call.args))}"


def estimate_blast_radius(backend: Backend, call: ToolCall) -> BlastRadius:
    spec = get_tool(call.tool)
    if spec.read_only:
        # A read changes nothing. Every read a question makes is decided by policy, and a
        # live backend's inventory asks the alert manager each time it is taken.
        return BlastRadius()
    return spec.blast_radius(spec.validate_args(call.args), backend.inventory())


def gather_facts(
    backend: Backend,
    history: MutationHistory,
    rate_window: timedelta,
    call: ToolCall,
) -> Facts:
    spec = get_tool(call.tool)
    now = backend.now()
    blast = estimate_blast_radius(backend, call)
    budget = backend.error_budget(blast.service) if blast.service else None
    recent = 0
    locked = False
    if not spec.read_only:
        if blast.service:
            recent = history.count_mutations(blast.service, now - rate_window)
        locked = history.in_flight(resource_key(backend.environment, call))
    return Facts(
        environment=backend.environment,
        now=now,
        blast_radius=blast,
        error_budget=budget,
        recent_actions=recent,
        resource_locked=locked,
    )
