"""Analyzers over one workload's evidence: memory exhaustion, a bad rollout, an image that
cannot be pulled, saturation from more traffic, a high but steady level, and "healthy". Pure.

Each says what it saw with the numbers and times it saw them, and which remedies the
evidence supports or rules out. They judge from state (pods, revisions, series), never
from how a question was worded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from assistant.analysis.evidence import WorkloadEvidence
from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject
from assistant.analysis.series import (
    Signal,
    flat,
    of_signal,
    points,
    render_series,
    render_value,
    shape,
    signal_of,
    step_up,
)
from assistant.models import Series
from tools.outputs import AlertRow, PodRow, RevisionRow
from tools.workload_outputs import HpaRow

CRASH_REASONS = frozenset({
    "CrashLoopBackOff", "Error", "CreateContainerConfigError", "CreateContainerError",
    "ContainerCannotRun", "RunContainerError",
})
PULL_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})
OOM = "OOMKilled"
# A revision this young may still be the cause of what started after it.
RECENT_ROLLOUT = timedelta(hours=24)
NEAR_LIMIT = 0.85  # of the memory limit
HOT_CPU = 0.85  # of requested CPU, as a ratio
BUSY_CPU = 0.8
TRAFFIC_RISE = 1.5  # request rate at least this multiple of where it started
ERROR_STEP = 5.0  # error ratio at least this multiple of where it started...
ERROR_FLOOR = 0.01  # ...and above 1%
HEALTHY_ERRORS = 0.01
STEADY = 0.05  # relative spread within which a memory series has not moved
ERROR_RISE = 1.5  # error ratio this multiple of its level when the revision rolled out
LATENCY_STEP = 2.0  # latency at least this multiple of where it started is not healthy
QUIET_SEVERITIES = frozenset({"info", "none", "informational"})


def _age(since: datetime, now: datetime) -> str:
    delta = now - since
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    hours = delta.total_seconds() / 3600
    if hours >= 2:
        return f"{hours:.0f} h"
    return f"{max(delta.total_seconds() / 60, 0):.0f} min"


def _at(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _deployed(row: RevisionRow) -> datetime | None:
    return datetime.fromisoformat(row.deployed_at) if row.deployed_at else None


def _current(w: WorkloadEvidence) -> RevisionRow | None:
    if w.history is None:
        return None
    return next((r for r in w.history.revisions if r.current), None)


def _revision_line(row: RevisionRow, now: datetime) -> str:
    deployed = _deployed(row)
    when = f", live {_age(deployed, now)} (since {deployed:%Y-%m-%d %H:%M})" if deployed else ""
    change = f": {row.change}" if row.change else ""
    return f"revision {row.revision}{when}{change}"


def _pods_line(pods: Sequence[PodRow], total: int, what: str) -> str:
    names = ", ".join(f"{p.name} ({p.restarts} restarts)" for p in pods[:3])
    more = f" and {len(pods) - 3} more" if len(pods) > 3 else ""
    return f"{len(pods)} of {total} pods {what}: {names}{more}"


def _errors_flat(w: WorkloadEvidence) -> str | None:
    errors = of_signal(w.series, Signal.ERROR_RATIO)
    if errors and all(flat(s) and s.points[-1][1] < HEALTHY_ERRORS for s in errors):
        return f"error ratio flat at {render_value(float(errors[0].points[-1][1]), 'ratio')}"
    return None


def memory_exhaustion(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    oom = [p for p in w.pods if OOM in (p.last_termination_reason, p.reason)]
    limit_mib = w.description.memory_limit_mib if w.description else None
    climbing: list[tuple[Series, str]] = []
    for s in of_signal(w.series, Signal.MEMORY):
        sh = shape(s)
        if sh is None or not (sh.climbing or sh.drops):
            continue
        near = limit_mib is not None and sh.last.value >= NEAR_LIMIT * limit_mib * 2**20
        if not (near or oom):
            continue
        limit = f" of a {limit_mib:.0f} MiB limit" if limit_mib else ""
        resets = (f"; fell back at {', '.join(_at(p.at) for p in sh.drops[:4])} (restarts)"
                  if sh.drops else "")
        climbing.append((s, f"{render_series(s)} climbs to {render_value(sh.last.value, s.unit)}"
                            f"{limit} (low {render_value(sh.low, s.unit)}){resets}"))
    if not oom and not climbing:
        return []
    evidence = []
    if oom:
        evidence.append(_pods_line(oom, len(w.pods), "last terminated OOMKilled"))
    evidence.extend(line for _, line in climbing)
    contradicts = [Contradiction(
        remedy=Remedy.SCALE_OUT,
        why="more replicas would leak the same way; each still reaches its memory limit")]
    current = _current(w)
    deployed = _deployed(current) if current else None
    if current is not None:
        evidence.append(_revision_line(current, now))
        if deployed is not None and now - deployed >= RECENT_ROLLOUT:
            flat_errors = _errors_flat(w)
            contradicts.append(Contradiction(
                remedy=Remedy.ROLLBACK,
                why=f"rollback not indicated: revision {current.revision} has run "
                    f"{_age(deployed, now)} and memory grows again after every restart"
                    + (f"; {flat_errors}" if flat_errors else "")))
    flat_errors = _errors_flat(w)
    if flat_errors:
        evidence.append(flat_errors)
    summary = ("containers are OOMKilled as memory climbs to the limit" if oom and climbing
               else "containers are OOMKilled" if oom
               else "memory climbs toward the limit")
    return [Finding(kind="memory-exhaustion", subject=Subject(namespace=w.namespace,
                                                             workload=w.name),
                    summary=summary, evidence=tuple(evidence), supports=(Remedy.RESTART,),
                    contradicts=tuple(contradicts))]


def bad_rollout(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    current = _current(w)
    if current is None or w.history is None:
        return []
    target = w.history.last_healthy_before_current()
    if target is None:
        return []
    deployed = _deployed(current)
    recent = deployed is not None and now - deployed <= RECENT_ROLLOUT
    of_current = [p for p in w.pods if p.revision in (None, current.revision)]
    pulling = [p for p in of_current if p.reason in PULL_REASONS]
    # On a revision that has run longer than a rollout stays suspect, containers the
    # kernel killed for memory are a leak's doing (memory exhaustion), not the rollout's.
    crashing = [p for p in of_current
                if (p.reason in CRASH_REASONS and (recent or p.last_termination_reason != OOM))
                or (recent and OOM in (p.reason, p.last_termination_reason) and not p.ready)]
    steps = []
    for s in of_signal(w.series, Signal.ERROR_RATIO):
        found = step_up(s, ERROR_STEP, ERROR_FLOOR)
        if found is not None and (deployed is None or found.at >= deployed - timedelta(minutes=5)):
            steps.append((s, found))
    if not (pulling or crashing or steps):
        return []
    if not (recent or not current.healthy):
        return []
    evidence = [_revision_line(current, now)]
    if pulling:
        evidence.append(_pods_line(pulling, len(w.pods), f"cannot pull {current.image}"))
    if crashing:
        reasons = sorted({p.reason or p.last_termination_reason or "?" for p in crashing})
        evidence.append(_pods_line(crashing, len(w.pods), f"failing ({', '.join(reasons)})"))
    for s, found in steps:
        evidence.append(f"{render_series(s)} stepped from {render_value(found.before, s.unit)} "
                        f"to {render_value(found.after, s.unit)} at {_at(found.at)}"
                        + (f", after the rollout at {_at(deployed)}" if deployed else ""))
    good = next(r for r in w.history.revisions if r.revision == target)
    evidence.append(f"revision {target} was healthy" + (
        f" ({good.change})" if good.change else ""))
    kind = "image-pull" if pulling and not crashing else "bad-rollout"
    summary = (f"revision {current.revision}'s image cannot be pulled" if kind == "image-pull"
               else f"trouble began with revision {current.revision}")
    why_restart = (f"a restart keeps revision {current.revision}, whose pods fail"
                   if kind == "bad-rollout" else "a restart pulls the same missing image")
    return [Finding(
        kind=kind, subject=Subject(namespace=w.namespace, workload=w.name), summary=summary,
        evidence=tuple(evidence), supports=(Remedy.ROLLBACK,), healthy_revision=target,
        contradicts=(
            Contradiction(remedy=Remedy.RESTART, why=why_restart),
            Contradiction(remedy=Remedy.SCALE_OUT,
                          why=f"more replicas of revision {current.revision} fail the same way"),
        ))]


def crash_loop(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """Pods failing to start that no rollout explains (a workload with one revision, or
    failing long after its last): shown for what it is, supporting no remedy, so a crash
    loop is never missing from the findings because no rollback fits it. Containers killed
    for memory are memory exhaustion's to explain."""
    if bad_rollout(w, now):
        return []
    current = _current(w)
    failing = [p for p in w.pods if not p.ready and p.reason in CRASH_REASONS
               and p.last_termination_reason != OOM
               and (current is None or p.revision in (None, current.revision))]
    if not failing:
        return []
    reasons = sorted({p.reason or "?" for p in failing})
    evidence = ([_revision_line(current, now)] if current is not None else []) + [
        _pods_line(failing, len(w.pods), f"failing ({', '.join(reasons)})")]
    if w.history is not None and w.history.last_healthy_before_current() is None:
        evidence.append("no earlier healthy revision to roll back to")
    return [Finding(kind="crash-loop", subject=Subject(namespace=w.namespace, workload=w.name),
                    summary=f"{len(failing)} of {len(w.pods)} pods failing to start",
                    evidence=tuple(evidence))]


