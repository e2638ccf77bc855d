"""The sandbox's mutable state: everything the simulation reads and writes.

Plain pydantic models, so `World.model_dump(mode="json")` is the persisted state and
`World.model_validate` restores it. Built once from a Scenario; afterwards only the
simulation (clock) and the mutations (tools) change it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tools.sandbox.cluster_objects import (
    CronJobSpec,
    NodeSpec,
    ResourceQuotaSpec,
    StandaloneJobSpec,
    StorageClassSpec,
    VolumeClaimSpec,
)
from tools.sandbox.scenario import (
    Condition,
    DeploymentSignal,
    DeploymentSpec,
    Memory,
    Revision,
    Sawtooth,
    Scenario,
    SeriesSpec,
    Traffic,
)

STATE_FORMAT: Final = 1
# Kubernetes draws generated name suffixes from this alphabet (no vowels, no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class Mutable(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlacedPod(BaseModel):
    """A pod as its node sees it, whatever runs it."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    name: str
    phase: str
    ready: bool


class Pod(Mutable):
    name: str
    revision: int
    phase: str
    ready: bool
    restarts: int
    reason: str | None = None
    last_termination_reason: str | None = None
    last_restart_at: AwareDatetime | None = None
    created_at: AwareDatetime
    container_started_at: AwareDatetime
    memory_mib: float | None = None
    node: str | None = None
    logs: list[str] = Field(default_factory=list)
    previous_logs: list[str] = Field(default_factory=list)
    crash_at: AwareDatetime | None = None  # when the running container of a crashing revision dies
    backoff_until: AwareDatetime | None = None  # when a CrashLoopBackOff container restarts
    superseded: bool = False  # an old pod kept serving until its replacements are up


class Deployment(Mutable):
    """A workload of any kind; the name is historic (states persisted before kinds)."""

    kind: str = "Deployment"
    namespace: str
    name: str
    service: str
    container: str
    replicas: int
    revision: int
    history: list[Revision]
    pods: list[Pod]
    traffic: Traffic | None = None
    memory: Memory | None = None
    startup_minutes: float

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def label(self) -> str:
        """The key, with the kind when it is not the Deployment everyone assumes."""
        return self.key if self.kind == "Deployment" else f"{self.kind} {self.key}"

    def find_revision(self, number: int) -> Revision | None:
        return next((r for r in self.history if r.revision == number), None)

    @property
    def current(self) -> Revision:
        rev = self.find_revision(self.revision)
        if rev is None:
            raise LookupError(f"{self.key}: current revision {self.revision} not in history")
        return rev

    def template_hash(self, revision: Revision) -> str:
        return revision.pod_template_hash or name_token(f"{self.key}/{revision.revision}", 10)

    @property
    def serving_pods(self) -> list[Pod]:
        return [p for p in self.pods if not p.superseded]


class Service(Mutable):
    name: str
    slo_target: float
    window_days: int
    remaining: float | None
    as_of: AwareDatetime | None = None
    live: bool  # False: a stale snapshot that the simulation does not update


class Series(Mutable):
    name: str
    labels: dict[str, str]
    unit: str
    model: Annotated[DeploymentSignal | Sawtooth, Field(discriminator="kind")] | None = None
    points: list[tuple[AwareDatetime, float]]


class Alert(Mutable):
    name: str
    labels: dict[str, str]
    severity: str
    annotations: dict[str, str]
    since: AwareDatetime
    condition: Condition | None = None
    active: bool = True


class Silence(Mutable):
    id: str
    matchers: dict[str, str]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_by: str
    comment: str

    def active_at(self, when: datetime) -> bool:
        return self.starts_at <= when < self.ends_at

    def matches(self, alert: Alert) -> bool:
        labels = {**alert.labels, "alertname": alert.name, "severity": alert.severity}
        return all(labels.get(k) == v for k, v in self.matchers.items())


class Event(Mutable):
    namespace: str
    kind: str
    name: str
    type: str
    reason: str
    message: str
    count: int
    last_seen: AwareDatetime


class Hpa(Mutable):
    namespace: str
    name: str
    target: str
    target_kind: str
    min_replicas: int
    max_replicas: int
    desired_replicas: int | None
    metrics: list[str]


