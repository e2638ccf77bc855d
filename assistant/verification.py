"""Did the action help? Compare the target's health before and after, from live state."""

from __future__ import annotations

from assistant.models import HealthSnapshot, Inventory, Verification, Watch, labels_name_workload


def alert_concerns(labels: dict[str, str], name: str, watch: Watch) -> bool:
    if watch.alertname is not None:
        return name == watch.alertname and all(
            labels.get(k) == v for k, v in watch.matchers.items()
        )
    dep = watch.deployment
    if dep is None or labels.get("namespace") != watch.namespace:
        return False
    return labels_name_workload(labels, dep, dep)


def snapshot(inventory: Inventory, watch: Watch) -> HealthSnapshot:
    firing = tuple(
        sorted(
            a.name
            for a in inventory.alerts
            if a.state == "firing" and alert_concerns(a.labels, a.name, watch)
        )
    )
    dep = inventory.deployment(watch.namespace or "", watch.deployment or "", watch.kind)
    if dep is None:
        return HealthSnapshot(firing_alerts=firing)
    return HealthSnapshot(ready=dep.ready_replicas, desired=dep.replicas, firing_alerts=firing)


def _ready_fraction(s: HealthSnapshot) -> float | None:
    if s.desired is None or s.ready is None:
        return None
    return 1.0 if s.desired == 0 else s.ready / s.desired


def judge(before: HealthSnapshot, after: HealthSnapshot) -> Verification:
    better: list[str] = []
    worse: list[str] = []
    if len(after.firing_alerts) < len(before.firing_alerts):
        better.append("fewer alerts firing")
    elif len(after.firing_alerts) > len(before.firing_alerts):
        worse.append("more alerts firing")
    rb, ra = _ready_fraction(before), _ready_fraction(after)
    if rb is not None and ra is not None:
        if ra > rb:
            better.append("more pods ready")
        elif ra < rb:
            worse.append("fewer pods ready")
    detail = f"before: {before.render()}; after: {after.render()}"
    if worse:
        return Verification(verdict="worse", detail=f"{', '.join(worse)} — {detail}")
    if better:
        return Verification(verdict="improved", detail=f"{', '.join(better)} — {detail}")
    return Verification(verdict="unchanged", detail=detail)
