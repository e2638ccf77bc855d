"""What a pod's status means, read the way `kubectl get pods` reads it. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kubernetes import client as k8s

from tools.kubernetes.required import meta, name_of, namespace_of, pod_spec

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
CHANGE_CAUSE = "kubernetes.io/change-cause"
TEMPLATE_HASH = "pod-template-hash"

# Waiting reasons that mean the container will not come up by itself.
FAILING_REASONS = frozenset({
    "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
})


@dataclass(frozen=True)
class PodState:
    name: str
    namespace: str
    phase: str
    ready: bool
    containers_ready: int
    containers: int
    restarts: int
    reason: str | None  # why it is not simply running: CrashLoopBackOff, Evicted, ...
    last_termination_reason: str | None  # OOMKilled, Error, ...
    last_restart_at: datetime | None
    created_at: datetime | None
    owner: str | None  # the ReplicaSet (or other controller) that owns it

    @property
    def failing(self) -> bool:
        return self.reason in FAILING_REASONS

    @property
    def status(self) -> str:
        return self.reason or self.phase


def controller_of(meta: k8s.V1ObjectMeta, kind: str) -> str | None:
    for ref in meta.owner_references or []:
        if ref.controller and ref.kind == kind:
            return ref.name
    return None


def _container_reason(statuses: Iterable[k8s.V1ContainerStatus], init: bool) -> str | None:
    for status in statuses:
        state = status.state
        if state is None:
            continue
        if state.waiting is not None and state.waiting.reason:
            if init and state.waiting.reason == "PodInitializing":
                continue
            return f"Init:{state.waiting.reason}" if init else state.waiting.reason
        if state.terminated is not None:
            if init and state.terminated.exit_code == 0:
                continue
            why = state.terminated.reason or f"ExitCode:{state.terminated.exit_code}"
            return f"Init:{why}" if init else why
    return None


def pod_state(pod: k8s.V1Pod) -> PodState:
    status = pod.status or k8s.V1PodStatus()
    containers = list(status.container_statuses or [])
    reason = (
        status.reason
        or _container_reason(status.init_container_statuses or [], init=True)
        or _container_reason(reversed(containers), init=False)
    )
    if meta(pod).deletion_timestamp is not None:
        reason = "Terminating"
    ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
    terminations = [c.last_state.terminated for c in containers
                    if c.last_state is not None and c.last_state.terminated is not None]
    finished = [t.finished_at for t in terminations if t.finished_at is not None]
    return PodState(
        name=name_of(pod),
        namespace=namespace_of(pod),
        phase=status.phase or "Unknown",
        ready=ready,
        containers_ready=sum(1 for c in containers if c.ready),
        containers=len(pod.spec.containers) if pod.spec else len(containers),
        restarts=sum(c.restart_count or 0 for c in containers),
        reason=reason,
        last_termination_reason=next((t.reason for t in terminations if t.reason), None),
        last_restart_at=max(finished) if finished else None,
        created_at=meta(pod).creation_timestamp,
        owner=controller_of(meta(pod), "ReplicaSet"),
    )


def revision_of(meta: k8s.V1ObjectMeta) -> int | None:
    raw = (meta.annotations or {}).get(REVISION)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def selector_string(selector: k8s.V1LabelSelector) -> str:
    """A LabelSelector in the query syntax list calls take."""
    parts = [f"{k}={v}" for k, v in sorted((selector.match_labels or {}).items())]
    for expr in selector.match_expressions or []:
        values = ",".join(expr.values or [])
        match expr.operator:
            case "In":
                parts.append(f"{expr.key} in ({values})")
            case "NotIn":
                parts.append(f"{expr.key} notin ({values})")
            case "Exists":
                parts.append(expr.key)
            case "DoesNotExist":
                parts.append(f"!{expr.key}")
    return ",".join(parts)


def images(template: k8s.V1PodTemplateSpec) -> str:
    return ", ".join(c.image or "?" for c in pod_spec(template).containers)
