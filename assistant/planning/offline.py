"""The offline planner: follow the best runbook's typed steps, with linked entities.

No LLM. Read-only steps run at once through the injected ``run_read_only`` (which applies
policy, runs the tool and redacts); their results can bind later placeholders (the pod that
is crashing, the last healthy revision). Mutating steps become candidate calls that the
engine turns into proposals. When the steps need an entity the question does not name, the
planner asks back instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from assistant.analysis import Finding
from assistant.models import Inventory, Remedy, RetrievalHit, Runbook, ToolCall
from assistant.planning.binding import MissingBinding, bind_args, placeholders
from assistant.planning.entities import LinkedEntities, Linking, firing_on_node, in_trouble
from assistant.planning.evidence import healthy_summary, other_symptom, signs_of_trouble
from assistant.planning.follow_ups import follow_up
from assistant.planning.intent import (
    asks_how_it_stands,
    clauses_about,
    remedies_asked,
    split_words,
    tools_asked,
)
from assistant.planning.names import mentions
from assistant.planning.overview import overview_notes
from assistant.planning.requests import requested_replicas
from tools.catalog import CATALOG

STEP_RUNBOOK_DEPTH = 3  # how far down the ranking we look for a runbook with typed steps
# Placeholders that say which thing to act on: only a person (or an alert) can supply them.
# The others (pod, replicas, healthy_revision) are learned from read-only steps.
IDENTITY_PLACEHOLDERS = frozenset({"namespace", "deployment", "service", "alertname"})
MANUAL_COMMANDS_SHOWN = 5  # a runbook's commands no tool runs, quoted for a person


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
    # The argument values the asker's own order set ({} for an order that needs none);
    # None when no order asked for this call. Evidence never re-aims them.
    ordered: dict[str, int | dict[str, str]] | None = None


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
    findings: tuple[Finding, ...] = ()  # what the evidence says, shown before observations


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
    findings: tuple[Finding, ...] = ()  # from the evidence gathered before planning


class Planner(Protocol):
    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan: ...


class OfflinePlanner:
    """Runbook steps plus entity linking; needs no model and no network."""

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        return plan_offline(request.linking, request.hits, request.runbooks, request.inventory,
                            run_read_only, request.question, request.findings)


ReadOnlyRunner = Callable[[ToolCall], Observation]


def derive_bindings(call: ToolCall, data: Any, bindings: Mapping[str, Any]) -> dict[str, Any]:
    """New placeholder values learned from a read-only tool's output (typed, or its JSON),
    as the tool itself says (the crashing pod, the last healthy revision)."""
    spec = CATALOG[call.tool]
    if spec.bindings is None or data is None:
        return {}
    return spec.bindings(spec.read_output(data), bindings)


def focus_findings(findings: Sequence[Finding], entities: LinkedEntities) -> list[Finding]:
    """The findings about the thread's own subject (its workload, or its alert: with the
    labels of the alert the thread came with, the one firing with those labels)."""
    about = []
    for f in findings:
        s = f.subject
        if s.workload is not None:
            if (s.namespace, s.workload) == (entities.namespace, entities.deployment):
                about.append(f)
        elif (entities.alertname is not None and s.alertname == entities.alertname
              and (entities.namespace is None or s.namespace in (None, entities.namespace))
              and all({**f.alert_labels, **s.labels}.get(k, v) == v
                      for k, v in entities.paged_labels)):
            about.append(f)
    return about


def _remedies(book: Runbook) -> frozenset[Remedy]:
    return frozenset(remedy for step in book.steps
                     if (remedy := CATALOG[step.tool].remedy) is not None)


def _identity_needs(book: Runbook) -> set[str]:
    return set().union(*(placeholders(step.args) for step in book.steps)) & IDENTITY_PLACEHOLDERS


def _fits(book: Runbook, bindings: Mapping[str, Any], alertname: str | None) -> bool:
    """The thread binds what the steps act on. Steps that name no entity at all (the API
    server's PromQL, kube-system's pods) are about fixed things: they fit a thread about
    no entity, or about an alert the runbook answers, not one about some workload."""
    needs = _identity_needs(book)
    if not needs:
        return not bindings or alertname in book.alerts
    return needs <= bindings.keys()


def _bindable(tool: str, args: Mapping[str, Any], bindings: Mapping[str, Any]
              ) -> dict[str, Any]:
    """A read's args without the optional ones the thread cannot fill: ``logs $POD -c
    $CONTAINER`` with no container known reads the pod's default container, as kubectl
    does without ``-c``. A change keeps every arg, so a gap still skips it."""
    spec = CATALOG[tool]
    if not spec.read_only:
        return dict(args)
    fields = spec.args_model.model_fields
    return {k: v for k, v in args.items()
            if k not in fields or fields[k].is_required() or placeholders(v) <= bindings.keys()}


def _for_another_alert(book: Runbook, alertname: str | None) -> bool:
    return alertname is not None and bool(book.alerts) and alertname not in book.alerts


# A label matcher with a literal value (``mountpoint="/mnt/scratch"``), not a placeholder.
_LITERAL_MATCHER = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\s*!?=~?\s*"(?!\{[a-z_]+\}")[^"]*"')


def _literal_matchers(args: Mapping[str, Any]) -> list[str]:
    return [m[0] for v in args.values() if isinstance(v, str)
            for m in _LITERAL_MATCHER.finditer(v)]


# A label equal to a literal value in a query (``mountpoint="/mnt/scratch"``).
_LITERAL_EQUALS = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"{}]*)"')


def _not_this_alert(args: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """The literal label values of a step's args, in a query or a dict of matchers, that
    the thread's alert carries with another value: the runbook's own example case."""
    literal = [(m[1], m[2]) for v in args.values() if isinstance(v, str)
               for m in _LITERAL_EQUALS.finditer(v)]
    literal += [(k, v) for d in args.values() if isinstance(d, dict)
                for k, v in d.items() if isinstance(v, str) and not placeholders(v)]
    return [f'{k}="{v}" (the alert has "{labels[k]}")' for k, v in literal
            if labels.get(k) not in (None, v)]


def _without_its_own_case(tool: str, template: Mapping[str, Any], args: Mapping[str, Any]
                          ) -> dict[str, Any]:
    """A change step's args without the values written into it literally, which name the
    case of the alert its runbook was written for (a silence's ``mountpoint: /mnt/scratch``,
    the ticket in its comment): for another alert, only what the placeholders bound stays,
    and the tool's defaults stand for the rest."""
    fields = CATALOG[tool].args_model.model_fields
    out: dict[str, Any] = {}
    for key, value in args.items():
        written = template.get(key)
        if isinstance(written, dict) and isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if placeholders(written.get(k))}
        elif key not in template or placeholders(written) \
                or (key in fields and fields[key].is_required()):
            out[key] = value
    return out


