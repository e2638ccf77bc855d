"""The pod, node, Job/CronJob and volume-claim tools against the simulated world: reads
build the output models, mutations are plans (preview) with a commit, like
tools.sandbox.mutations."""

from __future__ import annotations

from typing import Any

from kubernetes.utils.quantity import parse_quantity

from assistant.models import Series, ToolOutput
from tools import render
from tools.backend import ToolFailure
from tools.job_tools import CronJobArgs, JobArgs, ListCronJobsArgs, suspension_in_place
from tools.node_tools import NodeArgs, cordon_in_place
from tools.object_outputs import (
    PRESSURE_CONDITIONS,
    ContainerStatus,
    CordonChange,
    CronJobList,
    CronJobRow,
    JobDeletion,
    JobDescription,
    JobPod,
    NodeDescription,
    NodeList,
    NodePod,
    NodeRow,
    PodDeletion,
    PodDescription,
    SuspendChange,
    Taint,
    VolumeClaimRow,
)
from tools.object_render import (
    claims_text,
    cronjobs_text,
    job_text,
    node_text,
    nodes_text,
    pod_text,
)
from tools.outputs import Condition, FromTo, PodRow
from tools.pod_tools import PodArgs
from tools.sandbox.cluster_objects import (
    UNSCHEDULABLE_TAINT,
    CronJobSpec,
    JobPodSpec,
    JobSpec,
    NodeSpec,
    TaintSpec,
)
from tools.sandbox.cluster_reads import object_events
from tools.sandbox.lookup import find_job_pod, namespace_jobs, require_namespace, require_pod
from tools.sandbox.mutations import Change
from tools.sandbox.world import World, new_pod
from tools.volume_tools import USED_BYTES, ListVolumeClaimsArgs, with_usage

# --- pods --------------------------------------------------------------------------------


def _job_pod_description(world: World, namespace: str, job: JobSpec,
                         pod: JobPodSpec) -> PodDescription:
    running = pod.phase == "Running"
    container = ContainerStatus(
        name=job.container, image=job.image, ready=pod.ready, restarts=0,
        state="running" if running else "waiting" if pod.phase == "Pending" else "terminated",
        reason=pod.reason, last_termination_reason=None if running else pod.reason,
        last_exit_code=pod.exit_code)
    return PodDescription(
        namespace=namespace, name=pod.name, node=pod.node, phase=pod.phase, ready=pod.ready,
        reason=pod.reason, owner=f"Job/{job.name}", deployment=None, containers=[container],
        conditions=[Condition(type="PodScheduled", status=str(pod.node is not None),
                              reason="", message=""),
                    Condition(type="Ready", status=str(pod.ready),
                              reason="" if pod.ready else f"Pod{pod.phase}", message="")],
        events=object_events(world, namespace, "Pod", pod.name))


def describe_pod(world: World, args: PodArgs) -> ToolOutput:
    if (found := find_job_pod(world, args.namespace, args.pod)) is not None:
        data = _job_pod_description(world, args.namespace, *found)
        return ToolOutput(text=pod_text(data), data=data)
    dep, pod = require_pod(world, args.namespace, args.pod)
    rev = dep.find_revision(pod.revision) or dep.current
    waiting = pod.reason if pod.reason and pod.phase in ("Running", "Pending") else None
    container = ContainerStatus(
        name=dep.container, image=rev.image, ready=pod.ready, restarts=pod.restarts,
        state="waiting" if waiting else "running" if pod.phase == "Running" else "terminated",
        reason=waiting, last_termination_reason=pod.last_termination_reason,
        last_exit_code=(137 if pod.last_termination_reason == "OOMKilled" else 1)
        if pod.last_termination_reason else None)
    ready = str(pod.ready)
    data = PodDescription(
        namespace=dep.namespace, name=pod.name, node=pod.node, phase=pod.phase,
        ready=pod.ready, reason=pod.reason,
        owner=f"ReplicaSet/{dep.name}-{dep.template_hash(rev)}", deployment=dep.name,
        containers=[container],
        conditions=[
            Condition(type="PodScheduled", status="True", reason="", message=""),
            Condition(type="ContainersReady", status=ready,
                      reason="" if pod.ready else "ContainersNotReady",
                      message="" if pod.ready else
                      f"containers with unready status: [{dep.container}]"),
            Condition(type="Ready", status=ready, reason="" if pod.ready else "ContainersNotReady",
                      message=""),
        ],
        events=object_events(world, dep.namespace, "Pod", pod.name))
    return ToolOutput(text=pod_text(data), data=data)


