"""How things stand overall, for a question that names nothing ("what's on fire?"). Pure.

The answer lists what fires and which workloads are in trouble; it proposes nothing, since
the question picks no subject to act on. The findings about those workloads are gathered
by the engine, as for a subject's troubled neighbours.
"""

from __future__ import annotations

from assistant.models import HPA_LABEL, WORKLOAD_KIND_LABELS, AlertInfo, Inventory
from assistant.planning.entities import LinkedEntities, entities_of, in_trouble

OVERVIEW_LOOKED_AT = 4  # workloads in trouble that an overview diagnoses
ALERTS_LISTED = 10
# Labels that name what an alert is about, most telling first.
_NAMING = (*WORKLOAD_KIND_LABELS, HPA_LABEL, "pod", "persistentvolumeclaim", "job_name",
           "node", "instance", "mountpoint", "service", "job")


def overview_subjects(inventory: Inventory) -> list[LinkedEntities]:
    """The workloads in trouble that an overview looks into, as the inventory shows them."""
    return [entities_of(d) for d in in_trouble(inventory)[:OVERVIEW_LOOKED_AT]]


def _where(alert: AlertInfo) -> str:
    """The alert with its namespace and the labels that say what it is about."""
    labels = alert.labels
    naming = [k for k in _NAMING if labels.get(k)] or sorted(
        k for k in labels if k not in ("namespace", "alertname", "severity"))
    scope = [labels["namespace"]] if labels.get("namespace") else []
    scope += [f"{k}={labels[k]}" for k in naming[:2]]
    return f"{alert.name} ({', '.join(scope)})" if scope else alert.name


def overview_notes(inventory: Inventory) -> list[str]:
    """What fires and what is in trouble in the inventory, and that nothing is proposed."""
    firing = [a for a in inventory.alerts if a.state == "firing"]
    troubled = in_trouble(inventory)
    if not firing and not troubled:
        return [f"nothing is on fire in {inventory.environment}: no alert firing, every "
                "workload's pods ready"]
    notes = []
    if firing:
        more = len(firing) - ALERTS_LISTED
        notes.append(f"firing now in {inventory.environment}: "
                     + "; ".join(_where(a) for a in firing[:ALERTS_LISTED])
                     + (f"; and {more} more" if more > 0 else ""))
    if troubled:
        notes.append("in trouble: " + ", ".join(f"{d.namespace}/{d.name}" for d in troubled))
    notes.append("nothing proposed: name a workload or an alert to act on it")
    return notes