def _choose_runbook(books: Sequence[Runbook], findings: Sequence[Finding],
                    wanted: frozenset[Remedy], alertname: str | None = None) -> Runbook | None:
    """Of the best-ranked runbooks, the first whose remedy the findings support or the
    asker asks for; else the first with a remedy none rule out; else the first that only
    diagnoses (its reads run anyway when it ranks first); else the first. Only a diagnosis
    rules a remedy out here: evidence that merely finds nothing wrong now (a contradiction
    that is not firm) or only observes the target as sound (one that does not outrank,
    as right after a rollback) leaves the ranking alone, so it cannot swap in another
    remedy's page, whose reads say nothing about the question.

    A runbook written for other alerts than the thread's offers its remedy for its own
    case (a known-noisy scratch disk): having one does not put it ahead of a page that
    only diagnoses, unless the findings or the asker call for that remedy."""
    supported = {r for f in findings for r in f.supports} | wanted
    # A remedy something would set straight back (a scale an autoscaler owns) does not
    # make its runbook about another problem: that runbook still says what to do instead.
    ruled_out = {c.remedy for f in findings for c in f.contradicts
                 if c.firm and c.outranks and not c.undone}

    def fit(book: Runbook) -> int:
        remedies = _remedies(book)
        if remedies & supported:
            return 0
        if not remedies:
            return 2
        if remedies <= ruled_out - supported:
            return 4
        return 3 if _for_another_alert(book, alertname) else 1

    return min(books, key=fit) if books else None


