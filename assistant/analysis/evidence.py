"""The typed observations analyzers read, grouped by the workload they are about. Pure.

Analyzers never see tool names: they see output models (pods, rollout history, a
deployment's description, metric series, alerts). Which workload a pod list or a history
belongs to is told by the caller (the catalog knows what each call targets); series and
alerts carry their own labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from assistant.models import HPA_LABEL, Inventory, Series, labels_name_workload
from tools.object_outputs import PodDescription, ResourceQuotaList, ResourceQuotaRow
from tools.outputs import (
    AlertList,
    AlertRow,
    DeploymentDescription,
    MetricSeries,
    PodList,
    PodLogExcerpt,
    PodRow,
    RolloutHistory,
    WorkloadLogs,
)
from tools.workload_outputs import EventList, EventRow, HpaList, HpaRow

WorkloadKey = tuple[str, str]  # (namespace, name)


@dataclass
class WorkloadEvidence:
    namespace: str
    name: str
    service: str | None = None
    description: DeploymentDescription | None = None
    pods: list[PodRow] = field(default_factory=list)
    history: RolloutHistory | None = None
    series: list[Series] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)  # firing alerts about it
    # Firing alerts that name one of its pods which no longer exists: they still fire
    # until their rule resolves, but say nothing about the pods it runs now.
    stale_alerts: list[AlertRow] = field(default_factory=list)
    autoscalers: list[HpaRow] = field(default_factory=list)  # the HPAs that size it
    logs: list[PodLogExcerpt] = field(default_factory=list)  # its pods' recent lines
    # Warnings about it, its pods or its ReplicaSets: why a pod waits, why none is created.
    events: list[EventRow] = field(default_factory=list)
    # The cluster's cordoned nodes, as the inventory holds them: which node a pod the
    # scheduler turns away as unschedulable may be waiting for.
    cordoned_nodes: list[str] = field(default_factory=list)

    @property
    def key(self) -> WorkloadKey:
        return (self.namespace, self.name)

    @property
    def seen(self) -> bool:
        """Anything observed beyond the inventory row."""
        return bool(self.description or self.pods or self.history or self.series or self.logs)


@dataclass
class Evidence:
    now: datetime
    workloads: dict[WorkloadKey, WorkloadEvidence]
    alerts: list[AlertRow]  # every alert observed (firing and silenced)
    series: list[Series]  # every series observed
    # every ResourceQuota read, with its namespace
    quotas: list[tuple[str, ResourceQuotaRow]] = field(default_factory=list)


def _about(labels: dict[str, str], w: WorkloadEvidence, hpas_read: set[WorkloadKey]) -> bool:
    """The labels name the workload. An HPA alert names the autoscaler: one read says, by
    its scaleTargetRef, which workload it sizes; one not read is taken by its name."""
    if labels.get("namespace") not in (None, w.namespace):
        return False
    read = (w.namespace, labels.get(HPA_LABEL, "")) in hpas_read
    return labels_name_workload(labels, w.name, w.service,
                                [h.name for h in w.autoscalers] if read else None)


def _names_gone_pod(labels: dict[str, str], w: WorkloadEvidence) -> bool:
    """The alert is about one pod, and the workload's observed pods no longer include it."""
    pod = labels.get("pod")
    return bool(pod and w.pods) and pod not in {p.name for p in w.pods}


def _about_workload(event: EventRow, w: WorkloadEvidence) -> bool:
    """The event's object is the workload, one of its observed pods, or a ReplicaSet of
    it (named after it, as its controller names them)."""
    if event.object_kind == "Pod":
        return event.object_name in {p.name for p in w.pods}
    if event.object_kind == "ReplicaSet":
        return event.object_name.startswith(f"{w.name}-")
    return event.object_name == w.name


def _pod_events(output: PodDescription) -> list[EventRow]:
    return [EventRow(type=e.type, reason=e.reason, message=e.message, count=e.count,
                     object_kind="Pod", object_name=output.name, last_seen=e.last_seen)
            for e in output.events or ()]


def collect(
    outputs: Iterable[tuple[BaseModel, WorkloadKey | None]],
    inventory: Inventory,
    now: datetime,
) -> Evidence:
    """Group outputs by workload. ``outputs`` pairs each output with the workload its call
    targeted (None for calls that target no single workload, e.g. a metric query)."""
    workloads = {
        (d.namespace, d.name): WorkloadEvidence(d.namespace, d.name, d.service)
        for d in inventory.deployments
    }

    def of(key: WorkloadKey) -> WorkloadEvidence:
        return workloads.setdefault(key, WorkloadEvidence(*key))

    alerts: dict[tuple[str, tuple[tuple[str, str], ...]], AlertRow] = {}
    series: list[Series] = []
    events: dict[str, list[EventRow]] = {}  # by namespace
    hpas_read: set[WorkloadKey] = set()
    quotas: dict[tuple[str, str], ResourceQuotaRow] = {}
    for output, target in outputs:
        if isinstance(output, DeploymentDescription):
            of((output.namespace, output.name)).description = output
        elif isinstance(output, PodList) and target is not None:
            of(target).pods = list(output.pods)
        elif isinstance(output, RolloutHistory) and target is not None:
            of(target).history = output
        elif isinstance(output, WorkloadLogs) and target is not None and not output.previous:
            of(target).logs = list(output.pods)
        elif isinstance(output, MetricSeries):
            # A series can answer several queries (by workload, service and pod labels).
            seen = {(s.name, tuple(sorted(s.labels.items()))) for s in series}
            series.extend(s for s in output.series
                          if (s.name, tuple(sorted(s.labels.items()))) not in seen)
        elif isinstance(output, HpaList):
            for hpa in output.hpas:
                hpas_read.add((output.namespace, hpa.name))
                sized = of((output.namespace, hpa.target_name))
                sized.autoscalers = [*(h for h in sized.autoscalers if h.name != hpa.name), hpa]
        elif isinstance(output, EventList):
            events.setdefault(output.namespace, []).extend(output.events)
        elif isinstance(output, PodDescription):
            events.setdefault(output.namespace, []).extend(_pod_events(output))
        elif isinstance(output, ResourceQuotaList):
            quotas.update(((output.namespace, q.name), q) for q in output.quotas)
        elif isinstance(output, AlertList):
            for a in output.alerts:
                alerts[(a.name, tuple(sorted(a.labels.items())))] = a
    cordoned = [n.name for n in inventory.nodes if n.unschedulable]
    for w in workloads.values():
        w.cordoned_nodes = cordoned
        w.series = [s for s in series if _about(s.labels, w, hpas_read)]
        firing = [a for a in alerts.values()
                  if a.state == "firing" and _about(a.labels, w, hpas_read)]
        w.alerts = [a for a in firing if not _names_gone_pod(a.labels, w)]
        w.stale_alerts = [a for a in firing if _names_gone_pod(a.labels, w)]
        seen_events = {(e.object_kind, e.object_name, e.reason, e.message): e
                       for e in events.get(w.namespace, ()) if _about_workload(e, w)}
        w.events = list(seen_events.values())
    return Evidence(now=now, workloads=workloads, alerts=list(alerts.values()), series=series,
                    quotas=[(namespace, q) for (namespace, _), q in quotas.items()])
