"""The four mutating tools, each split into a plan (what would change, from -> to) and
its commit, so the dry-run preview and the real run can never disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tools.backend import ToolFailure
from tools.catalog import (
    DeploymentArgs,
    RollbackDeploymentArgs,
    ScaleDeploymentArgs,
    SilenceAlertArgs,
)
from tools.outputs import (
    FromTo,
    Output,
    RestartChange,
    RollbackChange,
    ScaleChange,
    SilenceChange,
    SilencedAlert,
    SilenceSpec,
)
from tools.sandbox.lookup import require_deployment
from tools.sandbox.simulation import alert_state, utilisation
from tools.sandbox.world import Deployment, Revision, Silence, World, new_pod, silence_id


@dataclass(frozen=True)
class Change:
    summary: str  # one line: what changes, from -> to
    details: tuple[str, ...]
    changed: Output  # the tool's change model: from/to facts
    commit: Callable[[], dict[str, Any]] = field(compare=False)  # applies; returns new facts
    # Set when the effect is in place already: a preview refuses with this (nothing to
    # approve), while a run succeeds saying so, as a retry after a lost response must.
    unchanged: str | None = None

    def render(self) -> str:
        return "\n".join((self.summary, *(f"  - {d}" for d in self.details)))


def plan_rollback(world: World, args: RollbackDeploymentArgs) -> Change:
    dep = require_deployment(world, args.namespace, args.deployment, args.kind)
    current = dep.current
    known = ", ".join(str(r.revision) for r in dep.history)
    if args.revision is None:
        earlier = [r for r in dep.history if r.revision < dep.revision and r.healthy]
        if not earlier:
            raise ToolFailure(
                f"no healthy revision before {dep.revision} in the history of {dep.key} "
                f"(revisions: {known})"
            )
        target = earlier[-1]
    else:
        found = dep.find_revision(args.revision)
        if found is None:
            raise ToolFailure(
                f"revision {args.revision} is not in the history of {dep.key} (revisions: {known})"
            )
        target = found
    if target.revision == dep.revision:
        raise ToolFailure(f"{dep.key} is already at revision {dep.revision}")
    old = [p.name for p in dep.serving_pods]
    health = "healthy" if target.healthy else "UNHEALTHY"
    details = (
        f"image {current.image} -> {target.image}",
        f"revision {target.revision} ({health} in rollout history): {target.change}",
        f"pods replaced, rolling: {', '.join(old) or 'none'}",
    )

    def commit() -> dict[str, Any]:
        dep.revision = target.revision
        return {"pods_created": _replace_pods(world, dep, target)}

    return Change(
        summary=f"rollback {dep.label}: revision {current.revision} -> {target.revision}",
        details=details,
        changed=RollbackChange(
            revision=FromTo(before=current.revision, after=target.revision),
            image=FromTo(before=current.image, after=target.image),
            change=target.change,
            target_healthy=target.healthy,
            pods_replaced=old,
        ),
        commit=commit,
    )


def plan_restart(world: World, args: DeploymentArgs) -> Change:
    dep = require_deployment(world, args.namespace, args.deployment, args.kind)
    old = [p.name for p in dep.serving_pods]
    rev = dep.current

    def commit() -> dict[str, Any]:
        return {"pods_created": _replace_pods(world, dep, rev)}

    return Change(
        summary=f"rolling restart of {dep.label}: {len(old)} pods restart",
        details=(
            f"pods restart: {', '.join(old) or 'none'}",
            f"revision {rev.revision} ({rev.image}) unchanged",
        ),
        changed=RestartChange(pods_restarted=old,
                              revision=FromTo(before=rev.revision, after=rev.revision)),
        commit=commit,
    )


def plan_scale(world: World, args: ScaleDeploymentArgs) -> Change:
    dep = require_deployment(world, args.namespace, args.deployment, args.kind)
    before, after = dep.replicas, args.replicas
    removed = _pods_to_remove(dep, before - after)
    details: list[str] = []
    if after > before:
        details.append(f"adds {after - before} pods, ready after ~{dep.startup_minutes:g} min")
    elif removed:
        details.append(f"removes pods: {', '.join(removed)}")
    else:
        details.append("no change")
    if dep.traffic is not None:
        details.append(
            f"CPU per replica at {dep.traffic.requests_per_second:g} req/s: "
            f"{_load(dep, before)} -> {_load(dep, after)}"
        )

    def commit() -> dict[str, Any]:
        dep.replicas = after
        dep.pods = [p for p in dep.pods if p.name not in removed]
        created = _add_pods(world, dep, dep.current, max(0, after - before),
                            ready=dep.startup_minutes <= 0)
        return {"pods_created": created}

    return Change(
        summary=f"scale {dep.label}: replicas {before} -> {after}",
        details=tuple(details),
        changed=ScaleChange(replicas=FromTo(before=before, after=after), pods_removed=removed),
        commit=commit,
    )


def plan_silence(world: World, args: SilenceAlertArgs, author: str = "the approver") -> Change:
    """``author`` is the silence's createdBy; a dry run comes before anyone approved, so its
    summary names the author only as the approver."""
    if args.matchers.get("alertname", args.alertname) != args.alertname:
        raise ToolFailure(
            f"matchers name alertname={args.matchers['alertname']!r} but alertname is "
            f"{args.alertname!r}"
        )
    silence = Silence(
        id=silence_id(world.scenario, len(world.silences) + 1),
        matchers={**args.matchers, "alertname": args.alertname},
        starts_at=world.now,
        ends_at=world.now + timedelta(minutes=args.duration_minutes),
        created_by=author,
        comment=args.comment,
    )
    hits = [a for a in world.alerts if silence.matches(a)]
    rendered = ", ".join(f"{k}={v}" for k, v in sorted(silence.matchers.items()))
    states = [alert_state(world, a) for a in hits]
    details = [
        f"{a.name}{{{', '.join(f'{k}={v}' for k, v in sorted(a.labels.items()))}}} "
        f"({state} -> {'silenced' if a.active else state})"
        for a, state in zip(hits, states, strict=True)
    ] or ["matches no current alert"]

    def commit() -> dict[str, Any]:
        world.silences.append(silence)
        return {"silence_id": silence.id}

    return Change(
        summary=(
            f"silence {rendered} for {args.duration_minutes} min, "
            f"until {silence.ends_at.strftime('%Y-%m-%dT%H:%M:%SZ')}, by {author}"
        ),
        details=tuple(details),
        changed=SilenceChange(
            silence=FromTo(before=None, after=SilenceSpec(
                matchers=silence.matchers,
                ends_at=silence.ends_at.isoformat(),
                comment=silence.comment,
            )),
            alerts=[
                SilencedAlert(name=a.name, labels=a.labels, before=state,
                              after="silenced" if a.active else state)
                for a, state in zip(hits, states, strict=True)
            ],
        ),
        commit=commit,
    )


def _replace_pods(world: World, dep: Deployment, rev: Revision) -> list[str]:
    """A rolling replacement: the old pods keep serving until the new ones have started.
    A StatefulSet's pod is deleted before its successor takes its name and volume."""
    instant = dep.startup_minutes <= 0
    if dep.kind == "StatefulSet" or instant:
        dep.pods = []
    for pod in dep.pods:
        pod.superseded = True
    return _add_pods(world, dep, rev, dep.replicas, ready=instant)


def _add_pods(world: World, dep: Deployment, rev: Revision, count: int, *,
              ready: bool) -> list[str]:
    """One at a time, so each new pod's name sees its siblings (StatefulSet ordinals)."""
    created = []
    for _ in range(count):
        pod = new_pod(world, dep, rev, world.now, ready=ready)
        dep.pods.append(pod)
        created.append(pod.name)
    return created


def _pods_to_remove(dep: Deployment, count: int) -> list[str]:
    """Like a ReplicaSet scaling down: unready pods first, then the youngest; a
    StatefulSet removes its highest ordinals."""
    if count <= 0:
        return []
    if dep.kind == "StatefulSet":
        by_ordinal = sorted(dep.serving_pods, key=lambda p: int(p.name.rsplit("-", 1)[1]))
        return [p.name for p in by_ordinal[-count:]]
    ranked = sorted(dep.serving_pods, key=lambda p: (p.ready, -p.created_at.timestamp()))
    return [p.name for p in ranked[:count]]


def _load(dep: Deployment, replicas: int) -> str:
    util = utilisation(dep, replicas)
    return "saturated (no replicas)" if util == float("inf") else f"{min(util, 1.0):.0%}"
