"""Events and autoscalers as both backends print them, like `kubectl get events` and
`kubectl get hpa`, from the rows they already built."""

from __future__ import annotations

from datetime import datetime

from assistant.models import ToolOutput
from tools import render
from tools.workload_outputs import EventList, EventRow, HpaList, HpaRow


def events_output(namespace: str, rows: list[EventRow], now: datetime) -> ToolOutput:
    data = EventList(namespace=namespace, events=rows)
    if not rows:
        return ToolOutput(text=f"no events match in {namespace}", data=data)
    text = render.table(
        ("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"),
        [(render.age(now - datetime.fromisoformat(r.last_seen)) if r.last_seen else "-",
          r.type, r.reason, f"{r.object_kind.lower()}/{r.object_name}", r.count, r.message)
         for r in rows])
    return ToolOutput(text=text, data=data)


def hpas_output(namespace: str, rows: list[HpaRow]) -> ToolOutput:
    data = HpaList(namespace=namespace, hpas=rows)
    if not rows:
        return ToolOutput(text=f"no HorizontalPodAutoscalers in {namespace}", data=data)
    text = render.table(
        ("NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "DESIRED"),
        [(r.name, f"{r.target_kind}/{r.target_name}", ", ".join(r.metrics) or "<none>",
          r.min_replicas, r.max_replicas, r.current_replicas,
          f"{r.desired_replicas}{' (limited by max)' if r.limited else ''}") for r in rows])
    return ToolOutput(text=text, data=data)