class World(Mutable):
    format: Literal[1] = STATE_FORMAT
    scenario: str
    description: str
    environment: str
    start: AwareDatetime
    now: AwareDatetime
    last_tick: AwareDatetime
    step_minutes: float
    smoothing_minutes: float
    deployments: list[Deployment]
    services: list[Service]
    series: list[Series]
    alerts: list[Alert]
    silences: list[Silence] = Field(default_factory=list)
    nodes: list[NodeSpec] = Field(default_factory=list)
    cronjobs: list[CronJobSpec] = Field(default_factory=list)
    jobs: list[StandaloneJobSpec] = Field(default_factory=list)
    volume_claims: list[VolumeClaimSpec] = Field(default_factory=list)
    storage_classes: list[StorageClassSpec] = Field(default_factory=list)
    resource_quotas: list[ResourceQuotaSpec] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    hpas: list[Hpa] = Field(default_factory=list)
    serial: int = 0  # feeds generated pod names and silence ids, so replays are identical

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.step_minutes)

    def next_token(self, purpose: str, length: int) -> str:
        self.serial += 1
        return name_token(f"{self.scenario}/{purpose}/{self.serial}", length)

    def namespaces(self) -> list[str]:
        return sorted({d.namespace for d in self.deployments}
                      | {c.namespace for c in self.cronjobs} | {j.namespace for j in self.jobs}
                      | {v.namespace for v in self.volume_claims})

    def pods_on(self, node: str) -> list[PlacedPod]:
        """Every pod the node runs: a workload's, and a Job's too (a node counts both)."""
        placed = [PlacedPod(namespace=d.namespace, name=p.name, phase=p.phase, ready=p.ready)
                  for d in self.deployments for p in d.pods if p.node == node]
        runs = [(c.namespace, j) for c in self.cronjobs for j in c.jobs]
        runs += [(j.namespace, j) for j in self.jobs]
        placed += [PlacedPod(namespace=namespace, name=p.name, phase=p.phase, ready=p.ready)
                   for namespace, job in runs for p in job.pods if p.node == node]
        return placed

    def place(self, pending: list[Pod]) -> str | None:
        """Where the scheduler puts a new pod: a Ready, schedulable node with the fewest
        pods, counting ``pending`` ones not yet in the world (then by name); None when the
        scenario has no nodes or none fits."""
        fits = [n for n in self.nodes if n.schedulable]
        if not fits:
            return None

        def load(node: NodeSpec) -> tuple[int, str]:
            placed = {p.name for p in self.pods_on(node.name)}
            placed |= {p.name for p in pending if p.node == node.name}
            return len(placed), node.name
        return min(fits, key=load).name


def name_token(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def stamp(lines: tuple[str, ...] | list[str], at: datetime) -> list[str]:
    """Prefix generated log lines the way `kubectl logs --timestamps` does."""
    ts = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [f"{ts} {line}" for line in lines]


def build_world(scenario: Scenario) -> World:
    start = scenario.clock.start
    step = timedelta(minutes=scenario.clock.step_minutes)
    world = World(
        scenario=scenario.name,
        description=scenario.description,
        environment=scenario.environment,
        start=start,
        now=start,
        last_tick=start,
        step_minutes=scenario.clock.step_minutes,
        smoothing_minutes=scenario.clock.smoothing_minutes,
        deployments=[],
        services=[
            Service(
                name=s.name,
                slo_target=s.slo_target,
                window_days=s.window_days,
                remaining=s.error_budget.remaining,
                as_of=s.error_budget.as_of or start,
                live=s.error_budget.as_of is None,
            )
            for s in scenario.services
        ],
        series=[_series(s, start, step) for s in scenario.metrics],
        alerts=[
            Alert(
                name=a.name,
                labels=dict(a.labels),
                severity=a.severity,
                annotations=dict(a.annotations),
                since=a.since,
                condition=a.condition,
            )
            for a in scenario.alerts
        ],
        nodes=list(scenario.nodes),
        cronjobs=list(scenario.cronjobs),
        jobs=list(scenario.jobs),
        volume_claims=list(scenario.volume_claims),
        storage_classes=list(scenario.storage_classes),
        resource_quotas=list(scenario.resource_quotas),
        events=[Event(**e.model_dump()) for e in scenario.events],
        hpas=[Hpa(**h.model_dump()) for h in scenario.hpas],
    )
    for spec in scenario.deployments:
        world.deployments.append(_deployment(world, spec, start))
    for i, silence in enumerate(scenario.silences, start=1):
        world.silences.append(
            Silence(id=silence_id(world.scenario, i), **silence.model_dump())
        )
    return world


def silence_id(scenario: str, n: int) -> str:
    token = hashlib.sha256(f"{scenario}/silence/{n}".encode()).hexdigest()
    return f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:32]}"


