"""The sandbox scenario format (`evals/scenarios/*.yaml`): a public contract.

A scenario is the starting point of a simulated environment: deployments with their
rollout history and pods, services with SLOs, metric history, firing alerts and silences.
Single-object rules live on the models; rules that relate objects (an alert's namespace
exists, a pod's revision is in history, ...) are checked after loading, and both kinds of
error name the file, the line and the field.

    name: checkout-bad-deploy            # = the file name
    description: ...
    environment: prod
    clock: {start: 2025-03-11T14:42:00Z, step_minutes: 1, smoothing_minutes: 2}
    services: [{name: checkout, slo_target: 0.999, error_budget: {remaining: 0.41}}]
    deployments:
      - namespace: shop
        name: checkout
        service: checkout
        replicas: 3
        current_revision: 42
        traffic: {requests_per_second: 140, capacity_rps_per_replica: 300,
                  base_latency_seconds: 0.18}            # optional: drives cpu/latency
        memory: {limit_mib: 1024, baseline_mib: 300, leak_mib_per_minute: 8}  # optional
        history:
          - {revision: 42, image: ..., change: ..., healthy: false, error_ratio: 0.21,
             crash: {uptime_minutes: 6, logs: [...]}, logs: [...]}
        pods: [{name: checkout-6f7c9-x2k4q, ready: false, restarts: 7,
                reason: CrashLoopBackOff, logs: [...], previous_logs: [...]}]
    metrics:                              # keyframes up to clock.start, then the model
      - name: http_requests_error_ratio
        labels: {namespace: shop, deployment: checkout}
        unit: ratio
        points: [[2025-03-11T13:12:00Z, 0.0014], [2025-03-11T14:42:00Z, 0.21]]
        model: {kind: deployment, deployment: shop/checkout, signal: error_ratio}
    alerts:
      - name: HighErrorRate
        labels: {namespace: shop, deployment: checkout}
        severity: critical
        annotations: {summary: ...}
        since: 2025-03-11T14:15:00Z
        condition: {query: 'http_requests_error_ratio{deployment="checkout"}', above: 0.05}
    silences: [{matchers: {alertname: ...}, starts_at: ..., ends_at: ..., created_by: ...,
                comment: ...}]
    # optional: nodes, cronjobs, jobs, volume_claims, storage_classes, resource_quotas, and
    # a pod's `node`
    # (tools/sandbox/cluster_objects.py documents them)

Extensions, all optional, so every older scenario loads unchanged:

    deployments:
      - kind: StatefulSet                 # Deployment (default) | StatefulSet | DaemonSet;
        namespace: streaming              # pods of a StatefulSet are <name>-0, <name>-1, ...
        name: ledger-db                   # a DaemonSet's `replicas` is its scheduled pods,
        ...                               # and it cannot be scaled
    events:                               # what `kubectl get events` lists, oldest first
      - {namespace: streaming, kind: Pod, name: ledger-db-2, type: Warning,
         reason: FailedScheduling, message: ..., count: 4, last_seen: 2025-...Z}
    hpas:                                 # HorizontalPodAutoscalers over a workload above
      - {namespace: shop, name: checkout, target: checkout, target_kind: Deployment,
         min_replicas: 2, max_replicas: 6, desired_replicas: 9, metrics: ["cpu 96% (target 70%)"]}
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.yamlfile import load_yaml_document
from tools.catalog import K8sName, WorkloadKind
from tools.sandbox.cluster_objects import (
    CronJobSpec,
    NodeSpec,
    ResourceQuotaSpec,
    StandaloneJobSpec,
    StorageClassSpec,
    VolumeClaimSpec,
)
from tools.sandbox.selector import Selector, parse_selector
from tools.workload_reads import K8sKind

DEFAULT_SCENARIO_DIR = REPO_ROOT / "evals" / "scenarios"

MetricName = Annotated[str, Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
AlertName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Fraction = Annotated[float, Field(ge=0, le=1)]

# Signals a deployment produces; the rate-based ones follow a change with a lag.
DeploymentSignalName = Literal[
    "error_ratio",
    "latency_p99_seconds",
    "cpu_utilisation",
    "requests_per_second",
    "memory_working_set_bytes",
    "restarts",
    "crashlooping_pods",
    "available_replicas",
]
TRAFFIC_SIGNALS = frozenset({"latency_p99_seconds", "cpu_utilisation", "requests_per_second"})
SMOOTHED_SIGNALS = TRAFFIC_SIGNALS | {"error_ratio"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clock(Strict):
    start: AwareDatetime
    step_minutes: float = Field(1.0, gt=0, le=60, description="metric resolution")
    smoothing_minutes: float = Field(
        2.0, ge=0, description="time constant with which rate metrics follow a change"
    )


class CrashLoop(Strict):
    """How containers of a broken revision die: run a while, crash, back off, repeat."""

    uptime_minutes: float = Field(2.0, gt=0)
    reason: str = "Error"
    logs: tuple[str, ...] = ()  # printed just before the crash


class Revision(Strict):
    revision: int = Field(ge=1)
    image: str = Field(min_length=1)
    change: str = Field(min_length=1)
    healthy: bool
    deployed_at: AwareDatetime | None = None
    error_ratio: Fraction = 0.0  # share of requests failing while this revision serves
    crash: CrashLoop | None = None
    pod_template_hash: str | None = Field(None, pattern=r"^[a-z0-9]{5,10}$")
    logs: tuple[str, ...] = ()  # what a fresh container prints on start

    @model_validator(mode="after")
    def _crashing_is_unhealthy(self) -> Revision:
        if self.crash is not None and self.healthy:
            raise ValueError("a revision whose containers crash cannot be healthy")
        return self


class PodSpec(Strict):
    name: K8sName
    revision: int | None = None  # default: the deployment's current revision
    phase: Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"] = "Running"
    ready: bool = True
    restarts: int = Field(0, ge=0)
    reason: str | None = None  # waiting reason: CrashLoopBackOff, ContainerCreating, ...
    last_termination_reason: str | None = None  # OOMKilled, Error, ...
    last_restart_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None
    memory_mib: float | None = Field(None, ge=0)
    node: K8sName | None = None  # one of the scenario's nodes
    logs: tuple[str, ...] = ()
    previous_logs: tuple[str, ...] = ()


class Traffic(Strict):
    requests_per_second: float = Field(ge=0)
    capacity_rps_per_replica: float = Field(gt=0)
    base_latency_seconds: float = Field(gt=0, description="p99 latency when lightly loaded")


class Memory(Strict):
    limit_mib: float = Field(gt=0)
    baseline_mib: float = Field(ge=0, description="working set right after a container starts")
    leak_mib_per_minute: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _baseline_below_limit(self) -> Memory:
        if self.baseline_mib >= self.limit_mib:
            raise ValueError("baseline_mib must be below limit_mib")
        return self


class DeploymentSpec(Strict):
    kind: WorkloadKind = "Deployment"
    namespace: K8sName
    name: K8sName
    service: K8sName
    container: K8sName | None = None  # default: the deployment name
    replicas: int = Field(ge=0)
    current_revision: int
    history: tuple[Revision, ...] = Field(min_length=1)
    pods: tuple[PodSpec, ...] | None = None  # omitted: `replicas` healthy pods
    traffic: Traffic | None = None
    memory: Memory | None = None
    startup_minutes: float = Field(1.0, ge=0, description="until a new pod is ready")

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class ErrorBudgetSpec(Strict):
    remaining: float | None = Field(le=1)  # fraction left; negative = overspent; None = unknown
    as_of: AwareDatetime | None = None  # set: a snapshot that no longer updates (stale feed)


class ServiceSpec(Strict):
    name: K8sName
    slo_target: float = Field(gt=0, lt=1)
    window_days: int = Field(30, ge=1, le=365)
    error_budget: ErrorBudgetSpec


class DeploymentSignal(Strict):
    """The series continues with a signal the simulated deployment produces."""

    kind: Literal["deployment"]
    deployment: str = Field(pattern=r"^[a-z0-9-]+/[a-z0-9-]+$")  # namespace/name
    signal: DeploymentSignalName


class Sawtooth(Strict):
    """A level that moves linearly from `start` to `end` each period, then resets."""

    kind: Literal["sawtooth"]
    start: float
    end: float
    period_minutes: float = Field(gt=0)
    cycle_start: AwareDatetime


class SeriesSpec(Strict):
    name: MetricName
    labels: dict[LabelName, str] = Field(default_factory=dict)
    unit: str = Field(min_length=1)
    points: tuple[tuple[AwareDatetime, float], ...] = Field(min_length=1)
    # between keyframes: linear for levels and rates, step for counts
    interpolation: Literal["linear", "step"] = "linear"
    model: Annotated[DeploymentSignal | Sawtooth, Field(discriminator="kind")] | None = None


class Condition(Strict):
    """Like an alerting rule: active while a matched series is above/below a threshold."""

    query: str = Field(min_length=1)
    above: float | None = None
    below: float | None = None
    window_minutes: float = Field(0.0, ge=0, description="max/min over this window")

    @model_validator(mode="after")
    def _one_threshold(self) -> Condition:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above / below")
        return self

    @property
    def selector(self) -> Selector:
        return parse_selector(self.query)


class AlertSpec(Strict):
    name: AlertName
    labels: dict[LabelName, str] = Field(default_factory=dict)
    severity: Literal["info", "warning", "critical"]
    annotations: dict[LabelName, str]
    since: AwareDatetime
    condition: Condition | None = None  # omitted: stays active

    @model_validator(mode="after")
    def _has_summary(self) -> AlertSpec:
        if not self.annotations.get("summary"):
            raise ValueError("annotations must contain a non-empty summary")
        return self


class SilenceSpec(Strict):
    matchers: dict[LabelName, str] = Field(min_length=1)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_by: str = Field(min_length=1)
    comment: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ends_after_start(self) -> SilenceSpec:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class EventSpec(Strict):
    namespace: K8sName
    kind: K8sKind  # of the involved object
    name: K8sName
    type: Literal["Normal", "Warning"]
    reason: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$")
    message: str = Field(min_length=1)
    count: int = Field(1, ge=1)
    last_seen: AwareDatetime


class HpaSpec(Strict):
    namespace: K8sName
    name: K8sName
    target: K8sName
    target_kind: Literal["Deployment", "StatefulSet"] = "Deployment"
    min_replicas: int = Field(1, ge=1)
    max_replicas: int = Field(ge=1)
    desired_replicas: int | None = Field(None, ge=0)  # omitted: the target's replicas
    metrics: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _min_below_max(self) -> HpaSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError("min_replicas must not exceed max_replicas")
        return self


class Scenario(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = Field(min_length=1)
    environment: str = Field(pattern=r"^[a-z][a-z0-9-]*$")  # prod, staging, ...
    clock: Clock
    deployments: tuple[DeploymentSpec, ...] = Field(min_length=1)
    services: tuple[ServiceSpec, ...] = Field(min_length=1)
    metrics: tuple[SeriesSpec, ...] = ()
    alerts: tuple[AlertSpec, ...] = ()
    silences: tuple[SilenceSpec, ...] = ()
    # Extensions, documented above and in tools.sandbox.cluster_objects.
    nodes: tuple[NodeSpec, ...] = ()
    cronjobs: tuple[CronJobSpec, ...] = ()
    jobs: tuple[StandaloneJobSpec, ...] = ()
    volume_claims: tuple[VolumeClaimSpec, ...] = ()
    storage_classes: tuple[StorageClassSpec, ...] = ()
    resource_quotas: tuple[ResourceQuotaSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    hpas: tuple[HpaSpec, ...] = ()


Loc = tuple[str | int, ...]


def _problems(s: Scenario, stem: str) -> Iterator[tuple[Loc, str]]:
    """Every rule that relates two parts of a scenario; yields (field path, message)."""
    if s.name != stem:
        yield ("name",), f"name {s.name!r} must match the file name {stem!r}"
    start = s.clock.start
    services = {svc.name for svc in s.services}
    seen_services: set[str] = set()
    for i, svc in enumerate(s.services):
        if svc.name in seen_services:
            yield ("services", i, "name"), f"service {svc.name!r} is defined twice"
        seen_services.add(svc.name)
    deployments: dict[str, DeploymentSpec] = {}
    pods_by_namespace: dict[str, set[str]] = {}
    for i, dep in enumerate(s.deployments):
        yield from (
            (("deployments", i, *loc), msg) for loc, msg in _deployment_problems(dep, services)
        )
        if dep.key in deployments:
            yield ("deployments", i, "name"), f"workload {dep.key} is defined twice"
        deployments[dep.key] = dep
        names = pods_by_namespace.setdefault(dep.namespace, set())
        for j, pod in enumerate(dep.pods or ()):
            if pod.name in names:
                yield ("deployments", i, "pods", j, "name"), f"pod {pod.name!r} is defined twice"
            names.add(pod.name)
    yield from _cluster_object_problems(s)
    for ns, jobs in [*((c.namespace, c.jobs) for c in s.cronjobs),
                     *((j.namespace, (j,)) for j in s.jobs)]:
        pods_by_namespace.setdefault(ns, set()).update(p.name for j in jobs for p in j.pods)
    for claim in s.volume_claims:
        pods_by_namespace.setdefault(claim.namespace, set())
    namespaces = sorted(pods_by_namespace)
    series_keys: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for i, series in enumerate(s.metrics):
        key = (series.name, tuple(sorted(series.labels.items())))
        if key in series_keys:
            yield ("metrics", i, "labels"), f"series {series.name}{{...}} is defined twice"
        series_keys.add(key)
        yield from (
            (("metrics", i, *loc), msg)
            for loc, msg in _series_problems(series, deployments, start)
        )
    for i, alert in enumerate(s.alerts):
        yield from (
            (("alerts", i, *loc), msg)
            for loc, msg in _alert_problems(
                alert, s, namespaces, pods_by_namespace, deployments, services
            )
        )
    for i, event in enumerate(s.events):
        if event.namespace not in pods_by_namespace:
            yield ("events", i, "namespace"), (
                f"namespace {event.namespace!r} not found; namespaces: {namespaces}")
        if event.last_seen > start:
            yield ("events", i, "last_seen"), "last_seen is after clock.start"
    quotas: set[tuple[str, str]] = set()
    for i, quota in enumerate(s.resource_quotas):
        if quota.namespace not in pods_by_namespace:
            yield ("resource_quotas", i, "namespace"), (
                f"namespace {quota.namespace!r} not found; namespaces: {namespaces}")
        if (quota.namespace, quota.name) in quotas:
            yield ("resource_quotas", i, "name"), (
                f"resource quota {quota.namespace}/{quota.name} is defined twice")
        quotas.add((quota.namespace, quota.name))
    for i, hpa in enumerate(s.hpas):
        target = deployments.get(f"{hpa.namespace}/{hpa.target}")
        if target is None or target.kind != hpa.target_kind:
            yield ("hpas", i, "target"), (
                f"{hpa.target_kind} {hpa.namespace}/{hpa.target} not found")


def _cluster_object_problems(s: Scenario) -> Iterator[tuple[Loc, str]]:
    nodes = {n.name for n in s.nodes}
    if len(nodes) != len(s.nodes):
        yield ("nodes",), "a node is defined twice"
    for i, dep in enumerate(s.deployments):
        for j, pod in enumerate(dep.pods or ()):
            if pod.node is not None and pod.node not in nodes:
                yield ("deployments", i, "pods", j, "node"), (
                    f"node {pod.node!r} is not in nodes: {sorted(nodes)}")
    jobs: set[tuple[str, str]] = set()
    for i, cron in enumerate(s.cronjobs):
        for j, job in enumerate(cron.jobs):
            if (cron.namespace, job.name) in jobs:
                yield ("cronjobs", i, "jobs", j, "name"), f"job {job.name!r} is defined twice"
            jobs.add((cron.namespace, job.name))
    for i, job in enumerate(s.jobs):
        if (job.namespace, job.name) in jobs:
            yield ("jobs", i, "name"), f"job {job.name!r} is defined twice"
        jobs.add((job.namespace, job.name))
    claims = [(v.namespace, v.name) for v in s.volume_claims]
    for i, key in enumerate(claims):
        if key in claims[:i]:
            yield ("volume_claims", i, "name"), f"volume claim {key[1]!r} is defined twice"
    volumes = [v.volume for v in s.volume_claims if v.volume]
    for i, claim in enumerate(s.volume_claims):
        if claim.volume and volumes.count(claim.volume) > 1:
            yield ("volume_claims", i, "volume"), (
                f"volume {claim.volume!r} is bound to two claims")
    classes = [c.name for c in s.storage_classes]
    for i, name in enumerate(classes):
        if name in classes[:i]:
            yield ("storage_classes", i, "name"), f"storage class {name!r} is defined twice"
    if sum(c.default for c in s.storage_classes) > 1:
        yield ("storage_classes",), "more than one storage class is the default"


def _deployment_problems(dep: DeploymentSpec, services: set[str]) -> Iterator[tuple[Loc, str]]:
    if dep.service not in services:
        yield ("service",), f"service {dep.service!r} is not in services: {sorted(services)}"
    revisions: dict[int, Revision] = {}
    for j, rev in enumerate(dep.history):
        if rev.revision in revisions:
            yield ("history", j, "revision"), f"revision {rev.revision} is listed twice"
        revisions[rev.revision] = rev
    if dep.current_revision not in revisions:
        yield ("current_revision",), (
            f"revision {dep.current_revision} is not in history {sorted(revisions)}"
        )
    if dep.pods is None:
        return
    if len(dep.pods) != dep.replicas:
        yield ("pods",), f"{len(dep.pods)} pods listed but replicas is {dep.replicas}"
    for j, pod in enumerate(dep.pods):
        if not pod.name.startswith(f"{dep.name}-"):
            yield ("pods", j, "name"), f"pod name must start with {dep.name + '-'!r}"
        pod_rev = revisions.get(pod.revision or dep.current_revision)
        if pod.revision is not None and pod_rev is None:
            yield ("pods", j, "revision"), (
                f"revision {pod.revision} is not in history {sorted(revisions)}"
            )
        if pod.reason == "CrashLoopBackOff" and pod_rev is not None and pod_rev.crash is None:
            yield ("pods", j, "reason"), (
                f"CrashLoopBackOff needs revision {pod_rev.revision} to have `crash`"
            )
        if pod.memory_mib is not None:
            if dep.memory is None:
                yield ("pods", j, "memory_mib"), "memory_mib needs the deployment's `memory`"
            elif pod.memory_mib >= dep.memory.limit_mib:
                yield ("pods", j, "memory_mib"), "memory_mib must be below memory.limit_mib"


def _series_problems(
    series: SeriesSpec, deployments: dict[str, DeploymentSpec], start: datetime
) -> Iterator[tuple[Loc, str]]:
    for j in range(1, len(series.points)):
        if series.points[j][0] <= series.points[j - 1][0]:
            yield ("points", j), "points must be in increasing time order"
    for j, (at, _value) in enumerate(series.points):
        if at > start:
            yield ("points", j), f"point at {at.isoformat()} is after clock.start"
    model = series.model
    if isinstance(model, DeploymentSignal):
        dep = deployments.get(model.deployment)
        if dep is None:
            yield ("model", "deployment"), (
                f"deployment {model.deployment} not found; known: {sorted(deployments)}"
            )
        elif model.signal in TRAFFIC_SIGNALS and dep.traffic is None:
            yield ("model", "signal"), f"{model.signal} needs {dep.key} to have `traffic`"
        elif model.signal == "memory_working_set_bytes" and dep.memory is None:
            yield ("model", "signal"), f"{model.signal} needs {dep.key} to have `memory`"


def _alert_problems(
    alert: AlertSpec,
    s: Scenario,
    namespaces: list[str],
    pods_by_namespace: dict[str, set[str]],
    deployments: dict[str, DeploymentSpec],
    services: set[str],
) -> Iterator[tuple[Loc, str]]:
    if alert.since > s.clock.start:
        yield ("since",), "since is after clock.start"
    ns = alert.labels.get("namespace")
    if ns is not None and ns not in pods_by_namespace:
        yield ("labels", "namespace"), f"namespace {ns!r} not found; namespaces: {namespaces}"
    if ns is not None and "deployment" in alert.labels:
        key = f"{ns}/{alert.labels['deployment']}"
        if key not in deployments:
            yield ("labels", "deployment"), f"deployment {key} not found"
    if ns is not None and "pod" in alert.labels:
        declared = pods_by_namespace.get(ns, set())
        if alert.labels["pod"] not in declared:
            yield ("labels", "pod"), f"pod {alert.labels['pod']!r} not found in namespace {ns}"
    if "service" in alert.labels and alert.labels["service"] not in services:
        yield ("labels", "service"), f"service {alert.labels['service']!r} not in services"
    if alert.condition is None:
        return
    try:
        selector = alert.condition.selector
    except ValueError as exc:
        yield ("condition", "query"), str(exc)
        return
    if not any(selector.matches(m.name, m.labels) for m in s.metrics):
        yield ("condition", "query"), f"query {alert.condition.query!r} matches no series"


def resolve_scenario_path(name_or_path: str | Path, scenario_dir: Path | None = None) -> Path:
    """A bare name means `<scenario_dir>/<name>.yaml`; anything else is a path."""
    directory = scenario_dir or DEFAULT_SCENARIO_DIR
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or text.endswith((".yaml", ".yml")):
        return Path(name_or_path)
    path = directory / f"{text}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml"))) or "none"
        raise InputError(f"unknown scenario {text!r}; scenarios in {directory}: {known}")
    return path


def load_scenario(name_or_path: str | Path, scenario_dir: Path | None = None) -> Scenario:
    """Load and check a scenario; every error is an InputError naming file, line and field."""
    path = resolve_scenario_path(name_or_path, scenario_dir)
    scenario, lines = load_yaml_document(Scenario, path)
    problem = next(_problems(scenario, path.stem), None)
    if problem is not None:
        loc, message = problem
        field = ".".join(str(p) for p in loc)
        raise InputError(message, source=str(path), line=lines.line_of(loc), field=field)
    return scenario