def plan_delete_pod(world: World, args: PodArgs) -> Change:
    dep, pod = require_pod(world, args.namespace, args.pod)
    rev = dep.find_revision(pod.revision) or dep.current
    rs = f"ReplicaSet/{dep.name}-{dep.template_hash(rev)}"

    def commit() -> dict[str, Any]:
        dep.pods = [p for p in dep.pods if p.name != pod.name]
        if pod.superseded:  # a rollout was retiring it anyway: nothing replaces it
            return {"pods_created": []}
        created = new_pod(world, dep, rev, world.now, ready=dep.startup_minutes <= 0)
        dep.pods.append(created)
        return {"pods_created": [created.name]}

    return Change(
        summary=f"delete pod {args.namespace}/{pod.name} (graceful, 30 s)",
        details=(
            f"phase {pod.phase} -> Terminating; controlled by {rs}, which starts a "
            f"replacement (ready after ~{dep.startup_minutes:g} min)",
            f"node {pod.node or '-'}; {pod.restarts} restarts, "
            f"{pod.reason or pod.last_termination_reason or 'no failure reason'}",
        ),
        changed=PodDeletion(pod=pod.name, node=pod.node, owner=rs,
                            phase=FromTo(before=pod.phase, after="Terminating"),
                            replaced_by=f"Deployment/{dep.name}"),
        commit=commit,
    )


# --- nodes -------------------------------------------------------------------------------


def _require_node(world: World, name: str) -> tuple[int, NodeSpec]:
    for i, node in enumerate(world.nodes):
        if node.name == name:
            return i, node
    known = ", ".join(n.name for n in world.nodes) or "none"
    raise ToolFailure(f"node {name!r} not found; nodes: {known}")


_READY = {
    "True": ("KubeletReady", "kubelet is posting ready status"),
    "False": ("KubeletNotReady", "container runtime network not ready: NetworkReady=false"),
    "Unknown": ("NodeStatusUnknown", "Kubelet stopped posting node status."),
}


def _node_conditions(node: NodeSpec) -> list[Condition]:
    conditions = []
    for kind in PRESSURE_CONDITIONS[:3]:
        pressed = kind in node.pressure
        word = kind.removesuffix("Pressure")
        wording = {"Memory": "memory", "Disk": "disk", "PID": "PID"}[word]
        conditions.append(Condition(
            type=kind, status=str(pressed),
            reason=f"KubeletHas{'' if pressed else 'No'}{word}Pressure"
            if word != "PID" else ("KubeletHasInsufficientPID" if pressed
                                   else "KubeletHasSufficientPID"),
            message=f"kubelet has {'' if pressed else 'no '}{wording} pressure"))
    reason, message = _READY[node.ready]
    conditions.append(Condition(type="Ready", status=node.ready, reason=reason,
                                message=message))
    return conditions


def list_nodes(world: World) -> ToolOutput:
    rows = [NodeRow(name=n.name, ready=n.ready, unschedulable=n.unschedulable,
                    pressure=list(n.pressure), roles=list(n.roles),
                    kubelet_version=n.kubelet_version, pods=len(world.pods_on(n.name)),
                    age=render.age(world.now - n.created_at) if n.created_at else None)
            for n in world.nodes]
    data = NodeList(nodes=rows)
    return ToolOutput(text=nodes_text(data), data=data)


def describe_node(world: World, args: NodeArgs) -> ToolOutput:
    _, node = _require_node(world, args.node)
    data = NodeDescription(
        name=node.name, ready=node.ready, unschedulable=node.unschedulable,
        pressure=list(node.pressure), conditions=_node_conditions(node),
        taints=[Taint(key=t.key, value=t.value, effect=t.effect) for t in node.taints],
        capacity=dict(node.capacity), allocatable=dict(node.allocatable or node.capacity),
        pods=[NodePod(namespace=p.namespace, name=p.name, phase=p.phase, ready=p.ready)
              for p in world.pods_on(node.name)],
        kubelet_version=node.kubelet_version)
    return ToolOutput(text=node_text(data), data=data)


