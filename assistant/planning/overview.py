"""How things stand overall, for a question that names nothing ("what's on fire?"). Pure.

The answer lists what fires and which workloads are in trouble; it proposes nothing, since
the question picks no subject to act on. The findings about those workloads are gathered
by the engine, as for a subject's troubled neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.analysis import Finding
from assistant.analysis.workloads import QUIET_SEVERITIES
from assistant.models import (
    HPA_LABEL,
    WORKLOAD_KIND_LABELS,
    AlertInfo,
    DeploymentInfo,
    Inventory,
)
from assistant.planning.entities import LinkedEntities, entities_of, firing_about, in_trouble

# A question asking whether things are alright ("status read: are predictions and the app
# ok?"), not what to do about one of them.
_HOW_THINGS_STAND = re.compile(
    r"\b(?:status|sitrep|ok|okay|alright|all\s+right|fine|healthy|how\s+(?:are|is)\s+"
    r"(?:things|everything|it\s+looking))\b", re.I)
OVERVIEW_LOOKED_AT = 4  # workloads in trouble that an overview diagnoses
ALERTS_LISTED = 10
# Labels that name what an alert is about, most telling first.
_NAMING = (*WORKLOAD_KIND_LABELS, HPA_LABEL, "pod", "persistentvolumeclaim", "job_name",
           "node", "instance", "mountpoint", "service", "job")


def _urgency(dep: DeploymentInfo, inventory: Inventory) -> tuple[bool, bool, float]:
    """Sorts the worst first: a critical alert about it, then its pods not ready (a crash
    loop has none ready), by the share of them down."""
    critical = any(a.severity.lower() == "critical" for a in firing_about(dep, inventory))
    down = 1 - dep.ready_replicas / dep.replicas if dep.replicas else 0.0
    return (not critical, down == 0, -down)


def _troubled(inventory: Inventory, namespace: str | None) -> list[DeploymentInfo]:
    """The workloads in trouble (in ``namespace`` when set), worst first; one with every
    pod ready whose only alerts are informational is not."""
    def loud(dep: DeploymentInfo) -> bool:
        return any(a.severity.lower() not in QUIET_SEVERITIES
                   for a in firing_about(dep, inventory))

    return sorted((d for d in in_trouble(inventory) if namespace in (None, d.namespace)
                   and (d.ready_replicas < d.replicas or loud(d))),
                  key=lambda d: _urgency(d, inventory))


def overview_subjects(inventory: Inventory,
                      namespace: str | None = None) -> list[LinkedEntities]:
    """The workloads in trouble that an overview looks into, worst first: a cap on how
    many are diagnosed keeps the crash loop, not whichever came first."""
    return [entities_of(d) for d in _troubled(inventory, namespace)[:OVERVIEW_LOOKED_AT]]


def _where(alert: AlertInfo) -> str:
    """The alert with its namespace and the labels that say what it is about."""
    labels = alert.labels
    naming = [k for k in _NAMING if labels.get(k)] or sorted(
        k for k in labels if k not in ("namespace", "alertname", "severity"))
    scope = [labels["namespace"]] if labels.get("namespace") else []
    scope += [f"{k}={labels[k]}" for k in naming[:2]]
    return f"{alert.name} ({', '.join(scope)})" if scope else alert.name


def overview_notes(inventory: Inventory, findings: Sequence[Finding] = (),
                   namespace: str | None = None) -> list[str]:
    """What fires and what is in trouble in the inventory (in ``namespace`` when the
    question names one), and that nothing is proposed. A workload the ``findings`` call
    healthy (its alerts expected noise) is not listed as in trouble."""
    where = f"{namespace} ({inventory.environment})" if namespace else inventory.environment
    firing = [a for a in inventory.alerts if a.state == "firing"
              and namespace in (None, a.labels.get("namespace"))]
    healthy = {(f.subject.namespace, f.subject.workload) for f in findings
               if f.kind == "healthy"}
    troubled = [d for d in _troubled(inventory, namespace)
                if (d.namespace, d.name) not in healthy]
    if not firing and not troubled:
        return [f"nothing is on fire in {where}: no alert firing, every "
                "workload's pods ready"]
    notes = []
    if firing:
        more = len(firing) - ALERTS_LISTED
        notes.append(f"firing now in {where}: "
                     + "; ".join(_where(a) for a in firing[:ALERTS_LISTED])
                     + (f"; and {more} more" if more > 0 else ""))
    if troubled:
        notes.append("in trouble: " + ", ".join(f"{d.namespace}/{d.name}" for d in troubled))
    notes.append("nothing proposed: name a workload or an alert to act on it")
    return notes


def others_in_trouble(question: str, loose: bool, subject: LinkedEntities,
                      inventory: Inventory, findings: Sequence[Finding] = ()) -> list[str]:
    """For a question asking how things stand that names its subject only loosely ("are
    arrival predictions and the app ok?"), what else is in trouble: loose words may mean
    more than the one workload they were linked to, and a status read must not leave a
    troubled one out. Empty for a workload named outright or a question about acting."""
    if not loose or _HOW_THINGS_STAND.search(question) is None:
        return []
    healthy = {(f.subject.namespace, f.subject.workload) for f in findings
               if f.kind == "healthy"}
    others = [f"{d.namespace}/{d.name}" for d in _troubled(inventory, None)
              if (d.namespace, d.name) not in healthy
              and (d.namespace, d.name) != (subject.namespace, subject.deployment)]
    return [f"also in trouble right now: {', '.join(others)}"] if others else []