def from_findings(findings: Sequence[Finding], have: Sequence[PlannedCall],
                   bindings: Mapping[str, Any], wanted: frozenset[Remedy]) -> list[PlannedCall]:
    """Calls for remedies the findings support that no runbook step offers: when the
    runbook offered nothing, only remedies the findings rule out, none the findings
    support (a runbook retrieved for the alert's name, not for what the evidence shows),
    or when the asker brought that remedy up themselves."""
    offered = {CATALOG[c.call.tool].remedy for c in have}
    ruled_out = {c.remedy for f in findings for c in f.contradicts if c.firm}
    supported = {r for f in findings for r in f.supports}
    needed = not have or offered <= ruled_out or not offered & supported
    drafted: list[PlannedCall] = []
    for finding in findings:
        for remedy in finding.supports:
            if remedy in offered or not (needed or remedy in wanted):
                continue
            spec = next((s for s in CATALOG.values() if s.remedy is remedy and s.draft), None)
            args = spec.draft(bindings) if spec is not None and spec.draft else None
            if spec is None or args is None:
                continue
            offered.add(remedy)
            drafted.append(PlannedCall(call=ToolCall(tool=spec.name, args=args),
                                       why=f"the evidence: {finding.summary}",
                                       runbook_id=None, step_index=None))
    return drafted


def _ask_back(linking: Linking, inventory: Inventory) -> str:
    alertname = linking.entities.alertname
    unplaced = ""
    if alertname and not linking.entities.namespace and not linking.entities.deployment:
        where = sorted({a.labels["namespace"] for a in inventory.alerts
                        if a.name == alertname and "namespace" in a.labels})
        if len(where) > 1:
            options = " or ".join(f"`{ns}`" for ns in where)
            return (f"{alertname} fires in {options}, and nothing I see tells them apart. "
                    "Which namespace do you mean?")
        # A cluster-wide alert names no namespace: say so rather than list none.
        unplaced = f"{alertname} carries no label that names a workload. "
    if linking.ambiguous:
        options = " or ".join(f"`{c}`" for c in linking.ambiguous)
        return f"Which one do you mean: {options}? Name it and I will continue."
    known = ", ".join(f"`{d.namespace}/{d.name}`" for d in inventory.deployments[:12])
    missing = ""
    if linking.unmatched:
        missing = f" I found nothing called {', '.join(repr(w) for w in linking.unmatched[:3])}."
    troubled = in_trouble(inventory)
    hint = (" In trouble right now: " + ", ".join(f"`{d.namespace}/{d.name}`" for d in troubled[:3])
            + "." if troubled else "")
    return (
        unplaced + "I could not tell which deployment this is about." + missing + hint
        + f" Deployments I can see in {inventory.environment}: {known}. Which one?"
    )


def _subject_reads(entities: LinkedEntities) -> list[ToolCall]:
    """What a thread about a Job reads of it whatever runbook ranks first (one ranked for
    "stuck" may be about pods): the evidence the Job's name calls for beyond what its
    namespace alone does. A workload's own evidence speaks through findings instead."""
    if entities.deployment is not None or not (entities.namespace and entities.job_name):
        return []
    scope = {"namespace": entities.namespace}
    named = {**scope, "job_name": entities.job_name}
    return [ToolCall(tool=spec.name, args=args) for spec in CATALOG.values()
            if spec.evidence is not None and not spec.evidence_for
            for args in spec.evidence(named) if args not in spec.evidence(scope)]


def _reasoned(cand: PlannedCall, books: Mapping[str, Runbook],
              observations: Sequence[Observation]) -> PlannedCall:
    """A step's reason written for another symptom than the reads show is not this
    case's: the call keeps its plain description and says what the pods show instead."""
    source = books.get(cand.runbook_id or "")
    other = other_symptom(source, observations) if source is not None else None
    if other is None:
        return cand
    what = CATALOG[cand.call.tool].description.rstrip(".")
    return cand.model_copy(update={"why": f"{what}; {other}"})


def _reads_about(node: str) -> list[ToolCall]:
    """The reads the catalog gives as evidence about ``node`` alone."""
    return [ToolCall(tool=spec.name, args=args) for spec in CATALOG.values()
            if spec.evidence is not None and spec.read_only and not spec.evidence_for
            for args in spec.evidence({"node": node})]