def plan_cordon(world: World, args: NodeArgs, unschedulable: bool) -> Change:
    index, node = _require_node(world, args.node)
    pods = [f"{p.namespace}/{p.name}" for p in world.pods_on(node.name)]
    verb = "cordon" if unschedulable else "uncordon"
    if node.unschedulable == unschedulable:
        refusal, summary = cordon_in_place(node.name, unschedulable)
        return Change(summary=summary, details=(), commit=dict, unchanged=refusal,
                      changed=CordonChange(node=node.name,
                                           unschedulable=FromTo(before=unschedulable,
                                                                after=unschedulable),
                                           pods_on_node=pods))
    taints = tuple(t for t in node.taints if t.key != UNSCHEDULABLE_TAINT)
    if unschedulable:
        taints = (*taints, TaintSpec(key=UNSCHEDULABLE_TAINT, effect="NoSchedule"))
    fits = [n.name for n in world.nodes if n.schedulable and n.name != node.name]

    def commit() -> dict[str, Any]:
        world.nodes[index] = node.model_copy(update={"unschedulable": unschedulable,
                                                     "taints": taints})
        return {}

    where = (f"new pods go to: {', '.join(fits) or 'NO other schedulable node'}"
             if unschedulable else "new pods may be scheduled here again")
    return Change(
        summary=f"{verb} node {node.name}: unschedulable {node.unschedulable} -> "
                f"{unschedulable}",
        details=(f"{len(pods)} pods on the node keep running: "
                 f"{', '.join(pods[:10]) or 'none'}{' ...' if len(pods) > 10 else ''}",
                 where),
        changed=CordonChange(node=node.name,
                             unschedulable=FromTo(before=node.unschedulable,
                                                  after=unschedulable),
                             pods_on_node=pods),
        commit=commit,
    )


# --- Jobs and CronJobs -------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _find_job(world: World, namespace: str, name: str) -> tuple[CronJobSpec | None, JobSpec]:
    require_namespace(world, namespace)
    for cron in world.cronjobs:
        if cron.namespace == namespace:
            for job in cron.jobs:
                if job.name == name:
                    return cron, job
    for standalone in world.jobs:
        if standalone.namespace == namespace and standalone.name == name:
            return None, standalone
    known = sorted([j.name for c in world.cronjobs if c.namespace == namespace for j in c.jobs]
                   + [j.name for j in world.jobs if j.namespace == namespace])
    raise ToolFailure(f"job {namespace}/{name} not found; jobs in {namespace}: "
                      f"{', '.join(known) or 'none'}")


def _job_description(namespace: str, cron: CronJobSpec | None, job: JobSpec) -> JobDescription:
    return JobDescription(
        namespace=namespace, name=job.name, cronjob=cron.name if cron else None,
        status=job.status, active=job.active, succeeded=job.succeeded, failed=job.failed,
        started_at=_iso(job.started_at), finished_at=_iso(job.finished_at),
        # Only a Failed condition carries them, as the API has it: why a running Job has no
        # pod shows in its events (FailedCreate), not in its status.
        reason=job.reason if job.status == "Failed" else None,
        message=job.message if job.status == "Failed" else None,
        pods=[JobPod(name=p.name, phase=p.phase, reason=p.reason, exit_code=p.exit_code)
              for p in job.pods])


def job_pods(world: World, namespace: str) -> list[PodRow]:
    """The pods Jobs left in a namespace, as a namespace's pod list shows them."""
    jobs = namespace_jobs(world, namespace)
    return [PodRow(name=p.name, phase=p.phase, ready=p.ready, restarts=0,
                   reason=p.reason, deployment=None, revision=None,
                   last_termination_reason=None, age=None, created_at=None)
            for job in jobs for p in job.pods]


def describe_job(world: World, args: JobArgs) -> ToolOutput:
    cron, job = _find_job(world, args.namespace, args.job)
    data = _job_description(args.namespace, cron, job)
    return ToolOutput(text=job_text(data), data=data)


def list_cronjobs(world: World, args: ListCronJobsArgs) -> ToolOutput:
    require_namespace(world, args.namespace)
    rows = [CronJobRow(name=c.name, schedule=c.schedule, suspended=c.suspended,
                       active=sum(1 for j in c.jobs if j.status == "Running"),
                       last_schedule=_iso(c.last_schedule),
                       last_successful=_iso(c.last_successful),
                       jobs=[j.name for j in c.jobs],
                       last_job_status=c.jobs[-1].status if c.jobs else None)
            for c in world.cronjobs if c.namespace == args.namespace]
    data = CronJobList(namespace=args.namespace, cronjobs=rows)
    return ToolOutput(text=cronjobs_text(data), data=data)