def _series(spec: SeriesSpec, start: datetime, step: timedelta) -> Series:
    """Resample the keyframes onto the step grid that ends at the start of the clock."""
    first = spec.points[0][0]
    steps_back = int((start - first) / step)
    grid = [start - step * k for k in range(steps_back, -1, -1)]
    return Series(
        name=spec.name,
        labels=dict(spec.labels),
        unit=spec.unit,
        model=spec.model,
        points=[(t, _interpolate(spec.points, t, spec.interpolation == "step")) for t in grid],
    )


def _interpolate(points: tuple[tuple[datetime, float], ...], at: datetime, step: bool) -> float:
    previous = points[0]
    for point in points:
        if point[0] >= at:
            if point[0] == at:
                return point[1]
            if step:
                return previous[1]
            share = (at - previous[0]) / (point[0] - previous[0])
            return previous[1] + (point[1] - previous[1]) * share
        previous = point
    return points[-1][1]


def _deployment(world: World, spec: DeploymentSpec, start: datetime) -> Deployment:
    dep = Deployment(
        kind=spec.kind,
        namespace=spec.namespace,
        name=spec.name,
        service=spec.service,
        container=spec.container or spec.name,
        replicas=spec.replicas,
        revision=spec.current_revision,
        history=sorted(spec.history, key=lambda r: r.revision),
        pods=[],
        traffic=spec.traffic,
        memory=spec.memory,
        startup_minutes=spec.startup_minutes,
    )
    if spec.pods is None:
        created = dep.current.deployed_at or start - timedelta(days=1)
        for _ in range(spec.replicas):  # one at a time: a StatefulSet's ordinals count up
            dep.pods.append(new_pod(world, dep, dep.current, created, ready=True))
        return dep
    for p in spec.pods:
        rev = dep.find_revision(p.revision or spec.current_revision) or dep.current
        created = p.created_at or rev.deployed_at or start - timedelta(days=1)
        container_started = p.last_restart_at or created
        pod = Pod(
            name=p.name,
            revision=rev.revision,
            phase=p.phase,
            ready=p.ready,
            restarts=p.restarts,
            reason=p.reason,
            last_termination_reason=p.last_termination_reason,
            last_restart_at=p.last_restart_at,
            created_at=created,
            container_started_at=container_started,
            memory_mib=p.memory_mib if p.memory_mib is not None else _baseline(dep),
            node=p.node,
            logs=list(p.logs),
            previous_logs=list(p.previous_logs),
        )
        if rev.crash is not None:
            # Kubernetes' restart back-off doubles from 10 s and caps at five minutes.
            if p.reason == "CrashLoopBackOff":
                pod.backoff_until = container_started + crash_backoff(p.restarts)
            else:
                pod.crash_at = container_started + timedelta(minutes=rev.crash.uptime_minutes)
        dep.pods.append(pod)
    return dep


def crash_backoff(restarts: int) -> timedelta:
    return timedelta(seconds=min(300, 10 * 2 ** max(0, min(restarts, 10) - 1)))


def _pod_name(world: World, dep: Deployment, rev: Revision) -> str:
    """As each controller names its pods: a StatefulSet's by the lowest free ordinal, a
    DaemonSet's with a random suffix only, a ReplicaSet's with its template hash too."""
    taken = {p.name for d in world.deployments if d.namespace == dep.namespace for p in d.pods}
    taken |= {p.name for p in dep.pods}
    if dep.kind == "StatefulSet":
        return next(f"{dep.name}-{i}" for i in range(len(taken) + 1)
                    if f"{dep.name}-{i}" not in taken)
    prefix = dep.name if dep.kind == "DaemonSet" else f"{dep.name}-{dep.template_hash(rev)}"
    name = ""
    while not name or name in taken:
        name = f"{prefix}-{world.next_token('pod', 5)}"
    return name


def _baseline(dep: Deployment) -> float | None:
    return dep.memory.baseline_mib if dep.memory else None


def new_pod(world: World, dep: Deployment, rev: Revision, at: datetime, *, ready: bool) -> Pod:
    """A pod the ReplicaSet of ``rev`` creates at ``at``; ``ready`` skips the startup."""
    name = _pod_name(world, dep, rev)
    pod = Pod(
        name=name,
        revision=rev.revision,
        phase="Running" if ready else "Pending",
        ready=ready,
        restarts=0,
        reason=None if ready else "ContainerCreating",
        created_at=at,
        container_started_at=at,
        memory_mib=_baseline(dep),
        node=world.place(dep.pods),
        logs=stamp(rev.logs, at) if ready else [],
    )
    if ready and rev.crash is not None:
        pod.crash_at = at + timedelta(minutes=rev.crash.uptime_minutes)
    return pod
