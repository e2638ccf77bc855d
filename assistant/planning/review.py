"""Choose with findings: every candidate action, from any planner, is checked against what
the evidence says about its target. Pure.

A candidate whose remedy a finding about its target rules out is dropped with the reason,
even when another finding supports it, if the objection is a firm diagnosis that outranks
support (the bottleneck is what it calls: more replicas only add refused calls); an
objection that only finds the target sound leaves a diagnosis of trouble to decide. It is
dropped unless the asker explicitly asked for exactly that action in their own words: then
it stays, with the contradicting evidence on the card, and policy and an approver decide.
Against a diagnosis that rules the remedy out, only an order counts ("roll it back"); when
the evidence only says nothing is wrong right now, a terse request ("restart?") counts too:
the asker may be acting ahead of a problem they expect, unless the evidence diagnoses the
trouble on another workload nearby (a finding there calls for a remedy): then the target is
a cleared suspect, and only an order keeps the action. A question ("should we restart
it?") is a hypothesis, answered with the evidence. An action something would set straight
back (a scale an autoscaler owns) is dropped whoever asked, with what to do instead, and
so is one the asker's own words forbid on that target ("don't roll back cart"). A
candidate that would silence no alert firing now is dropped, and so is a scale-out no
finding of load calls for (unless the asker asked for one). When the asker forbids any
change at all ("status only, don't change anything"), every candidate is dropped.
Candidates are re-aimed with what the evidence knows (the revision that was healthy, the
alert's own labels, when a change window ends), so text never supplies those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.analysis import Contradiction, Finding, Remedy
from assistant.models import ToolCall
from assistant.planning.intent import Ask, Asked, HandsOff
from assistant.planning.offline import PlannedCall

# More replicas answer only load: whatever else is wrong (a leak, a bad revision, a stuck
# replica) is copied onto the new pods. A runbook step or a model may offer one for any
# trouble; it is proposed when a finding shows the load, or when the asker asks for it.
NEEDS_DIAGNOSIS = frozenset({Remedy.SCALE_OUT})


@dataclass(frozen=True)
class Target:
    """What a call acts on, as the catalog reports it."""

    namespace: str | None = None
    workload: str | None = None
    alertname: str | None = None
    matchers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    kept: tuple[PlannedCall, ...]
    notes: tuple[str, ...]
    dropped: tuple[tuple[PlannedCall, str], ...]  # each with the reason, for the audit
    # Kept only because the asker ordered them, though the evidence is against them.
    contested: tuple[tuple[PlannedCall, str], ...] = ()


@dataclass(frozen=True)
class Catalog:
    """What review needs to know about tools, supplied by the catalog."""

    remedy: Callable[[str], Remedy | None]
    target: Callable[[ToolCall], Target]
    aim: Callable[[ToolCall, Finding], ToolCall]  # re-aim a call with a finding's facts
    exists: Callable[[Target], bool]  # the target is in the live inventory
    count: Callable[[ToolCall], int | None] = lambda call: None  # the replica count it sets


def concerns(finding: Finding, target: Target) -> bool:
    subject = finding.subject
    if target.workload is not None:
        return (subject.workload == target.workload and subject.namespace == target.namespace)
    if target.alertname is None or subject.alertname != target.alertname:
        return False
    # A silence concerns the alerts its matchers would catch.
    return all(subject.labels.get(k, v) == v for k, v in target.matchers.items())


def review(
    candidates: Sequence[PlannedCall],
    findings: Sequence[Finding],
    catalog: Catalog,
    asked: Asked,
    nearby: Sequence[Finding] = (),
    hands_off: HandsOff | None = None,
) -> Verdict:
    """``nearby``: findings about troubled workloads beside the thread's quiet subject;
    ``hands_off``: the asker's own words forbidding any change ("don't touch anything"),
    which drop every candidate within its reach whatever the evidence or an order in the
    same message says (the safe side of a contradiction)."""
    kept: list[PlannedCall] = []
    notes: list[str] = []
    dropped: list[tuple[PlannedCall, str]] = []
    contested: list[tuple[PlannedCall, str]] = []

    def drop(cand: PlannedCall, why: str) -> None:
        dropped.append((cand, why))
        notes.append(f"not proposed: {cand.call.render()} — {why}")

    for cand in candidates:
        target = catalog.target(cand.call)
        if hands_off is not None and hands_off.covers(target.namespace,
                                                      cand.ordered is not None):
            drop(cand, f"you said \"{hands_off.said}\": no change is proposed")
            continue
        remedy = catalog.remedy(cand.call.tool)
        if remedy is None:
            kept.append(cand)
            continue
        if target == Target():
            # Arguments the tool refuses are the proposal step's to report, in the tool's
            # own words; no finding can be about a target that cannot be read.
            kept.append(cand)
            continue
        about = [f for f in findings if concerns(f, target)]
        supporting = [f for f in about if remedy in f.supports]
        against = [c for f in about if (c := f.against(remedy)) is not None]
        call = cand.call
        for f in supporting:
            call = catalog.aim(call, f)
        aimed = call.args
        if cand.ordered:
            # What the asker ordered stands; the evidence only fills what they left unsaid,
            # and the card says where it would have chosen otherwise.
            call = ToolCall(tool=call.tool, args=ordered_over(call.args, cand.ordered))
        differs = "; ".join(f"you chose {k}={v}, the evidence points to {k}={was}"
                            for k, v, was in _overridden(aimed, cand.ordered or {}))
        target = catalog.target(call)
        # Only an objection about what the call now acts on outranks the findings that
        # back it: a silence re-aimed at the alert a change window explains is no longer
        # aimed at the unexplained one beside it.
        outranked = any(c.firm and c.outranks for f in findings if concerns(f, target)
                        and (c := f.against(remedy)) is not None)
        # A count its owner lets stand for a while is no objection: the card says how long.
        count = catalog.count(call)
        held = [c for c in against if c.holds is not None and count is not None
                and c.holds[0] <= count <= c.holds[1]]
        against = [c for c in against if c not in held]
        caveats = "".join(f" — {c.caveat}" for c in held)
        before = len(kept)
        undone = [c for c in against if c.undone]
        if not catalog.exists(target):
            drop(cand, f"{_render(target)} is not in the live inventory")
        elif asked(cand.call.tool, target.workload) is Ask.FORBIDS:
            # The asker's own prohibition outranks any evidence for the action.
            drop(cand, f"you said not to: no {remedy.value} of {_render(target)}")
        elif undone:
            drop(cand, _reasons(undone))
        elif supporting and not outranked:
            evidence = _summaries(supporting)
            # A step re-aimed by the evidence is no longer the runbook's literal step, so
            # the runbook's reasoning for it is not quoted as if it were.
            why = (f"{cand.why} (evidence: {evidence})" if call == cand.call
                   else f"the evidence: {evidence}") + (f" — {differs}" if differs else "")
            kept.append(_with(cand, call, why))
        elif against and asked(cand.call.tool, target.workload) >= _needed(
                against, any(f.supports and not concerns(f, target) for f in nearby)):
            # The runbook's reason for the step states the trouble it was written for,
            # which the evidence here disputes: the card says who asked and why not.
            kept.append(_with(cand, call, "you asked for it, but the evidence is against "
                                          f"it: {_reasons(against, supporting)}"))
            contested.append((kept[-1], _reasons(against, supporting)))
        elif against:
            drop(cand, _reasons(against, supporting))
        elif remedy in NEEDS_DIAGNOSIS and asked(cand.call.tool) < Ask.REQUESTS:
            drop(cand, f"no finding shows {_render(target)} short of capacity")
        elif remedy in NEEDS_DIAGNOSIS:
            # The runbook's reason for the step assumes the load it was written for; kept
            # only because the asker asked, the card must not state that load as found.
            kept.append(_with(cand, call, f"you asked for it; no finding shows "
                                          f"{_render(target)} short of capacity"))
        else:
            kept.append(cand)
        if caveats and len(kept) > before:
            kept[-1] = _with(kept[-1], kept[-1].call, kept[-1].why + caveats)
    return Verdict(kept=tuple(kept), notes=tuple(notes), dropped=tuple(dropped),
                   contested=tuple(contested))


def ordered_over(args: Mapping[str, Any], ordered: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` with the asker's values; matchers the asker names narrow the ones already
    there rather than replace them: naming an instance does not unsay a namespace."""
    out = dict(args)
    for key, value in ordered.items():
        before = out.get(key)
        out[key] = ({**before, **value} if isinstance(value, dict) and isinstance(before, dict)
                    else value)
    return out