def saturation(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    hot = [(s, sh) for s in of_signal(w.series, Signal.CPU)
           if s.unit in ("ratio", "") and (sh := shape(s)) is not None and sh.last.value >= HOT_CPU]
    if not hot:
        return []
    cpu, cpu_shape = hot[0]
    rises = [(s, r) for s in of_signal(w.series, Signal.REQUEST_RATE)
             if (r := step_up(s, TRAFFIC_RISE)) is not None]
    evidence = [f"{render_series(cpu)} at {render_value(cpu_shape.last.value, 'ratio')} "
                f"(was {render_value(cpu_shape.first.value, 'ratio')})"]
    for s in of_signal(w.series, Signal.LATENCY):
        sh = shape(s)
        if sh is not None and sh.ratio >= 2:
            evidence.append(f"{render_series(s)} from {render_value(sh.first.value, s.unit)} "
                            f"to {render_value(sh.last.value, s.unit)}")
    current = _current(w)
    deployed = _deployed(current) if current else None
    subject = Subject(namespace=w.namespace, workload=w.name)
    if not rises:
        return [Finding(kind="cpu-saturation", subject=subject,
                        summary="CPU is saturated while request rate is flat",
                        evidence=tuple(evidence))]
    rate, rise = rises[0]
    growth = rise.after / rise.before - 1 if rise.before else float("inf")
    evidence.append(f"{render_series(rate)} up {growth:+.0%} since {_at(rise.at)} "
                    f"({render_value(rise.before, rate.unit)} -> "
                    f"{render_value(rise.after, rate.unit)})")
    if deployed is not None and deployed >= rise.at - timedelta(minutes=10):
        # A rollout at the same moment as the rise: a bad-rollout finding decides.
        return []
    contradicts = [Contradiction(remedy=Remedy.RESTART,
                                 why="a restart adds no capacity: every replica is busy"),
                   Contradiction(remedy=Remedy.REPLACE_POD,
                                 why="a replacement pod takes the same share of the traffic: "
                                     "every replica is busy")]
    if current is not None:
        evidence.append(_revision_line(current, now))
        flat_errors = _errors_flat(w)
        contradicts.append(Contradiction(
            remedy=Remedy.ROLLBACK,
            why=f"rollback not indicated: revision {current.revision} has run "
                f"{_age(deployed, now) if deployed else 'since before the rise'}"
                + (f", {flat_errors}" if flat_errors else "")
                + f"; request rate {growth:+.0%}"))
    return [Finding(kind="saturation", subject=subject,
                    summary=f"saturated by {growth:+.0%} more traffic with no new revision",
                    evidence=tuple(evidence), supports=(Remedy.SCALE_OUT,),
                    contradicts=tuple(contradicts))]


def _sizing_autoscaler(w: WorkloadEvidence, hpa: HpaRow) -> Finding:
    """An autoscaler with room to move owns the replica count too: at its next sync (every
    15 s) it sets a count below what its metrics ask, or outside [min, max], straight back.
    A count above what they ask and within max stands only until its scale-down
    stabilization window (5 min by default) passes; what lasts is a higher minReplicas."""
    floor = max(hpa.desired_replicas, hpa.min_replicas)
    metrics = f"; {', '.join(hpa.metrics)}" if hpa.metrics else ""
    evidence = (f"HorizontalPodAutoscaler {hpa.name}: {hpa.current_replicas} current, "
                f"{hpa.desired_replicas} desired, min {hpa.min_replicas}, "
                f"max {hpa.max_replicas}{metrics}",)
    why = (f"autoscaler {hpa.name} sets a hand-scaled count back at its next sync unless it "
           f"is above the {floor} its metrics ask and at most its maxReplicas of "
           f"{hpa.max_replicas}: to change the range, raise its minReplicas or maxReplicas")
    caveat = (f"autoscaler {hpa.name} ({hpa.min_replicas}-{hpa.max_replicas} replicas, "
              f"{hpa.desired_replicas} desired) keeps this count only until its scale-down "
              "stabilization window (5 min by default) passes, then returns to what its "
              "metrics ask: to hold it, raise its minReplicas to it")
    return Finding(
        kind="autoscaler-sizes", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"autoscaler {hpa.name} sizes it between {hpa.min_replicas} and "
                f"{hpa.max_replicas} replicas ({hpa.desired_replicas} desired now)",
        evidence=evidence,
        contradicts=(Contradiction(remedy=Remedy.SCALE_OUT, why=why, undone=True,
                                   holds=(floor + 1, hpa.max_replicas), caveat=caveat),))


def pinned_autoscaler(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """An autoscaler that holds the workload at its limit: it owns the replica count, so a
    hand scale is set back within a minute and only a higher maxReplicas adds capacity."""
    findings = []
    for hpa in w.autoscalers:
        fixed = hpa.min_replicas == hpa.max_replicas
        if not (fixed or hpa.current_replicas >= hpa.max_replicas):
            findings.append(_sizing_autoscaler(w, hpa))
            continue
        wants = " while its metrics ask for more" if hpa.limited else ""
        summary = (f"autoscaler {hpa.name} pins it at {hpa.max_replicas} replicas "
                   f"(minReplicas = maxReplicas)" if fixed
                   else f"autoscaler {hpa.name} holds it at its maximum of "
                        f"{hpa.max_replicas} replicas{wants}")
        metrics = f"; {', '.join(hpa.metrics)}" if hpa.metrics else ""
        evidence = (f"HorizontalPodAutoscaler {hpa.name}: {hpa.current_replicas} current, "
                    f"{hpa.desired_replicas} desired, min {hpa.min_replicas}, "
                    f"max {hpa.max_replicas}{metrics}",)
        why = (f"autoscaler {hpa.name} sets a hand-scaled replica count back to what it "
               f"allows (at most {hpa.max_replicas}): raise its maxReplicas instead")
        findings.append(Finding(
            kind="autoscaler-pinned", subject=Subject(namespace=w.namespace, workload=w.name),
            summary=summary, evidence=evidence,
            contradicts=(Contradiction(remedy=Remedy.SCALE_OUT, why=why, undone=True),)))
    return findings


def latency_step(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """Answers slowed down while nothing that would explain it moved: no new revision,
    traffic and CPU flat. The cause is outside what the evidence shows (a dependency, a
    lock, a cache gone cold), so no remedy is indicated yet; each is argued against only
    softly, since the asker may know more than the series do."""
    steps = [(s, found) for s in of_signal(w.series, Signal.LATENCY)
             if (found := step_up(s, LATENCY_STEP)) is not None]
    current = _current(w)
    deployed = _deployed(current) if current else None
    if not steps or (deployed is not None and now - deployed < RECENT_ROLLOUT):
        return []
    if any((sh := shape(s)) is not None and sh.last.value >= HOT_CPU
           for s in of_signal(w.series, Signal.CPU) if s.unit in ("ratio", "")):
        return []
    if any(step_up(s, TRAFFIC_RISE) is not None for s in of_signal(w.series,
                                                                   Signal.REQUEST_RATE)):
        return []
    latency, found = steps[0]
    evidence = [f"{render_series(latency)} stepped from {render_value(found.before, latency.unit)}"
                f" to {render_value(found.after, latency.unit)} at {_at(found.at)}"]
    flat_signals = [signal.value for signal in (Signal.REQUEST_RATE, Signal.CPU)
                    if (seen := of_signal(w.series, signal)) and all(flat(s) for s in seen)]
    if flat_signals:
        evidence.append(f"{' and '.join(flat_signals)} flat")
    if current is not None:
        evidence.append(_revision_line(current, now))
    what = (f"{w.namespace}/{w.name} slowed down at {_at(found.at)} with "
            f"{' and '.join(flat_signals) or 'nothing else'} unchanged"
            + (f" and no rollout since revision {current.revision}" if current else ""))
    return [Finding(
        kind="latency-step", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"latency stepped up at {_at(found.at)} with no change here to explain it",
        evidence=tuple(evidence),
        contradicts=(
            Contradiction(remedy=Remedy.RESTART, firm=False,
                          why=f"restart not indicated: {what}; nothing shows a stuck or "
                              "leaking process, so look at what it calls first"),
            Contradiction(remedy=Remedy.ROLLBACK, firm=False,
                          why=f"rollback not indicated: {what}"),
            Contradiction(remedy=Remedy.SCALE_OUT, firm=False,
                          why=f"more replicas not indicated: {what}; no replica is short "
                              "of CPU"),
        ))]


def _loud(w: WorkloadEvidence) -> list[str]:
    """Firing alerts about the workload that ask for attention (not informational ones)."""
    return [a.name for a in w.alerts if a.severity.lower() not in QUIET_SEVERITIES]


def clean_rollout(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """A recent rollout with nothing wrong after it: it is not why anything is broken."""
    current = _current(w)
    deployed = _deployed(current) if current else None
    if current is None or deployed is None or now - deployed > RECENT_ROLLOUT:
        return []
    if any(p.reason in CRASH_REASONS | PULL_REASONS or not p.ready for p in w.pods):
        return []
    errors = of_signal(w.series, Signal.ERROR_RATIO)
    if not errors or not all(flat(s) for s in errors):
        return []
    evidence = [_revision_line(current, now),
                f"{render_series(errors[0])} flat at "
                f"{render_value(float(errors[0].points[-1][1]), errors[0].unit)} "
                f"before and after it"]
    if w.pods:
        evidence.append(f"{sum(p.ready for p in w.pods)}/{len(w.pods)} pods of it ready")
    return [Finding(
        kind="clean-rollout", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"revision {current.revision} rolled out {_age(deployed, now)} ago with no "
                "change in errors or pod health",
        evidence=tuple(evidence),
        contradicts=(Contradiction(
            remedy=Remedy.ROLLBACK, outranks=False,
            why=f"rollback not indicated: nothing got worse when revision {current.revision} "
                "rolled out"),))]


def _held_near_limit(w: WorkloadEvidence) -> str | None:
    """Memory parked high but not growing: a sized heap or cache, not a leak."""
    limit_mib = w.description.memory_limit_mib if w.description else None
    if not limit_mib:
        return None
    for s in of_signal(w.series, Signal.MEMORY):
        sh = shape(s)
        if (sh is not None and not sh.climbing and not sh.drops and flat(s, STEADY)
                and sh.last.value >= NEAR_LIMIT * limit_mib * 2**20):
            return (f"{render_series(s)} has held at {render_value(sh.last.value, s.unit)} "
                    f"of a {limit_mib:.0f} MiB limit with no growth")
    return None


def _onset(w: WorkloadEvidence) -> tuple[AlertRow, datetime] | None:
    """The alert about the workload that has fired longest, and since when."""
    dated = [(a, datetime.fromisoformat(a.since)) for a in w.alerts if a.since]
    return min(dated, key=lambda pair: pair[1]) if dated else None


def _steady_errors_against_rollback(
        w: WorkloadEvidence, current: RevisionRow, deployed: datetime,
        errors: Sequence[Series], level: str, now: datetime) -> tuple[list[str], Contradiction]:
    """What a flat error ratio says about rolling back a revision older than a day. Flat
    over a window that starts after the deploy says nothing about the deploy (errors may
    have stepped up with it and held since) unless the alerts about it began long after
    the deploy: then the trouble did not start with it."""
    since = min(points(s)[0].at for s in errors)
    series = render_series(errors[0])
    if since <= deployed:
        return ([f"{series} has held at {level} since before revision {current.revision} "
                 "rolled out"],
                Contradiction(
                    remedy=Remedy.ROLLBACK,
                    why=f"rollback not indicated: the error ratio has held at {level} since "
                        f"before revision {current.revision} rolled out "
                        f"{_age(deployed, now)} ago; nothing changed here that a rollback "
                        "would undo"))
    gap = (f"the metric window starts at {since:%Y-%m-%d %H:%M}, after revision "
           f"{current.revision} rolled out ({deployed:%Y-%m-%d %H:%M}), so it does not "
           "reach back to the deploy")
    seen = [f"{series} has held at {level} since {_at(since)}; {gap}"]
    onset = _onset(w)
    if onset is not None and onset[1] - deployed >= RECENT_ROLLOUT:
        alert, began = onset
        seen.append(f"{alert.name} firing since {began:%Y-%m-%d %H:%M}, "
                    f"{_age(deployed, began)} after revision {current.revision} rolled out")
        return seen, Contradiction(
            remedy=Remedy.ROLLBACK,
            why=f"rollback not indicated: {alert.name} began firing "
                f"{_age(deployed, began)} after revision {current.revision} rolled out, "
                f"so the trouble did not start with it; the error ratio has held at {level} "
                f"since {_at(since)}")
    return seen, Contradiction(
        remedy=Remedy.ROLLBACK, firm=False,
        why=f"rollback not indicated by what I can see: the error ratio has held at {level} "
            f"since {_at(since)}, but {gap}: compare with the error ratio before revision "
            f"{current.revision} before ruling it out")


def steady_state(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """A signal that is high but has not moved, on a revision that is not new: nothing
    started here, so a remedy that undoes a change or resets a process has nothing to act
    on. The alert it trips is about a level, not an onset."""
    if any(p.reason in CRASH_REASONS | PULL_REASONS or not p.ready
           or OOM in (p.reason, p.last_termination_reason) for p in w.pods):
        return []
    evidence: list[str] = []
    contradicts: list[Contradiction] = []
    held = _held_near_limit(w)
    if held:
        evidence.append(held)
        contradicts.append(Contradiction(
            remedy=Remedy.RESTART,
            why=f"restart not indicated: {held} and no container OOMKilled; a restart "
                "would bring it back to the same level"))
    current = _current(w)
    deployed = _deployed(current) if current else None
    errors = of_signal(w.series, Signal.ERROR_RATIO)
    if (current is not None and deployed is not None and now - deployed >= RECENT_ROLLOUT
            and errors and all(flat(s) for s in errors)
            and float(errors[0].points[-1][1]) >= HEALTHY_ERRORS):
        level = render_value(float(errors[0].points[-1][1]), errors[0].unit)
        seen, against = _steady_errors_against_rollback(w, current, deployed, errors,
                                                        level, now)
        evidence.extend([_revision_line(current, now), *seen])
        contradicts.append(against)
    if not contradicts:
        return []
    summary = ("high but steady: nothing started or changed here"
               if all(c.firm for c in contradicts)
               else "high but steady over the window I can see")
    return [Finding(kind="steady-state", subject=Subject(namespace=w.namespace, workload=w.name),
                    summary=summary,
                    evidence=tuple(evidence), contradicts=tuple(contradicts))]


def _errors_risen_since(w: WorkloadEvidence, since: datetime | None) -> bool:
    """An error ratio above healthy that has risen since ``since`` (the first point when
    unknown): errors draining after a rollback fall from that moment instead."""
    for s in of_signal(w.series, Signal.ERROR_RATIO):
        pts = points(s)
        if not pts:
            continue
        before = [p for p in pts if since is None or p.at <= since] or pts[:1]
        last = pts[-1].value
        if last >= HEALTHY_ERRORS and last >= ERROR_RISE * before[-1].value:
            return True
    return False


def _took_over(w: WorkloadEvidence, current: RevisionRow) -> datetime | None:
    """When the running revision last took over: its first rollout, or later, when every
    pod of it is younger than that (a rollback re-uses an old revision's template, and its
    history keeps the date that template first rolled out)."""
    deployed = _deployed(current)
    created = [datetime.fromisoformat(p.created_at) for p in w.pods
               if p.created_at and p.revision in (None, current.revision)]
    if not created or len(created) < len(w.pods):
        return deployed
    first = min(created)
    return first if deployed is None or first > deployed else deployed


def sound_revision(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """The revision running now is marked healthy and every pod of it is ready with nothing
    failing: rolling back would leave a working revision for an older one. This is the
    state right after a rollback, while errors drain and alerts about replaced pods
    resolve. A bad rollout's own finding, when there is one, still decides; errors that
    rose since the revision rolled out, short of that finding's step, leave it unjudged:
    ready pods serving errors is what most bad deploys look like. The objection is firm: a
    rollback asked about ("roll it back?") is answered with this evidence, and only the
    asker's order puts one on a card."""
    current = _current(w)
    if current is None or not current.healthy or not w.pods:
        return []
    took_over = _took_over(w, current)
    if _errors_risen_since(w, took_over):
        return []
    failing = [p for p in w.pods if not p.ready or p.reason in CRASH_REASONS | PULL_REASONS
               or OOM in (p.reason, p.last_termination_reason)
               or p.revision not in (None, current.revision)]
    if failing:
        return []
    return [Finding(
        kind="sound-revision", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"revision {current.revision} runs with every pod ready",
        evidence=(_revision_line(current, now),
                  *([f"every pod of it started at {_at(took_over)} or later: it took over "
                     "again then (a rollback or restart)"]
                    if took_over is not None and took_over != _deployed(current) else []),
                  f"{len(w.pods)}/{len(w.pods)} pods of it ready, none failing"),
        contradicts=(Contradiction(
            remedy=Remedy.ROLLBACK, firm=True, outranks=False,
            why=f"rollback not indicated: revision {current.revision} is healthy and all "
                f"{len(w.pods)} of its pods are ready"),))]


def healthy(w: WorkloadEvidence, now: datetime,
            expected: Sequence[AlertRow] = ()) -> list[Finding]:
    """Nothing wrong: pods ready, series in range, and no alert asking for attention but
    the ``expected`` ones (explained as noise by an alert finding)."""
    waved = {a.name for a in expected}
    if [n for n in _loud(w) if n not in waved] or not (w.pods or w.series):
        return []
    evidence: list[str] = []
    if w.pods:
        ready = sum(p.ready for p in w.pods)
        bad = [p for p in w.pods if not p.ready or p.reason in CRASH_REASONS | PULL_REASONS
               or OOM in (p.reason, p.last_termination_reason)]
        if bad:
            return []
        restarts = sum(p.restarts for p in w.pods)
        evidence.append(f"{ready}/{len(w.pods)} pods ready, {restarts} restarts")
    limit_mib = w.description.memory_limit_mib if w.description else None
    for s in w.series:
        last = float(s.points[-1][1]) if s.points else None
        if last is None:
            continue
        signal = signal_of(s.name, s.unit)
        if signal is Signal.CPU and s.unit in ("ratio", ""):
            if last >= BUSY_CPU:
                return []
            evidence.append(f"CPU {render_value(last, 'ratio')}")
        elif signal is Signal.ERROR_RATIO:
            if last >= HEALTHY_ERRORS:
                return []
            evidence.append(f"error ratio {render_value(last, 'ratio')}")
        elif signal is Signal.MEMORY and limit_mib:
            if last >= NEAR_LIMIT * limit_mib * 2**20:
                return []
            evidence.append(f"memory {render_value(last, s.unit)} of {limit_mib:.0f} MiB")
        elif signal is Signal.LATENCY:
            # Slow answers are trouble even with every pod ready and no errors: a p99
            # that stepped up from its own baseline is not healthy, whatever the level.
            if step_up(s, LATENCY_STEP) is not None:
                return []
            evidence.append(f"latency {render_value(last, s.unit)}")
    if not evidence:
        return []
    quiet = [a.name for a in w.alerts if a.name not in waved]
    alerts = (f"only informational alerts ({', '.join(quiet)})" if quiet
              else "no alert firing about its current pods" if w.stale_alerts
              else "no alert firing about it")
    if waved:
        alerts += f"; {', '.join(sorted(waved))} expected (change window or known noise)"
    evidence.append(alerts)
    evidence.extend(f"{a.name} still firing about pod {a.labels['pod']}, which no longer "
                    "exists (it resolves once its rule catches up)" for a in w.stale_alerts)
    why = f"{w.namespace}/{w.name} looks healthy: {', '.join(evidence)}"
    return [Finding(kind="healthy", subject=Subject(namespace=w.namespace, workload=w.name),
                    summary="healthy", evidence=tuple(evidence),
                    contradicts=tuple(Contradiction(remedy=r, why=why, firm=False)
                                      for r in Remedy))]


WORKLOAD_ANALYZERS: tuple[Callable[[WorkloadEvidence, datetime], list[Finding]], ...] = (
    bad_rollout, crash_loop, clean_rollout, memory_exhaustion, saturation, pinned_autoscaler,
    steady_state, latency_step, sound_revision, healthy,
)
