"""Is anything actually wrong with what the thread is about? Pure.

A runbook's remediation step is only proposed when live state shows trouble on its
target: an alert firing about it, pods not ready, or pods failing. A healthy service gets
"nothing to fix", not a rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.models import AlertInfo, Inventory, labels_name_workload
from assistant.planning.entities import LinkedEntities
from tools.catalog import CATALOG

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
