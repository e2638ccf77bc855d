"""Evidence about what a thread is about, gathered before any planner runs, and the
findings the analyzers draw from it; and the catalog seen the way review needs it.

The catalog says which reads give evidence about a workload or an alert
(``ToolSpec.evidence``); they run through the same policy-checked, redacting runner as
every other read, once per question (a runbook step asking for the same call gets the
same observation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.analysis import Finding, WorkloadKey, analyze, collect, unremedied
from assistant.models import Inventory, Remedy, ToolCall
from assistant.planning.entities import LinkedEntities, entities_of, in_trouble
from assistant.planning.intent import Ask, Asked
from assistant.planning.offline import (
    Observation,
    PlannedCall,
    ReadOnlyRunner,
    focus_findings,
    from_findings,
)
from assistant.planning.review import Catalog, Target
from tools.catalog import CATALOG


@dataclass
class OncePerQuestion:
    """A read-only runner that runs each distinct call once and remembers its answer."""

    run: ReadOnlyRunner
    seen: dict[str, Observation] = field(default_factory=dict)

    def __call__(self, call: ToolCall) -> Observation:
        key = f"{call.tool}:{call.args_hash}"
        if key not in self.seen:
            self.seen[key] = self.run(call)
        return self.seen[key]


def evidence_calls(bindings: Mapping[str, Any],
                   remedy: Remedy | None = None) -> list[ToolCall]:
    """The reads gathered before planning (``remedy`` None), or those worth their cost
    only when an action of ``remedy`` is under consideration."""
    return [ToolCall(tool=spec.name, args=args)
            for spec in CATALOG.values() if spec.evidence is not None
            and (remedy in spec.evidence_for if remedy else not spec.evidence_for)
            for args in spec.evidence(bindings)]


def _workload_of(call: ToolCall) -> WorkloadKey | None:
    spec = CATALOG[call.tool]
    watch = spec.watched(spec.validate_args(call.args))
    return (watch.namespace, watch.deployment) if watch.namespace and watch.deployment else None


@dataclass(frozen=True)
class Diagnosis:
    observations: tuple[Observation, ...]
    findings: tuple[Finding, ...]


def _analyzed(calls: Sequence[ToolCall], focus: Sequence[WorkloadKey], inventory: Inventory,
              now: datetime, run: ReadOnlyRunner) -> Diagnosis:
    observations = [run(call) for call in calls]
    outputs = [(CATALOG[o.call.tool].read_output(o.data), _workload_of(o.call))
               for o in observations if o.ok and o.data is not None]
    findings = analyze(collect(outputs, inventory, now), focus)
    return Diagnosis(observations=tuple(observations), findings=tuple(findings))


def diagnose(entities: LinkedEntities, inventory: Inventory, now: datetime,
             run: ReadOnlyRunner) -> Diagnosis:
    """The everyday reads' findings; a workload in trouble that they explain no way (an
    alert fires, yet nothing calls for any remedy) also gets the costly reads, for a fault
    that shows only in its logs and that no action mends (a certificate that expired)."""
    focus = ([(entities.namespace, entities.deployment)]
             if entities.namespace and entities.deployment else [])
    found = _analyzed(evidence_calls(entities.bindings()), focus, inventory, now, run)
    if (not focus or any(f.supports for f in focus_findings(found.findings, entities))
            or not any((d.namespace, d.name) == focus[0] for d in in_trouble(inventory))):
        return found
    costly = {c.args_hash: c for remedy in Remedy
              for c in evidence_calls(entities.bindings(), remedy)}
    observations = [run(call) for call in costly.values()]
    outputs = [(CATALOG[o.call.tool].read_output(o.data), _workload_of(o.call))
               for o in observations if o.ok and o.data is not None]
    more = unremedied(collect(outputs, inventory, now), focus)
    return Diagnosis(observations=(*found.observations, *observations),
                     findings=(*found.findings, *more))


def diagnose_actions(candidates: Sequence[PlannedCall], inventory: Inventory, now: datetime,
                     run: ReadOnlyRunner) -> list[Finding]:
    """Findings from the reads too costly to make for every question (logs), made only
    about the target of a candidate action whose case they can change: a scale-out is
    checked against its workload's logs; a thread that considers none reads no logs."""
    findings: list[Finding] = []
    checked: set[tuple[Remedy, WorkloadKey]] = set()
    for cand in candidates:
        remedy = _remedy(cand.call.tool)
        target = _target(cand.call)
        if remedy is None or target.namespace is None or target.workload is None:
            continue
        key = (target.namespace, target.workload)
        if (remedy, key) in checked:
            continue
        checked.add((remedy, key))
        dep = inventory.deployment(*key)
        bindings = entities_of(dep).bindings() if dep else {
            "namespace": key[0], "deployment": key[1]}
        calls = evidence_calls(bindings, remedy)
        if calls:
            findings.extend(_analyzed(calls, [key], inventory, now, run).findings)
    return findings


NEIGHBOURS_LOOKED_AT = 2  # troubled workloads beside a quiet subject that get diagnosed


