"""Is anything actually wrong with what the thread is about? Pure.

A runbook's remediation step is only proposed when live state shows trouble on its
target: an alert firing about it, pods not ready, or pods failing. A healthy service gets
"nothing to fix", not a rollback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.models import AlertInfo, Inventory, Runbook, labels_name_workload
from assistant.planning.entities import LinkedEntities
from tools.catalog import CATALOG, FAILING_REASONS

if TYPE_CHECKING:
    from assistant.planning.offline import Observation


def alert_concerns(alert: AlertInfo, entities: LinkedEntities, inventory: Inventory) -> bool:
    labels = alert.labels
    if entities.namespace and labels.get("namespace") not in (None, entities.namespace):
        return False
    if entities.deployment is None:
        return entities.alertname is not None and alert.name == entities.alertname
    dep = inventory.deployment(entities.namespace or "", entities.deployment)
    service = dep.service if dep else entities.service
    return (
        labels_name_workload(labels, entities.deployment, service)
        or (entities.alertname is not None and alert.name == entities.alertname
            and "namespace" in labels)
    )


def signs_of_trouble(
    entities: LinkedEntities, inventory: Inventory, observations: Sequence[Observation]
) -> list[str]:
    signs = [f"alert {a.name} firing" for a in inventory.alerts
             if a.state == "firing" and alert_concerns(a, entities, inventory)]
    dep = inventory.deployment(entities.namespace or "", entities.deployment or "")
    if dep is not None and dep.ready_replicas < dep.replicas:
        signs.append(f"{dep.ready_replicas}/{dep.replicas} pods ready")
    for obs in observations:
        spec = CATALOG.get(obs.call.tool)
        if obs.ok and spec is not None and spec.trouble is not None and obs.data is not None:
            signs.extend(spec.trouble(spec.read_output(obs.data)))
    return signs


def healthy_summary(entities: LinkedEntities, inventory: Inventory) -> str:
    dep = inventory.deployment(entities.namespace or "", entities.deployment or "")
    target = f"{entities.namespace}/{entities.deployment}" if dep else (
        entities.alertname or "the target")
    state = f"{dep.ready_replicas}/{dep.replicas} pods ready, " if dep else ""
    return f"no sign of trouble on {target} ({state}no alert firing about it): nothing to fix"


def _reasons_in(text: str) -> set[str]:
    # "Error" alone is every log line's and event's word, not a container state shown.
    return {r for r in FAILING_REASONS - {"Error"} if re.search(rf"\b{r}\b", text)}


def other_symptom(book: Runbook, observations: Sequence[Observation]) -> str | None:
    """What the pods show, when the runbook's title names the container states it is
    written for (ImagePullBackOff) and the reads show pods failing with others only: its
    steps' reasons then describe a symptom nobody saw, however well its remedy fits."""
    written_for = _reasons_in(book.title)
    seen = set().union(*(_reasons_in(o.text) for o in observations if o.ok))
    if not written_for or not seen or written_for & seen:
        return None
    return (f"the pods show {', '.join(sorted(seen))}, not the "
            f"{', '.join(sorted(written_for))} {book.id} is written for")