def _overridden(aimed: Mapping[str, Any], ordered: Mapping[str, Any]
                ) -> list[tuple[str, Any, Any]]:
    """The asker's values the evidence would have set otherwise, key by key in a mapping:
    each as (name, the asker's value, the evidence's)."""
    out: list[tuple[str, Any, Any]] = []
    for key, value in ordered.items():
        if key not in aimed:
            continue
        if isinstance(value, dict) and isinstance(aimed[key], dict):
            out.extend((f"{key}.{k}", v, aimed[key][k]) for k, v in value.items()
                       if k in aimed[key] and aimed[key][k] != v)
        elif aimed[key] != value:
            out.append((key, value, aimed[key]))
    return out


def _needed(against: Sequence[Contradiction], trouble_elsewhere: bool) -> Ask:
    """How strongly the asker must ask for an action the evidence is against."""
    return Ask.ORDERS if trouble_elsewhere or any(c.firm for c in against) else Ask.REQUESTS


def _reasons(against: Sequence[Contradiction], supporting: Sequence[Finding] = ()) -> str:
    """Why not, and, when findings back the remedy, that the objection outweighs them."""
    why = "; ".join(dict.fromkeys(c.why for c in against))
    return why + (f" (this outweighs: {_summaries(supporting)})" if supporting else "")


def _summaries(findings: Sequence[Finding]) -> str:
    return "; ".join(dict.fromkeys(f.summary for f in findings))


def _with(cand: PlannedCall, call: ToolCall, why: str) -> PlannedCall:
    return cand.model_copy(update={"call": call, "why": why})


def _render(target: Target) -> str:
    if target.workload:
        return f"{target.namespace}/{target.workload}"
    scope = ", ".join(f"{k}={v}" for k, v in sorted(target.matchers.items()))
    return f"alert {target.alertname}" + (f" {{{scope}}}" if scope else "")
