"""Finding things in the world, failing the way a tool should: say what does exist."""

from __future__ import annotations

from tools.backend import ToolFailure
from tools.sandbox.world import Deployment, Pod, World


def require_namespace(world: World, namespace: str) -> None:
    if namespace not in world.namespaces():
        known = ", ".join(world.namespaces())
        raise ToolFailure(f"namespace {namespace!r} not found; namespaces: {known}")


def require_deployment(world: World, namespace: str, name: str) -> Deployment:
    require_namespace(world, namespace)
    for dep in world.deployments:
        if dep.namespace == namespace and dep.name == name:
            return dep
    known = ", ".join(sorted(d.name for d in world.deployments if d.namespace == namespace))
    raise ToolFailure(
        f"deployment {namespace}/{name} not found; deployments in {namespace}: {known}"
    )


def require_pod(world: World, namespace: str, name: str) -> tuple[Deployment, Pod]:
    require_namespace(world, namespace)
    pods = [(d, p) for d in world.deployments if d.namespace == namespace for p in d.pods]
    for dep, pod in pods:
        if pod.name == name:
            return dep, pod
    known = ", ".join(sorted(p.name for _, p in pods))
    raise ToolFailure(f"pod {namespace}/{name} not found; pods in {namespace}: {known}")


def require_service(world: World, name: str) -> None:
    if all(s.name != name for s in world.services):
        known = ", ".join(sorted(s.name for s in world.services))
        raise ToolFailure(f"service {name!r} has no SLO here; services: {known}")
