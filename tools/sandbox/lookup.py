"""Finding things in the world, failing the way a tool should: say what does exist."""

from __future__ import annotations

from tools.backend import ToolFailure
from tools.sandbox.cluster_objects import JobPodSpec, JobSpec
from tools.sandbox.world import Deployment, Pod, World


def require_namespace(world: World, namespace: str) -> None:
    if namespace not in world.namespaces():
        known = ", ".join(world.namespaces())
        raise ToolFailure(f"namespace {namespace!r} not found; namespaces: {known}")


def require_deployment(world: World, namespace: str, name: str,
                       kind: str | None = "Deployment") -> Deployment:
    """The workload of that kind (any kind when None), or a failure listing that kind's."""
    require_namespace(world, namespace)
    named = [d for d in world.deployments if d.namespace == namespace and d.name == name]
    for dep in named:
        if kind in (None, dep.kind):
            return dep
    what = (kind or "workload").lower()
    known = ", ".join(sorted(d.name for d in world.deployments
                             if d.namespace == namespace and kind in (None, d.kind)))
    other = f"; {name} is a {named[0].kind}: pass kind={named[0].kind}" if named else ""
    raise ToolFailure(
        f"{what} {namespace}/{name} not found; {what}s in {namespace}: {known or 'none'}{other}"
    )


def namespace_jobs(world: World, namespace: str) -> list[JobSpec]:
    """The Jobs in a namespace: CronJobs' runs, then standalone Jobs."""
    return [*(j for c in world.cronjobs if c.namespace == namespace for j in c.jobs),
            *(j for j in world.jobs if j.namespace == namespace)]


def find_job_pod(world: World, namespace: str, name: str) -> tuple[JobSpec, JobPodSpec] | None:
    """The pod a Job left behind under that name, if any (a Job's pods stay until the Job
    is deleted, as in a cluster)."""
    for job in namespace_jobs(world, namespace):
        for pod in job.pods:
            if pod.name == name:
                return job, pod
    return None


def require_pod(world: World, namespace: str, name: str) -> tuple[Deployment, Pod]:
    """A workload's pod; a Job's pod is found with find_job_pod."""
    require_namespace(world, namespace)
    pods = [(d, p) for d in world.deployments if d.namespace == namespace for p in d.pods]
    for dep, pod in pods:
        if pod.name == name:
            return dep, pod
    known = ", ".join(sorted([p.name for _, p in pods]
                             + [p.name for j in namespace_jobs(world, namespace) for p in j.pods]))
    raise ToolFailure(f"pod {namespace}/{name} not found; pods in {namespace}: {known}")


def require_service(world: World, name: str) -> None:
    if all(s.name != name for s in world.services):
        known = ", ".join(sorted(s.name for s in world.services))
        raise ToolFailure(f"service {name!r} has no SLO here; services: {known}")
