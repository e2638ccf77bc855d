"""Args and hooks of the events and HorizontalPodAutoscaler reads.

Kept apart from the catalog's workload tools so that what a namespace's events and
autoscalers say (FailedScheduling, BackOff, an HPA pinned at its maximum) is defined once
and read the same way by every backend and by the planner's trouble signs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tools.workload_outputs import EventList, HpaList

# Events live as long as the API server keeps them (an hour by default); this many newest
# are enough to see a pattern without flooding a thread.
EVENTS_LISTED = 50
# Warning reasons that by themselves say a workload is in trouble.
TROUBLE_REASONS = frozenset({
    "FailedScheduling", "BackOff", "Unhealthy", "FailedMount", "FailedAttachVolume",
    "FailedCreate", "FailedCreatePodSandBox", "Evicted", "OOMKilling", "ProbeWarning",
    "FailedKillPod", "NodeNotReady",
})

K8sKind = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Z][A-Za-z0-9]*$")]
_Name = Annotated[
    str,
    Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
]


class ListEventsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: _Name = Field(description="Kubernetes namespace")
    kind: K8sKind | None = Field(
        None, description="Only events about objects of this kind (Pod, StatefulSet, Node)")
    name: _Name | None = Field(None, description="Only events about the object of this name")
    reason: str | None = Field(None, min_length=1, max_length=128,
                               pattern=r"^[A-Za-z][A-Za-z0-9]*$",
                               description="Only events with this reason (FailedScheduling)")
    warnings_only: bool = Field(False, description="Only Warning events")


class ListHpasArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: _Name = Field(description="Kubernetes namespace")
    name: _Name | None = Field(None, description="Only this HorizontalPodAutoscaler")


def event_selected(args: ListEventsArgs, kind: str, name: str, reason: str,
                   event_type: str) -> bool:
    """The filters as `kubectl get events --field-selector` applies them."""
    return ((args.kind is None or kind == args.kind)
            and (args.name is None or name == args.name)
            and (args.reason is None or reason == args.reason)
            and (not args.warnings_only or event_type == "Warning"))


def troubling_events(output: EventList) -> list[str]:
    seen: dict[str, int] = {}
    for e in output.events:
        if e.type == "Warning" and e.reason in TROUBLE_REASONS:
            seen[e.reason] = seen.get(e.reason, 0) + e.count
    return [f"warning events: {', '.join(f'{r} x{n}' for r, n in sorted(seen.items()))}"] \
        if seen else []


def limited_hpas(output: HpaList) -> list[str]:
    return [f"autoscaler {h.name} is at its maximum of {h.max_replicas} replicas "
            f"and wants {h.desired_replicas}" for h in output.hpas if h.limited]
