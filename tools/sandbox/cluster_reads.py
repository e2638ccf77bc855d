"""The sandbox's events, HorizontalPodAutoscalers and ResourceQuotas, read as
`kubectl get events`, `kubectl get hpa` and `kubectl describe quota` would show them."""

from __future__ import annotations

from assistant.models import ToolOutput
from tools import render
from tools.backend import ToolFailure
from tools.object_outputs import ResourceQuotaList
from tools.object_render import quotas_text
from tools.outputs import EVENTS_SHOWN, DeploymentEvent
from tools.quota_tools import ListResourceQuotasArgs, quota_row
from tools.sandbox.lookup import require_namespace
from tools.sandbox.workload_text import events_output, hpas_output
from tools.sandbox.world import Hpa, World
from tools.workload_outputs import EventRow, HpaRow
from tools.workload_reads import EVENTS_LISTED, ListEventsArgs, ListHpasArgs, event_selected


def list_events(world: World, args: ListEventsArgs) -> ToolOutput:
    require_namespace(world, args.namespace)
    found = sorted((e for e in world.events if e.namespace == args.namespace
                    and e.last_seen <= world.now
                    and event_selected(args, e.kind, e.name, e.reason, e.type)),
                   key=lambda e: e.last_seen)[-EVENTS_LISTED:]
    rows = [EventRow(type=e.type, reason=e.reason, message=e.message, count=e.count,
                     object_kind=e.kind, object_name=e.name,
                     last_seen=e.last_seen.isoformat()) for e in found]
    return events_output(args.namespace, rows, world.now)


def object_events(world: World, namespace: str, kind: str,
                  name: str) -> list[DeploymentEvent]:
    """One object's most recent events, newest last: what its description lists."""
    found = sorted((e for e in world.events if (e.namespace, e.kind, e.name) ==
                    (namespace, kind, name) and e.last_seen <= world.now),
                   key=lambda e: e.last_seen)[-EVENTS_SHOWN:]
    return [DeploymentEvent(type=e.type, reason=e.reason, message=e.message, count=e.count,
                            last_seen=render.clock(e.last_seen)) for e in found]


def hpa_row(world: World, hpa: Hpa) -> HpaRow:
    target = next(d for d in world.deployments if d.namespace == hpa.namespace
                  and d.name == hpa.target and d.kind == hpa.target_kind)
    wanted = target.replicas if hpa.desired_replicas is None else hpa.desired_replicas
    desired = min(max(wanted, hpa.min_replicas), hpa.max_replicas)
    return HpaRow(name=hpa.name, target_kind=hpa.target_kind, target_name=hpa.target,
                  min_replicas=hpa.min_replicas, max_replicas=hpa.max_replicas,
                  current_replicas=target.replicas, desired_replicas=desired,
                  metrics=list(hpa.metrics), limited=wanted > hpa.max_replicas)


def list_hpas(world: World, args: ListHpasArgs) -> ToolOutput:
    require_namespace(world, args.namespace)
    hpas = [h for h in world.hpas if h.namespace == args.namespace
            and args.name in (None, h.name)]
    if args.name is not None and not hpas:
        known = ", ".join(sorted(h.name for h in world.hpas if h.namespace == args.namespace))
        raise ToolFailure(f"horizontalpodautoscaler {args.namespace}/{args.name} not found; "
                          f"in {args.namespace}: {known or 'none'}")
    return hpas_output(args.namespace, [hpa_row(world, h) for h in hpas])


def list_resource_quotas(world: World, args: ListResourceQuotasArgs) -> ToolOutput:
    require_namespace(world, args.namespace)
    quotas = sorted((q for q in world.resource_quotas if q.namespace == args.namespace
                     and args.name in (None, q.name)), key=lambda q: q.name)
    if args.name is not None and not quotas:
        known = ", ".join(sorted(q.name for q in world.resource_quotas
                                 if q.namespace == args.namespace))
        raise ToolFailure(f"resourcequota {args.namespace}/{args.name} not found; "
                          f"resourcequotas in {args.namespace}: {known or 'none'}")
    data = ResourceQuotaList(namespace=args.namespace,
                             quotas=[quota_row(q.name, q.hard, q.used) for q in quotas])
    return ToolOutput(text=quotas_text(data), data=data)
