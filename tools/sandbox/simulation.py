"""How the simulated environment evolves while the clock moves.

Deterministic: the same world advanced by the same minutes always ends in the same state.
The clock moves only through `advance`; each whole metric step runs one `tick`, which
moves pods through their lifecycle (startup, crash loop, memory growth and OOM kills),
burns error budgets, samples every series and re-evaluates alert conditions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from tools.sandbox.scenario import SMOOTHED_SIGNALS
from tools.sandbox.selector import Selector
from tools.sandbox.world import (
    Alert,
    Deployment,
    Pod,
    Series,
    World,
    crash_backoff,
    stamp,
)

_MIB = 1024 * 1024
# M/M/1-style queueing: latency grows as 1 / (1 - utilisation); capped so it stays finite.
_MAX_UTILISATION_FOR_LATENCY = 0.97
# Keep one day of samples, the longest range query_metrics accepts.
_RETENTION = timedelta(minutes=1440)


def advance(world: World, minutes: float) -> None:
    if minutes < 0:
        raise ValueError("the sandbox clock only moves forward")
    target = world.now + timedelta(minutes=minutes)
    while world.last_tick + world.step <= target:
        world.last_tick += world.step
        world.now = world.last_tick
        tick(world, world.last_tick)
    world.now = target


def tick(world: World, at: datetime) -> None:
    minutes = world.step_minutes
    for dep in world.deployments:
        _lifecycle(dep, at)
        _memory(dep, at, minutes)
    _burn_budgets(world, minutes)
    for series in world.series:
        _sample(world, series, at)
    for alert in world.alerts:
        _evaluate(world, alert, at)


def _lifecycle(dep: Deployment, at: datetime) -> None:
    startup = timedelta(minutes=dep.startup_minutes)
    for pod in dep.pods:
        rev = dep.find_revision(pod.revision) or dep.current
        if pod.phase == "Pending" and at >= pod.created_at + startup:
            _start_container(pod, rev.logs, at)
            if rev.crash is not None:
                pod.crash_at = at + timedelta(minutes=rev.crash.uptime_minutes)
        if rev.crash is None:
            continue
        if pod.crash_at is not None and at >= pod.crash_at:
            pod.restarts += 1
            pod.last_restart_at = at
            pod.last_termination_reason = rev.crash.reason
            pod.previous_logs = pod.logs + stamp(rev.crash.logs, at)
            # While waiting, `kubectl logs` shows the container that just died.
            pod.logs = list(pod.previous_logs)
            pod.ready = False
            pod.reason = "CrashLoopBackOff"
            pod.crash_at = None
            pod.backoff_until = at + crash_backoff(pod.restarts)
        elif pod.backoff_until is not None and at >= pod.backoff_until:
            _start_container(pod, rev.logs, at)
            pod.backoff_until = None
            pod.crash_at = at + timedelta(minutes=rev.crash.uptime_minutes)
    fresh = dep.serving_pods
    if any(p.superseded for p in dep.pods) and all(at >= p.created_at + startup for p in fresh):
        dep.pods = fresh


def _start_container(pod: Pod, lines: Iterable[str], at: datetime) -> None:
    pod.phase = "Running"
    pod.ready = True
    pod.reason = None
    pod.container_started_at = at
    pod.logs = stamp(tuple(lines), at)


def _memory(dep: Deployment, at: datetime, minutes: float) -> None:
    if dep.memory is None:
        return
    for pod in dep.pods:
        if pod.phase != "Running" or pod.memory_mib is None:
            continue
        pod.memory_mib += dep.memory.leak_mib_per_minute * minutes
        if pod.memory_mib >= dep.memory.limit_mib:
            rev = dep.find_revision(pod.revision) or dep.current
            pod.restarts += 1
            pod.last_restart_at = at
            pod.last_termination_reason = "OOMKilled"
            pod.previous_logs = pod.logs
            pod.memory_mib = dep.memory.baseline_mib
            _start_container(pod, rev.logs, at)


def utilisation(dep: Deployment, ready: int | None = None) -> float:
    """Offered load over serving capacity; infinite when nothing is ready to serve."""
    if dep.traffic is None:
        return 0.0
    ready = sum(p.ready for p in dep.pods) if ready is None else ready
    if ready == 0:
        return math.inf if dep.traffic.requests_per_second > 0 else 0.0
    return dep.traffic.requests_per_second / (ready * dep.traffic.capacity_rps_per_replica)


def error_ratio(dep: Deployment) -> float:
    """Failing share of requests right now: the serving revisions' own failure rate, plus
    whatever the ready pods cannot absorb."""
    ready = [p for p in dep.pods if p.ready]
    if not ready:
        return 1.0 if dep.replicas > 0 or dep.traffic is not None else 0.0
    own = sum((dep.find_revision(p.revision) or dep.current).error_ratio for p in ready)
    own /= len(ready)
    util = utilisation(dep, len(ready))
    overload = max(0.0, 1.0 - 1.0 / util) if util > 1 else 0.0
    return own + (1 - own) * overload


def signal(dep: Deployment, name: str) -> float | None:
    """The instantaneous value of ``name``; None when there is nothing to measure."""
    if name == "error_ratio":
        return error_ratio(dep)
    if name == "restarts":
        return float(sum(p.restarts for p in dep.pods))
    if name == "crashlooping_pods":
        return float(sum(p.reason == "CrashLoopBackOff" for p in dep.pods))
    if name == "available_replicas":
        return float(sum(p.ready for p in dep.pods))
    if name == "memory_working_set_bytes":
        running = [p.memory_mib for p in dep.pods if p.phase == "Running" and p.memory_mib]
        return max(running) * _MIB if running else None
    if dep.traffic is None:
        return None
    if name == "requests_per_second":
        return dep.traffic.requests_per_second
    util = utilisation(dep)
    if math.isinf(util):
        return None
    if name == "cpu_utilisation":
        return min(util, 1.0)
    if name == "latency_p99_seconds":
        return dep.traffic.base_latency_seconds / (1 - min(util, _MAX_UTILISATION_FOR_LATENCY))
    raise ValueError(f"unknown signal {name!r}")


def _sample(world: World, series: Series, at: datetime) -> None:
    model = series.model
    last = series.points[-1][1] if series.points else None
    value: float | None
    if model is None:
        value = last
    elif model.kind == "sawtooth":
        phase = ((at - model.cycle_start) / timedelta(minutes=model.period_minutes)) % 1.0
        value = model.start + (model.end - model.start) * phase
    else:
        dep = find_deployment(world, model.deployment)
        value = signal(dep, model.signal) if dep is not None else None
        if value is not None and last is not None and model.signal in SMOOTHED_SIGNALS:
            value = _smooth(last, value, world.step_minutes, world.smoothing_minutes)
    if value is None:
        return
    series.points.append((at, round(value, 6)))
    cutoff = at - _RETENTION
    while series.points and series.points[0][0] < cutoff:
        series.points.pop(0)


def _smooth(last: float, target: float, step: float, tau: float) -> float:
    """Rate-based metrics (5-minute windows) follow a change over minutes, not at once."""
    if tau <= 0:
        return target
    return target + (last - target) * math.exp(-step / tau)


def find_deployment(world: World, key: str) -> Deployment | None:
    return next((d for d in world.deployments if d.key == key), None)


def _burn_budgets(world: World, minutes: float) -> None:
    for service in world.services:
        if not service.live:
            continue
        service.as_of = world.now
        deps = [d for d in world.deployments if d.service == service.name]
        if service.remaining is None or not deps:
            continue
        weights = [d.traffic.requests_per_second if d.traffic else 1.0 for d in deps]
        total = sum(weights) or 1.0
        ratio = sum(w * error_ratio(d) for w, d in zip(weights, deps, strict=True)) / total
        burn_rate = ratio / (1 - service.slo_target)
        service.remaining -= burn_rate * minutes / (service.window_days * 24 * 60)


def _evaluate(world: World, alert: Alert, at: datetime) -> None:
    condition = alert.condition
    if condition is None:
        return
    values = window_values(world.series, condition.selector, at, condition.window_minutes)
    if not values:
        return
    if condition.above is not None:
        active = max(values) > condition.above
    else:
        active = min(values) < condition.below  # type: ignore[operator]
    if active and not alert.active:
        alert.since = at
    alert.active = active


def window_values(
    series: Iterable[Series], selector: Selector, at: datetime, window_minutes: float
) -> list[float]:
    """Values of every matching series in (at - window, at]; the latest one if no window."""
    values: list[float] = []
    since = at - timedelta(minutes=window_minutes)
    for s in series:
        if not s.points or not selector.matches(s.name, s.labels):
            continue
        if window_minutes <= 0:
            values.append(s.points[-1][1])
        else:
            values.extend(v for t, v in s.points if since < t <= at)
    return values


def alert_state(world: World, alert: Alert) -> str:
    if not alert.active:
        return "resolved"
    if any(s.active_at(world.now) and s.matches(alert) for s in world.silences):
        return "silenced"
    return "firing"