def _standing(node: str, inventory: Inventory, observations: Sequence[Observation]) -> str:
    """How ``node`` stands, from its own reads and the alerts firing about it."""
    own = [o for o in observations if o.call.args.get("node") == node]
    if not any(o.ok for o in own):
        return f"{node}: I could not read it, so I cannot say how it stands"
    signs = [f"alert {labels['alertname']} firing" for labels in firing_on_node(node, inventory)]
    signs += signs_of_trouble(LinkedEntities(node=node), inventory, own)
    if signs:
        return f"{node} is not healthy yet: {'; '.join(signs)}"
    return f"{node} looks healthy: Ready, not cordoned, no pressure, no alert firing about it"


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
    findings: Sequence[Finding] = (),
) -> Plan:
    entities = linking.entities
    if linking.overview:
        return Plan(entities=entities,
                    notes=tuple(overview_notes(inventory, findings, entities.namespace)))
    cited = hits[0] if hits else None
    about = focus_findings(findings, entities)
    own = split_words(question).own
    bindings: dict[str, Any] = dict(entities.bindings())
    books = [b for h in hits[:STEP_RUNBOOK_DEPTH]
             if (b := runbooks.get(h.runbook_id)) is not None and b.steps]
    # A runbook about another kind of thing (a deployment, when the thread is about an
    # alert) cannot be followed here; the findings may still call for a remedy.
    fitting = [b for b in books if _fits(b, bindings, entities.alertname)]
    # An alert with no namespace is unscoped unless it names its node or volume (a node's
    # alert, KubeNodeNotReady, is about that node, in no namespace), or a runbook written
    # for that alert reads only fixed things (KubeProxyDown: kube-system's pods).
    fixed = any(entities.alertname in b.alerts and not _identity_needs(b) for b in fitting)
    unscoped_alert = (entities.alertname is not None and entities.namespace is None
                      and entities.deployment is None and entities.node is None
                      and entities.persistentvolume is None and not fixed
                      and not any(f.supports for f in about))
    if linking.ambiguous or unscoped_alert or (
            books and not fitting
            and not (entities.deployment or entities.job_name or entities.alertname
                     or entities.node)):
        return Plan(entities=entities, cited=cited, followed=books[0] if books else None,
                    findings=tuple(about), ask_back=_ask_back(linking, inventory))
    book = _choose_runbook(fitting, about, remedies_asked(question), entities.alertname)
    supported = {r for f in about for r in f.supports}
    called_for = supported | remedies_asked(question)

    dep = inventory.deployment(entities.namespace or "", entities.deployment or "")
    if dep is not None:
        bindings.setdefault("replicas", dep.replicas)
    # What the entities do not name, the firing alert's own labels bind ({mountpoint}).
    for label, value in linking.alert_labels.items():
        bindings.setdefault(label, value)
    node = entities.node if entities.deployment is None else None
    # A thread about a node reads the node, and any other the asker names beside it ("are
    # rc-gpu-07 and rc-gpu-08 back?"), whatever runbook ranks first: how they stand is the
    # answer, and no page about deployments says to look.
    nodes = [node, *(n.name for n in inventory.nodes
                     if n.name != node and mentions(own, n.name))] if node else []
    observations = [run_read_only(call) for n in nodes for call in _reads_about(n)]
    candidates: list[PlannedCall] = []
    notes: list[str] = []
    # The best-ranked runbook, when it only diagnoses, loses to one with a fitting remedy
    # but still says what to look at: its reads run first.
    first = fitting[0] if fitting and fitting[0] is not book and not _remedies(fitting[0]) \
        else None
    done = {o.call.args_hash for o in observations}
    for source in (b for b in (first, book) if b is not None):
        for index, step in enumerate(source.steps):
            try:
                args = bind_args(_bindable(step.tool, step.args, bindings), bindings)
                if (spec := CATALOG[step.tool]).complete is not None:
                    args = spec.complete(args, bindings)
            except MissingBinding as gap:
                where = "" if source is book else f" of {source.id}"
                notes.append(f"skipped step {index + 1}{where} ({step.tool}): "
                             f"nothing to fill {{{gap.name}}}")
                continue
            call = ToolCall(tool=step.tool, args=args)
            if other := _not_this_alert(step.args, linking.alert_labels):
                notes.append(f"skipped step {index + 1} of {source.id} ({step.tool}): "
                             f"{', '.join(other)}: that runbook's own case, not this "
                             "thread's alert")
                continue
            literal = _literal_matchers(step.args)
            if (CATALOG[step.tool].read_only and literal
                    and _for_another_alert(source, entities.alertname)):
                # Written for another alert, its literal labels name its own case.
                notes.append(f"skipped step {index + 1} of {source.id} ({step.tool}): "
                             f"{', '.join(literal)} is that runbook's own case "
                             f"({', '.join(source.alerts)}), not this thread's")
                continue
            if CATALOG[step.tool].read_only:
                if call.args_hash in done:
                    continue
                if source is first:
                    done.add(call.args_hash)
                seen = run_read_only(call)
                observations.append(seen)
                if seen.ok:
                    bindings.update(derive_bindings(call, seen.data, bindings))
            elif (_for_another_alert(source, entities.alertname)
                  and CATALOG[step.tool].remedy not in called_for):
                notes.append(f"not proposed: step {index + 1} of {source.id} ({step.tool}) "
                             f"is its remedy for {', '.join(source.alerts)}, and nothing "
                             "here calls for it")
            else:
                why = step.why or f"step {index + 1} of {source.id}"
                if _for_another_alert(source, entities.alertname):
                    general = _without_its_own_case(step.tool, step.args, args)
                    if general != args and CATALOG[step.tool].remedy not in supported:
                        # Scoped to its own case; with nothing found to scope it here.
                        notes.append(f"not proposed: step {index + 1} of {source.id} "
                                     f"({step.tool}) is written for its own case of "
                                     f"{', '.join(source.alerts)}, and nothing I found "
                                     f"shows {entities.alertname} calls for it")
                        continue
                    # Its reason is about the runbook's own alert, not this one.
                    why = CATALOG[step.tool].description
                    call = ToolCall(tool=step.tool, args=general)
                candidates.append(PlannedCall(call=call, why=why, runbook_id=source.id,
                                              step_index=index))
        if source.manual_commands:
            shown = "; ".join(f"`{c}`" for c in source.manual_commands[:MANUAL_COMMANDS_SHOWN])
            notes.append(f"{source.id} also says to run, by hand (no tool of mine does): "
                         f"{shown}")
    read = {o.call.args_hash for o in observations}
    observations.extend(run_read_only(call) for call in _subject_reads(entities)
                        if call.args_hash not in read)
    # What the runbook's reads showed calls for more (a troubled pod's events and logs).
    observations.extend(follow_up(observations, run_read_only))
    followed = {b.id: b for b in (first, book) if b is not None}
    candidates = [_reasoned(c, followed, observations) for c in candidates]
    asked = tools_asked(own)
    if candidates and not about and not signs_of_trouble(entities, inventory, observations):
        if any(c.call.tool in asked for c in candidates):
            notes.append(f"you asked for it, but I see {healthy_summary(entities, inventory)}"
                         "; policy and an approver decide")
        else:
            candidates = []
            notes.append(healthy_summary(entities, inventory))
    candidates.extend(from_findings(about, candidates, bindings, remedies_asked(question)))
    if node is not None and asks_how_it_stands(question):
        notes.extend(_standing(n, inventory, observations) for n in nodes)
        if candidates:
            # "is rc-gpu-07 back?" asks how it stands: the runbook's cordon is an action
            # nobody asked for, and pasted text never asks for one.
            stand = "stands" if len(nodes) == 1 else "stand"
            notes.append(f"you asked how {' and '.join(nodes)} {stand}, not for an action: "
                         "nothing proposed; say what to do in your own words to have it "
                         "proposed")
            candidates = []
    # A count the asker gave another workload ("scale frontend to 40") is not this one's.
    said_here = clauses_about(own, entities.deployment, {d.name for d in inventory.deployments})
    replicas = requested_replicas(" ".join(f"{c.strip().rstrip('.!?;,')}." for c in said_here))
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
