"""A sandbox world's monitoring data in the forms real Prometheus and Alertmanager load.

Pure: the caller starts the services (assistant.evaluation.local_monitoring) and loads
what these functions render. Metric and budget samples keep the scenario's own times,
since the eval backend queries Prometheus at the scenario's clock; Alertmanager only
knows the wall clock, so alerts and silences are moved to it where they must be.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from assistant.evaluation.local_monitoring import Labels, Points, openmetrics
from tools.prometheus.budget import fill
from tools.real.settings import DEFAULT_ERROR_BUDGET_QUERY, DEFAULT_SLO_TARGET_QUERY
from tools.sandbox import SandboxBackend
from tools.sandbox.selector import parse_selector
from tools.sandbox.simulation import alert_state
from tools.sandbox.world import World

# Long enough that posted alerts outlive any eval run; Alertmanager resolves them at endsAt.
ALERT_LIFETIME = timedelta(hours=6)


def _world(backend: SandboxBackend) -> World:
    """A copy, read through the backend's public state, so nothing here can change it."""
    return World.model_validate(backend.state())


def _require_aware(wall_now: datetime) -> None:
    if wall_now.tzinfo is None:
        raise ValueError(f"wall_now must carry a time zone, got {wall_now.isoformat()}")


def _series_of(template: str, service: str) -> tuple[str, dict[str, str]]:
    """The metric name and labels the real backend's default SLO query reads."""
    selector = parse_selector(fill(template, service))
    if selector.metric is None:
        raise ValueError(f"the SLO query {template!r} must name its metric")
    return selector.metric, {m.label: m.value for m in selector.matchers}


def scenario_openmetrics(backend: SandboxBackend) -> str:
    """Every series of the world with the points a metric query serves, up to the world's
    now, plus each service's error budget and SLO target as one sample at the budget's
    `as_of`, so its age (and staleness) reads as in the sandbox.

    A budget the sandbox does not know (`remaining: null`) has no sample: Prometheus
    cannot say "unknown", and the real backend reads a missing sample as no data. Budgets
    older than tools.prometheus.budget.LOOKBACK are out of the real backend's sight.
    """
    world = _world(backend)
    families: dict[str, list[tuple[Labels, Points]]] = {}
    for series in world.series:
        points = [(at.timestamp(), value) for at, value in series.points if at <= world.now]
        if points:
            families.setdefault(series.name, []).append((series.labels, points))
    for service in backend.inventory().services:
        budget = backend.error_budget(service)
        if budget is None:
            continue
        at = (budget.as_of or world.now).timestamp()
        samples = [(DEFAULT_SLO_TARGET_QUERY, budget.slo_target)]
        if budget.remaining is not None:
            samples.append((DEFAULT_ERROR_BUDGET_QUERY, budget.remaining))
        for template, value in samples:
            name, labels = _series_of(template, service)
            families.setdefault(name, []).append((labels, [(at, value)]))
    return openmetrics(families)


def alertmanager_alerts(backend: SandboxBackend, wall_now: datetime) -> list[dict[str, Any]]:
    """API v2 postable alerts for the world's firing and silenced alerts.

    Severity becomes a label, as Prometheus rules set it and tools.real.alerts reads it.
    startsAt is the alert's own (scenario) time; endsAt is ALERT_LIFETIME after the wall
    clock, or after startsAt when the scenario lies ahead of the wall clock, because
    Alertmanager refuses an alert that ends before it starts and resolves one whose end
    has passed. Resolved alerts are left out, and pending ones would have to be: Alertmanager
    only ever receives alerts that fire (the sandbox has no pending state; its alerts fire
    as soon as their condition holds). Silencing is Alertmanager's own doing, from the
    silences of alertmanager_silences.
    """
    _require_aware(wall_now)
    world = _world(backend)
    return [
        {
            "labels": {**alert.labels, "alertname": alert.name, "severity": alert.severity},
            "annotations": dict(alert.annotations),
            "startsAt": alert.since.isoformat(),
            "endsAt": (max(wall_now, alert.since) + ALERT_LIFETIME).isoformat(),
        }
        for alert in world.alerts
        if alert_state(world, alert) != "resolved"
    ]


def alertmanager_silences(backend: SandboxBackend, wall_now: datetime) -> list[dict[str, Any]]:
    """API v2 postable silences for those active at the world's now, moved to the wall
    clock: each starts at ``wall_now`` and runs for the time it had left in the scenario."""
    _require_aware(wall_now)
    world = _world(backend)
    return [
        {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True}
                         for k, v in sorted(silence.matchers.items())],
            "startsAt": wall_now.isoformat(),
            "endsAt": (wall_now + (silence.ends_at - world.now)).isoformat(),
            "createdBy": silence.created_by,
            "comment": silence.comment,
        }
        for silence in world.silences
        if silence.active_at(world.now)
    ]
