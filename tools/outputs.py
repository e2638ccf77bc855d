"""The output model of every built-in tool: what backends construct and what planners,
analyzers, charts and chat renderers read.

Their JSON (``ToolOutput.json_data``) is the shape the outputs always had, so eval reports,
plan state and recorded observations stay compatible. Fields only some backends fill
(Kubernetes' events, Prometheus' staleness flag) are optional and left out when unset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import Series, ToolCall

T = TypeVar("T")


class Output(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)


class FromTo(Output, Generic[T]):
    """A value before and after a change, written {"from": ..., "to": ...}."""

    before: T = Field(alias="from")
    after: T = Field(alias="to")


# --- read-only tools ---------------------------------------------------------------------


class PodRow(Output):
    name: str
    phase: str
    ready: bool
    restarts: int
    reason: str | None
    deployment: str | None
    revision: int | None
    last_termination_reason: str | None
    age: str | None
    # When the pod was created (ISO 8601): a revision's pods all younger than the revision
    # tell when it last took over, as after a rollback to an older template.
    created_at: str | None = None


def row_reason(reason: str | None, ready: bool, last_termination: str | None) -> str | None:
    """A pod row's STATUS reason: why it is not simply running now. A ready pod whose
    container came back after an old crash is Running; the crash stays in its last
    termination. An unready one is still explained by how its container last ended."""
    return reason or (None if ready else last_termination)


class PodList(Output):
    pods: list[PodRow]


class PodLogs(Output):
    pod: str
    lines: list[str]
    previous: bool
    container: str | None = None


class PodLogExcerpt(Output):
    pod: str
    container: str
    lines: list[str]  # the newest last
    truncated: bool  # older lines dropped to keep the whole read within its byte budget
    error: str | None = None  # why this pod's logs could not be read (no previous container)


class WorkloadLogs(Output):
    namespace: str
    selector: str  # the label selector the pods were listed by (a workload's own selector)
    workload: str | None  # "StatefulSet/alertmanager-main" when a workload was named
    previous: bool
    pods_matched: int
    pods: list[PodLogExcerpt]  # troubled pods first
    pods_not_read: list[str]  # matched, but beyond max_pods or the byte budget


class Condition(Output):
    type: str
    status: str
    reason: str
    message: str


class ContainerInfo(Output):
    name: str
    image: str
    limits: str
    requests: str
    memory_limit_mib: float | None


# How many of an object's most recent events a description lists, as kubectl describe.
EVENTS_SHOWN = 10


class DeploymentEvent(Output):
    type: str
    reason: str
    message: str
    count: int
    last_seen: str | None


class DeploymentDescription(Output):
    namespace: str
    name: str
    service: str
    replicas: int
    ready_replicas: int
    revision: int | None
    image: str
    change: str
    conditions: list[Condition]
    memory_limit_mib: float | None
    containers: list[ContainerInfo] | None = None
    paused: bool | None = None
    events: list[DeploymentEvent] | None = None
    kind: str | None = None  # set for a StatefulSet or DaemonSet


class RevisionRow(Output):
    revision: int
    image: str
    change: str | None
    healthy: bool
    current: bool
    deployed_at: str | None
    health: str | None = None
    replica_set: str | None = None


class RolloutHistory(Output):
    revisions: list[RevisionRow]

    def last_healthy_before_current(self) -> int | None:
        """The revision a rollback without a target goes back to."""
        current = next((r.revision for r in self.revisions if r.current), None)
        healthy = [r.revision for r in self.revisions
                   if r.healthy and (current is None or r.revision < current)]
        return max(healthy) if healthy else None


class MetricSeries(Output):
    series: list[Series]


class AlertRow(Output):
    name: str
    labels: dict[str, str]
    state: str
    since: str | None
    severity: str
    summary: str
    annotations: dict[str, str]


class AlertList(Output):
    alerts: list[AlertRow]


class ErrorBudgetReport(Output):
    service: str
    slo_target: float
    remaining: float | None
    as_of: str | None
    stale: bool | None = None


# --- mutating tools: what changed, from -> to --------------------------------------------


class RollbackChange(Output):
    revision: FromTo[int]
    image: FromTo[str]
    change: str | None
    target_healthy: bool
    pods_replaced: list[str]
    pods_created: list[str] | None = None


class RestartChange(Output):
    pods_restarted: list[str]
    revision: FromTo[int] | None = None
    image: FromTo[str] | None = None
    restarted_at: str | None = None
    pods_created: list[str] | None = None


class ScaleChange(Output):
    replicas: FromTo[int]
    pods_removed: list[str] | None = None
    pods_created: list[str] | None = None


class SilenceSpec(Output):
    matchers: dict[str, str]
    ends_at: str
    comment: str
    created_by: str | None = None


class SilencedAlert(Output):
    name: str
    labels: dict[str, str]
    before: str = Field(alias="from")
    after: str = Field(alias="to")


class SilenceChange(Output):
    silence: FromTo[SilenceSpec | None]
    alerts: list[SilencedAlert]
    silence_id: str | None = None


C = TypeVar("C", bound=Output)


class Changed(Output, Generic[C]):
    """A mutating tool's output: {"changed": {...}}."""

    changed: C

    def plus(self, created: dict[str, Any]) -> Changed[C]:
        """This change plus what committing it created (new pods, a silence id)."""
        return type(self)(changed=self.changed.model_copy(update=created))


def changed(change: C) -> Changed[C]:
    return Changed[type(change)](changed=change)  # type: ignore[misc,operator]


def toggle_inverse(opposite: str, flag: Callable[[Any], FromTo[bool]]
                   ) -> Callable[[BaseModel, Changed[Any]], ToolCall | None]:
    """The undo of a tool that flips one flag (cordon, suspend): ``opposite`` on the same
    target, when ``flag`` of the change says the flag really moved."""
    def undo(args: BaseModel, output: Changed[Any]) -> ToolCall | None:
        moved = flag(output.changed)
        return None if moved.before == moved.after else ToolCall(
            tool=opposite, args=args.model_dump())
    return undo


def unavailable(desired: int, ready: int) -> str:
    """The tail of a workload's replica line when pods are missing, as kubectl's describe
    says it: the shortfall a responder reads first, whichever other line looks louder."""
    missing = desired - ready
    return f" | {missing} unavailable" if missing > 0 else ""
