"""Output models of the events and HorizontalPodAutoscaler reads: what both backends
construct and what the planner's trouble signs and chat renderers read."""

from __future__ import annotations

from tools.outputs import Output


class EventRow(Output):
    type: str  # Normal | Warning
    reason: str  # FailedScheduling, BackOff, Unhealthy, ...
    message: str
    count: int
    object_kind: str  # the involved object: Pod, StatefulSet, Node, ...
    object_name: str
    last_seen: str | None


class EventList(Output):
    namespace: str
    events: list[EventRow]  # oldest first


class HpaRow(Output):
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: list[str]  # "cpu 92% (target 70%)"
    limited: bool  # desired replicas capped by max_replicas (ScalingLimited)


class HpaList(Output):
    namespace: str
    hpas: list[HpaRow]
