"""The sandbox's events and HorizontalPodAutoscalers, read as `kubectl get events` and
`kubectl get hpa` would show them."""

from __future__ import annotations

from assistant.models import ToolOutput
from tools.backend import ToolFailure
from tools.sandbox import render
from tools.sandbox.lookup import require_namespace
from tools.sandbox.world import Hpa, World
from tools.workload_outputs import EventList, EventRow, HpaList, HpaRow
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
    if not rows:
        return ToolOutput(text=f"no events match in {args.namespace}",
                          data=EventList(namespace=args.namespace, events=[]))
    text = render.table(
        ("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"),
        [(render.age(world.now - e.last_seen), e.type, e.reason,
          f"{e.kind.lower()}/{e.name}", e.count, e.message) for e in found])
    return ToolOutput(text=text, data=EventList(namespace=args.namespace, events=rows))


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
    rows = [hpa_row(world, h) for h in hpas]
    if not rows:
        return ToolOutput(text=f"no HorizontalPodAutoscalers in {args.namespace}",
                          data=HpaList(namespace=args.namespace, hpas=[]))
    text = render.table(
        ("NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "DESIRED"),
        [(r.name, f"{r.target_kind}/{r.target_name}", ", ".join(r.metrics) or "<unknown>",
          r.min_replicas, r.max_replicas, r.current_replicas,
          f"{r.desired_replicas}{' (limited by max)' if r.limited else ''}") for r in rows])
    return ToolOutput(text=text, data=HpaList(namespace=args.namespace, hpas=rows))