def _require_cronjob(world: World, args: CronJobArgs) -> tuple[int, CronJobSpec]:
    require_namespace(world, args.namespace)
    for i, cron in enumerate(world.cronjobs):
        if cron.namespace == args.namespace and cron.name == args.cronjob:
            return i, cron
    known = ", ".join(c.name for c in world.cronjobs if c.namespace == args.namespace)
    raise ToolFailure(f"cronjob {args.namespace}/{args.cronjob} not found; cronjobs in "
                      f"{args.namespace}: {known or 'none'}")


def plan_suspend(world: World, args: CronJobArgs, suspend: bool) -> Change:
    index, cron = _require_cronjob(world, args)
    verb = "suspend" if suspend else "resume"
    active = [j.name for j in cron.jobs if j.status == "Running"]
    if cron.suspended == suspend:
        refusal, summary = suspension_in_place(args.namespace, cron.name, suspend)
        return Change(summary=summary, details=(), commit=dict, unchanged=refusal,
                      changed=SuspendChange(cronjob=cron.name,
                                            suspended=FromTo(before=suspend, after=suspend),
                                            active_jobs=active))

    def commit() -> dict[str, Any]:
        world.cronjobs[index] = cron.model_copy(update={"suspended": suspend})
        return {}

    effect = ("no new runs start" if suspend
              else f"runs on its schedule {cron.schedule!r} again")
    return Change(
        summary=f"{verb} cronjob {args.namespace}/{cron.name}: suspend {cron.suspended} -> "
                f"{suspend}",
        details=(effect, f"running jobs carry on: {', '.join(active) or 'none'}"),
        changed=SuspendChange(cronjob=cron.name,
                              suspended=FromTo(before=cron.suspended, after=suspend),
                              active_jobs=active),
        commit=commit,
    )


def plan_delete_failed_job(world: World, args: JobArgs) -> Change:
    cron, job = _find_job(world, args.namespace, args.job)
    if job.status != "Failed":
        raise ToolFailure(f"job {args.namespace}/{job.name} is {job.status}, not Failed: "
                          "delete_failed_job only removes failed jobs")
    pods = [p.name for p in job.pods]

    def commit() -> dict[str, Any]:
        if cron is not None:
            i = world.cronjobs.index(cron)
            world.cronjobs[i] = cron.model_copy(
                update={"jobs": tuple(j for j in cron.jobs if j.name != job.name)})
        else:
            world.jobs = [j for j in world.jobs
                          if (j.namespace, j.name) != (args.namespace, job.name)]
        return {}

    return Change(
        summary=f"delete failed job {args.namespace}/{job.name} and its {len(pods)} pods",
        details=(f"status Failed: {job.reason or '-'} {job.message or ''}".rstrip(),
                 f"pods deleted (their logs go with them): {', '.join(pods) or 'none'}",
                 f"owned by CronJob {cron.name}, which keeps its schedule" if cron
                 else "not owned by a CronJob"),
        changed=JobDeletion(job=job.name, status=job.status,
                            cronjob=cron.name if cron else None, pods_deleted=pods),
        commit=commit,
    )


# --- volume claims -----------------------------------------------------------------------


def list_pvcs(world: World, args: ListVolumeClaimsArgs) -> ToolOutput:
    require_namespace(world, args.namespace)
    claims = [VolumeClaimRow(name=c.name, phase=c.phase, volume=c.volume,
                             storage_class=c.storage_class, access_modes=list(c.access_modes),
                             capacity_bytes=int(parse_quantity(c.capacity)))
              for c in world.volume_claims if c.namespace == args.namespace]
    used = [Series(name=s.name, labels=dict(s.labels), unit=s.unit,
                   points=tuple((t.isoformat(), v) for t, v in s.points if t <= world.now))
            for s in world.series
            if s.name == USED_BYTES and s.labels.get("namespace") == args.namespace]
    data = with_usage(args.namespace, claims, used)
    return ToolOutput(text=claims_text(data), data=data)