def troubled_neighbours(entities: LinkedEntities, inventory: Inventory,
                        findings: Sequence[Finding]) -> list[LinkedEntities]:
    """Workloads in trouble in the subject's namespace, when the subject itself shows none.

    "imaging pods keep restarting since upload-gw went out, roll it back?" deserves "no:
    upload-gw is fine, thumbnailer is OOMKilled". They are diagnosed and shown, never acted
    on: the thread stays about the workload it named."""
    if not (entities.namespace and entities.deployment):
        return []
    if any(f.supports for f in focus_findings(findings, entities)):
        return []
    troubled = [d for d in in_trouble(inventory) if d.namespace == entities.namespace]
    if any(d.name == entities.deployment for d in troubled):
        return []
    return [entities_of(d) for d in troubled[:NEIGHBOURS_LOOKED_AT]]


NAMED_LOOKED_AT = 3  # workloads named beside the subject that get diagnosed and drafted for


def drafts_for(other: LinkedEntities, findings: Sequence[Finding],
               inventory: Inventory) -> list[PlannedCall]:
    """What the findings about a workload the asker also named call for: they asked about
    it in their own words, so its evidence-supported remedies are proposed too (review and
    policy still decide), not only shown."""
    bindings: dict[str, Any] = dict(other.bindings())
    dep = inventory.deployment(other.namespace or "", other.deployment or "", other.kind)
    if dep is not None:
        bindings.setdefault("replicas", dep.replicas)
    return from_findings(findings, (), bindings, frozenset())


def neighbours_note(entities: LinkedEntities, findings: Sequence[Finding],
                    nearby: Sequence[Finding]) -> list[str]:
    """Why findings about other workloads are shown, and that nothing is proposed for them.

    The subject is said to show no trouble only when it was found healthy (or nothing was
    found about it); findings of its own that support no remedy (answers slowed with no
    cause in sight) are said as they are, not cleared."""
    others = list(dict.fromkeys(f.subject.render() for f in nearby))
    if not others:
        return []
    subject = f"{entities.namespace}/{entities.deployment}"
    own = focus_findings(findings, entities)
    if own and not any(f.kind == "healthy" for f in own):
        said = "; ".join(dict.fromkeys(f.summary for f in own))
        return [f"{subject}: {said}. Nothing found there supports an action, but "
                f"in the same namespace {', '.join(others)} "
                f"{'is' if len(others) == 1 else 'are'} in trouble (findings above); ask "
                "about it to act on it"]
    return [f"{subject} shows no trouble, but in the same namespace {', '.join(others)} "
            "does (findings above); ask about it to act on it"]


def hypotheses_answered(entities: LinkedEntities, findings: Sequence[Finding],
                        asked: Asked, candidates: Sequence[PlannedCall]) -> list[str]:
    """What the evidence says of each action the asker brought up about the subject
    ("can we just roll it back?") that no candidate, proposed or dropped, answers already:
    a hypothesis is checked and answered, not left unsaid because no runbook offered it."""
    if entities.deployment is None:
        return []
    answered = {CATALOG[c.call.tool].remedy for c in candidates}
    own = focus_findings(findings, entities)
    notes: list[str] = []
    for spec in CATALOG.values():
        remedy = spec.remedy
        if remedy is None or remedy in answered or asked(spec.name, entities.deployment) \
                in (Ask.NONE, Ask.FORBIDS):
            continue
        answered.add(remedy)
        against = [c.why for f in own if (c := f.against(remedy)) is not None]
        if against:
            notes.append(f"you asked about a {remedy.value}: not proposed — "
                         f"{'; '.join(dict.fromkeys(against))}")
        elif own and not any(remedy in f.supports or f.kind == "healthy" for f in own):
            found = "; ".join(dict.fromkeys(f.summary for f in own))
            notes.append(f"you asked about a {remedy.value}: not proposed — what I found "
                         f"({found}) does not call for one")
    return notes


def _target(call: ToolCall) -> Target:
    spec = CATALOG[call.tool]
    try:
        args = spec.validate_args(call.args)
    except ValueError:
        # Invalid arguments are the proposal step's to report, naming the field; a target
        # review cannot read concerns no finding and is not checked against the inventory.
        return Target()
    watch = spec.watched(args)
    return Target(namespace=watch.namespace, workload=watch.deployment,
                  alertname=watch.alertname, matchers=dict(watch.matchers))


def _aim(call: ToolCall, finding: Finding) -> ToolCall:
    spec = CATALOG[call.tool]
    if spec.aim is None:
        return call
    update = spec.aim(spec.validate_args(call.args), finding)
    return ToolCall(tool=call.tool, args={**call.args, **update}) if update else call


def _count(call: ToolCall) -> int | None:
    """The replica count a call sets, if it sets one."""
    try:
        replicas = getattr(CATALOG[call.tool].validate_args(call.args), "replicas", None)
    except ValueError:
        return None
    return replicas if isinstance(replicas, int) else None


def _remedy(tool: str) -> Remedy | None:
    spec = CATALOG.get(tool)
    return spec.remedy if spec is not None else None


def catalog_for_review(inventory: Inventory) -> Catalog:
    def exists(target: Target) -> bool:
        # A workload the backend lacks is dropped where proposals are built, with the
        # backend's own words; a silence has no such check there: one that matches no
        # firing alert would mute nothing now and something unexpected later.
        if target.workload is None and target.alertname is not None:
            return any(a.name == target.alertname and a.state == "firing"
                       and all(a.labels.get(k) == v for k, v in target.matchers.items())
                       for a in inventory.alerts)
        return True

    return Catalog(remedy=_remedy, target=_target, aim=_aim, exists=exists, count=_count)
