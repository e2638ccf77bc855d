"""A namespace's events, HorizontalPodAutoscalers and ResourceQuotas from the API, in the
shapes the sandbox gives them (tools/workload_outputs.py, tools/object_outputs.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from kubernetes import client as k8s

from assistant.models import ToolOutput
from tools.backend import ToolFailure
from tools.kubernetes.cluster import Cluster
from tools.kubernetes.required import name_of
from tools.object_outputs import ResourceQuotaList
from tools.object_render import quotas_text
from tools.quota_tools import ListResourceQuotasArgs, quota_row
from tools.sandbox.workload_text import events_output, hpas_output
from tools.workload_outputs import EventRow, HpaRow
from tools.workload_reads import EVENTS_LISTED, ListEventsArgs, ListHpasArgs

_NEVER = datetime.min.replace(tzinfo=UTC)


def _field_selector(args: ListEventsArgs) -> str:
    """The filters as the API server applies them, so a busy namespace is not all read."""
    fields = {"involvedObject.kind": args.kind, "involvedObject.name": args.name,
              "reason": args.reason, "type": "Warning" if args.warnings_only else None}
    return ",".join(f"{k}={v}" for k, v in fields.items() if v)


def _seen(event: k8s.CoreV1Event) -> datetime:
    series = event.series.last_observed_time if event.series else None
    return event.last_timestamp or series or event.event_time or event.first_timestamp \
        or _NEVER


def list_events(cluster: Cluster, args: ListEventsArgs, now: datetime) -> ToolOutput:
    found = cluster.namespace_events(args.namespace, _field_selector(args))
    if not found and cluster.namespace_missing(args.namespace):
        raise ToolFailure(f"namespace {args.namespace!r} not found")
    newest = sorted(found, key=_seen)[-EVENTS_LISTED:]
    rows = []
    for e in newest:
        seen = _seen(e)
        involved = e.involved_object or k8s.V1ObjectReference()
        count = e.count or (e.series.count if e.series else None) or 1
        rows.append(EventRow(type=e.type or "", reason=e.reason or "", message=e.message or "",
                             count=count, object_kind=involved.kind or "",
                             object_name=involved.name or "",
                             last_seen=seen.isoformat() if seen is not _NEVER else None))
    return events_output(args.namespace, rows, now)


def _metric(spec: k8s.V2MetricSpec | None, status: k8s.V2MetricStatus | None) -> str:
    """"cpu 92% (target 70%)" for resource metrics; the metric type for the others."""
    resource = spec.resource if spec else None
    if resource is None:
        return (spec.type if spec else status.type if status else None) or "?"
    current = status.resource.current if status and status.resource else None
    target = resource.target
    if target.average_utilization is not None:
        percent = f"{current.average_utilization}%" if current and \
            current.average_utilization is not None else "<unknown>"
        return f"{resource.name} {percent} (target {target.average_utilization}%)"
    now = (current.average_value or current.value) if current else None
    return f"{resource.name} {now or '<unknown>'} (target {target.average_value or target.value})"


def _row(hpa: k8s.V2HorizontalPodAutoscaler) -> HpaRow:
    spec, status = hpa.spec, hpa.status or k8s.V2HorizontalPodAutoscalerStatus(
        desired_replicas=0)
    metrics = list(spec.metrics or [])
    statuses = list(status.current_metrics or [])
    shown = [_metric(m, statuses[i] if i < len(statuses) else None)
             for i, m in enumerate(metrics)]
    limited = any(c.type == "ScalingLimited" and c.status == "True"
                  and c.reason == "TooManyReplicas" for c in status.conditions or [])
    return HpaRow(name=name_of(hpa), target_kind=spec.scale_target_ref.kind,
                  target_name=spec.scale_target_ref.name,
                  min_replicas=spec.min_replicas if spec.min_replicas is not None else 1,
                  max_replicas=spec.max_replicas,
                  current_replicas=status.current_replicas or 0,
                  desired_replicas=status.desired_replicas or 0,
                  metrics=shown, limited=limited)


def list_hpas(cluster: Cluster, args: ListHpasArgs) -> ToolOutput:
    if args.name is not None:
        found = [cluster.autoscaler(args.namespace, args.name)]
    else:
        found = cluster.autoscalers(args.namespace)
    return hpas_output(args.namespace, [_row(h) for h in found])


def list_resource_quotas(cluster: Cluster, args: ListResourceQuotasArgs) -> ToolOutput:
    """Each quota's status as ``kubectl describe quota`` prints it: the hard limits the
    quota controller enforces and what it counted as used; before the controller's first
    count, the spec's limits with nothing used."""
    if args.name is not None:
        found = [cluster.resource_quota(args.namespace, args.name)]
    else:
        found = cluster.resource_quotas(args.namespace)
        if not found and cluster.namespace_missing(args.namespace):
            raise ToolFailure(f"namespace {args.namespace!r} not found")
    rows = []
    for quota in sorted(found, key=name_of):
        status = quota.status or k8s.V1ResourceQuotaStatus()
        hard = status.hard or (quota.spec.hard if quota.spec else None) or {}
        rows.append(quota_row(name_of(quota), hard, status.used or {}))
    data = ResourceQuotaList(namespace=args.namespace, quotas=rows)
    return ToolOutput(text=quotas_text(data), data=data)
