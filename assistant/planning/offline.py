"""The offline planner: follow the best runbook's typed steps, with linked entities.

No LLM. Read-only steps run at once through the injected ``run_read_only`` (which applies
policy, runs the tool and redacts); their results can bind later placeholders (the pod that
is crashing, the last healthy revision). Mutating steps become candidate calls that the
engine turns into proposals. When the steps need an entity the question does not name, the
planner asks back instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from assistant.models import Inventory, RetrievalHit, Runbook, ToolCall
from assistant.planning.binding import MissingBinding, bind_args, placeholders
from assistant.planning.entities import LinkedEntities, Linking
from assistant.planning.evidence import healthy_summary, signs_of_trouble
from assistant.planning.requests import requested_replicas, requested_tools
from tools.catalog import CATALOG

STEP_RUNBOOK_DEPTH = 3  # how far down the ranking we look for a runbook with typed steps
# Placeholders that say which thing to act on: only a person (or an alert) can supply them.
# The others (pod, replicas, healthy_revision) are learned from read-only steps.
IDENTITY_PLACEHOLDERS = frozenset({"namespace", "deployment", "service", "alertname"})


class Observation(BaseModel):
    model_config = ConfigDict(frozen=True)

    call: ToolCall
    ok: bool
    text: str  # redacted
    data: Any = None
    error: str | None = None


class PlannedCall(BaseModel):
    model_config = ConfigDict(frozen=True)

    call: ToolCall
    why: str
    runbook_id: str | None
    step_index: int | None


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    entities: LinkedEntities
    cited: RetrievalHit | None = None  # the best-ranked runbook, cited in the answer
    followed: Runbook | None = None  # the runbook whose steps ran (may differ from cited)
    observations: tuple[Observation, ...] = ()
    candidates: tuple[PlannedCall, ...] = ()
    ask_back: str | None = None
    notes: tuple[str, ...] = ()
    narrative: str | None = None  # an LLM planner's own diagnosis, labelled as the model's
    reasoning: tuple[str, ...] = ()  # the model's reasoning text: audited, never shown
    planner: str = "offline"
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class PlanRequest(BaseModel):
    """Everything a planner may use. Built by the engine; the same for every planner."""

    model_config = ConfigDict(frozen=True)

    question: str  # redacted
    linking: Linking
    hits: tuple[RetrievalHit, ...]
    runbooks: dict[str, Runbook]  # the hits' runbooks by id
    inventory: Inventory
    allowed_tools: frozenset[str]  # tools the asking user may request (policy filter)
    history: tuple[str, ...] = ()  # earlier messages of the thread, redacted, oldest first


class Planner(Protocol):
    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan: ...


class OfflinePlanner:
    """Runbook steps plus entity linking; needs no model and no network."""

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        return plan_offline(request.linking, request.hits, request.runbooks, request.inventory,
                            run_read_only, request.question)


ReadOnlyRunner = Callable[[ToolCall], Observation]


def derive_bindings(call: ToolCall, data: Any, bindings: Mapping[str, Any]) -> dict[str, Any]:
    """New placeholder values learned from a read-only tool's output (typed, or its JSON),
    as the tool itself says (the crashing pod, the last healthy revision)."""
    spec = CATALOG[call.tool]
    if spec.bindings is None or data is None:
        return {}
    return spec.bindings(spec.read_output(data), bindings)


def _choose_runbook(
    hits: Sequence[RetrievalHit], runbooks: Mapping[str, Runbook]
) -> Runbook | None:
    for hit in hits[:STEP_RUNBOOK_DEPTH]:
        book = runbooks.get(hit.runbook_id)
        if book is not None and book.steps:
            return book
    return None


def _ask_back(linking: Linking, inventory: Inventory) -> str:
    if linking.ambiguous:
        options = " or ".join(f"`{c}`" for c in linking.ambiguous)
        return f"Which one do you mean: {options}? Name it and I will continue."
    known = ", ".join(f"`{d.namespace}/{d.name}`" for d in inventory.deployments[:12])
    missing = ""
    if linking.unmatched:
        missing = f" I found nothing called {', '.join(repr(w) for w in linking.unmatched[:3])}."
    return (
        "I could not tell which deployment this is about." + missing
        + f" Deployments I can see in {inventory.environment}: {known}. Which one?"
    )


def _with_replicas(cand: PlannedCall, replicas: int) -> PlannedCall:
    if "replicas" not in CATALOG[cand.call.tool].args_model.model_fields:
        return cand
    call = ToolCall(tool=cand.call.tool, args={**cand.call.args, "replicas": replicas})
    return cand.model_copy(update={"call": call, "why": f"{cand.why} (you asked for {replicas})"})


def plan_offline(
    linking: Linking,
    hits: Sequence[RetrievalHit],
    runbooks: Mapping[str, Runbook],
    inventory: Inventory,
    run_read_only: ReadOnlyRunner,
    question: str = "",
) -> Plan:
    entities = linking.entities
    cited = hits[0] if hits else None
    book = _choose_runbook(hits, runbooks)
    if book is None:
        return Plan(entities=entities, cited=cited)
    bindings: dict[str, Any] = dict(entities.bindings())
    needed = set().union(*(placeholders(step.args) for step in book.steps))
    if linking.ambiguous or (needed & IDENTITY_PLACEHOLDERS) - bindings.keys():
        return Plan(entities=entities, cited=cited, followed=book,
                    ask_back=_ask_back(linking, inventory))

    dep = inventory.deployment(entities.namespace or "", entities.deployment or "")
    if dep is not None:
        bindings.setdefault("replicas", dep.replicas)
    observations: list[Observation] = []
    candidates: list[PlannedCall] = []
    notes: list[str] = []
    for index, step in enumerate(book.steps):
        try:
            args = bind_args(step.args, bindings)
        except MissingBinding as gap:
            notes.append(f"skipped step {index + 1} ({step.tool}): nothing to fill {{{gap.name}}}")
            continue
        call = ToolCall(tool=step.tool, args=args)
        if CATALOG[step.tool].read_only:
            seen = run_read_only(call)
            observations.append(seen)
            if seen.ok:
                bindings.update(derive_bindings(call, seen.data, bindings))
        else:
            why = step.why or f"step {index + 1} of {book.id}"
            candidates.append(PlannedCall(call=call, why=why, runbook_id=book.id,
                                          step_index=index))
    asked = requested_tools(question)
    if candidates and not signs_of_trouble(entities, inventory, observations):
        if any(c.call.tool in asked for c in candidates):
            notes.append(f"you asked for it, but I see {healthy_summary(entities, inventory)}"
                         "; policy and an approver decide")
        else:
            candidates = []
            notes.append(healthy_summary(entities, inventory))
    replicas = requested_replicas(question)
    if replicas is not None:
        candidates = [_with_replicas(c, replicas) for c in candidates]
    return Plan(
        entities=entities,
        cited=cited,
        followed=book,
        observations=tuple(observations),
        candidates=tuple(candidates),
        notes=tuple(notes),
    )
