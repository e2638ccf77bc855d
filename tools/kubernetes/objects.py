"""The Kubernetes side of the pod, node, Job/CronJob and volume-claim tools. Each
mutation runs as a server-side dry run (the preview) or for real through the same code,
guarded by the resourceVersion it read, so a preview cannot drift from what runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from kubernetes import client as k8s
from kubernetes.utils.quantity import parse_quantity

from assistant.models import CronJobInfo, JobInfo, NodeInfo, ToolOutput
from tools import render
from tools.backend import ToolFailure
from tools.job_tools import CronJobArgs, JobArgs, ListCronJobsArgs, suspension_in_place
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.history import deployment_of
from tools.kubernetes.pods import controller_of, pod_state
from tools.kubernetes.required import (
    meta,
    name_of,
    namespace_of,
    referenced_name,
    resource_version_of,
    spec_of,
)
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
from tools.object_render import cronjobs_text, job_text, node_text, nodes_text, pod_text
from tools.outputs import Condition, FromTo
from tools.pod_tools import PodArgs
from tools.real.change import Change
from tools.real.http import HttpFailure

_ROLE_LABEL = "node-role.kubernetes.io/"


def _dry(dry_run: bool) -> tuple[str, ...]:
    return ("server-side dry run (dryRun=All) accepted; nothing changed yet",) if dry_run \
        else ()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _owner(meta: k8s.V1ObjectMeta) -> tuple[str, str] | None:
    for ref in meta.owner_references or []:
        if ref.controller:
            return ref.kind, ref.name
    return None


def _container(status: k8s.V1ContainerStatus) -> ContainerStatus:
    state = status.state or k8s.V1ContainerState()
    last = status.last_state.terminated if status.last_state else None
    if state.waiting is not None:
        kind, reason = "waiting", state.waiting.reason
    elif state.terminated is not None:
        kind, reason = "terminated", state.terminated.reason
    else:
        kind, reason = "running", None
    return ContainerStatus(
        name=status.name, image=status.image or "", ready=bool(status.ready),
        restarts=status.restart_count or 0, state=kind, reason=reason,
        last_termination_reason=last.reason if last else None,
        last_exit_code=last.exit_code if last else None)


def _conditions(conditions: Sequence[k8s.V1NodeCondition | k8s.V1PodCondition] | None,
                ) -> list[Condition]:
    return [Condition(type=c.type, status=c.status, reason=c.reason or "",
                      message=c.message or "") for c in conditions or []]


def _node_ready(node: k8s.V1Node) -> str:
    found = next((c.status for c in (node.status.conditions if node.status else None) or []
                  if c.type == "Ready"), None)
    return found or "Unknown"


def _pressure(node: k8s.V1Node) -> list[str]:
    return [c.type for c in (node.status.conditions if node.status else None) or []
            if c.type in PRESSURE_CONDITIONS and c.status == "True"]


def _node_row(node: k8s.V1Node, pods: int, now: datetime) -> NodeRow:
    created = meta(node).creation_timestamp
    return NodeRow(
        name=name_of(node), ready=_node_ready(node),
        unschedulable=bool(node.spec and node.spec.unschedulable), pressure=_pressure(node),
        roles=sorted(k.removeprefix(_ROLE_LABEL) for k in meta(node).labels or {}
                     if k.startswith(_ROLE_LABEL)),
        kubelet_version=node.status.node_info.kubelet_version
        if node.status and node.status.node_info else None,
        pods=pods, age=render.age(now - created) if created else None)


def _creation_order(job: k8s.V1Job) -> tuple[bool, datetime | None, str]:
    """Oldest first, any without a creation time last, ties by name."""
    created = meta(job).creation_timestamp
    return created is None, created, name_of(job)


def _job_status(job: k8s.V1Job) -> str:
    for condition in (job.status.conditions if job.status else None) or []:
        if condition.status == "True" and condition.type in ("Failed", "Complete"):
            return str(condition.type)
    return "Suspended" if job.spec and job.spec.suspend else "Running"


def _job_condition(job: k8s.V1Job) -> k8s.V1JobCondition | None:
    return next((c for c in (job.status.conditions if job.status else None) or []
                 if c.status == "True" and c.type in ("Failed", "Complete")), None)


class KubernetesObjects:
    """The tools beyond Deployments, sharing KubernetesTools' cluster, clock and scope."""

    def __init__(self, workloads: KubernetesTools, clock: Callable[[], datetime]) -> None:
        self._workloads = workloads
        self.cluster = workloads.cluster
        self._clock = clock

    def _in_scope(self, namespace: str) -> None:
        self._workloads.in_scope(namespace)

    def _scoped_pods(self, node: str | None = None) -> list[k8s.V1Pod]:
        """Pods opsbot may see (every namespace, or the configured ones), on one node."""
        found: list[k8s.V1Pod] = []
        for namespace in self._workloads.namespaces or (None,):
            if node is None:
                found.extend(self.cluster.pods(namespace))
            else:
                found.extend(self.cluster.pods_on_node(node, namespace))
        return found

    # --- inventory -------------------------------------------------------------------

    def node_infos(self) -> list[NodeInfo]:
        """Nodes and the pods on them; none when the credentials may not list nodes
        (the single-namespace deployment): the node tools then fail with the API's 403."""
        try:
            nodes = self.cluster.nodes()
        except HttpFailure as exc:
            if exc.status == 403:
                return []
            raise
        pods: dict[str, list[str]] = {}
        for pod in self._scoped_pods():
            if pod.spec and pod.spec.node_name:
                pods.setdefault(pod.spec.node_name, []).append(
                    f"{namespace_of(pod)}/{name_of(pod)}")
        return [NodeInfo(name=name_of(n),
                         unschedulable=bool(n.spec and n.spec.unschedulable),
                         pods=tuple(sorted(pods.get(name_of(n), []))))
                for n in nodes]

    def batch_infos(self) -> tuple[list[JobInfo], list[CronJobInfo]]:
        """Jobs with their pods, and CronJobs with their runs (oldest first), of the
        namespaces opsbot may see; none where the credentials may not list them (a Role
        without batch access): the Job tools then fail with the API's 403."""
        jobs: list[k8s.V1Job] = []
        crons: list[k8s.V1CronJob] = []
        try:
            for namespace in self._workloads.namespaces or (None,):
                jobs.extend(self.cluster.jobs(namespace))
                crons.extend(self.cluster.cronjobs(namespace))
        except HttpFailure as exc:
            if exc.status == 403:
                return [], []
            raise
        pods: dict[tuple[str, str], list[str]] = {}
        for pod in self._scoped_pods():
            if (job := controller_of(meta(pod), "Job")) is not None:
                pods.setdefault((namespace_of(pod), job), []).append(name_of(pod))
        jobs.sort(key=_creation_order)
        job_infos = [JobInfo(namespace=namespace_of(j), name=name_of(j),
                             cronjob=controller_of(meta(j), "CronJob"), status=_job_status(j),
                             pods=tuple(sorted(pods.get((namespace_of(j), name_of(j)), []))))
                     for j in jobs]
        cron_infos = [CronJobInfo(namespace=namespace_of(c), name=name_of(c),
                                  suspended=bool(c.spec and c.spec.suspend),
                                  jobs=tuple(j.name for j in job_infos
                                             if (j.namespace, j.cronjob)
                                             == (namespace_of(c), name_of(c))))
                      for c in crons]
        return job_infos, cron_infos

    # --- pods ------------------------------------------------------------------------

    def _deployment_of(self, namespace: str, owner: tuple[str, str] | None) -> str | None:
        if owner is None or owner[0] != "ReplicaSet":
            return None
        rs = next((r for r in self.cluster.replica_sets(namespace)
                   if name_of(r) == owner[1]), None)
        return deployment_of(rs) if rs is not None else None

    def describe_pod(self, args: PodArgs) -> ToolOutput:
        self._in_scope(args.namespace)
        pod = self.cluster.pod(args.namespace, args.pod)
        state = pod_state(pod)
        owner = _owner(meta(pod))
        events, note = self._workloads.recent_events(args.namespace, "Pod", args.pod)
        data = PodDescription(
            namespace=args.namespace, name=args.pod,
            node=pod.spec.node_name if pod.spec else None, phase=state.phase,
            ready=state.ready, reason=state.reason,
            owner=f"{owner[0]}/{owner[1]}" if owner else None,
            deployment=self._deployment_of(args.namespace, owner),
            containers=[_container(c) for c in (pod.status.container_statuses
                                                if pod.status else None) or []],
            conditions=_conditions(pod.status.conditions if pod.status else None),
            events=events)
        text = pod_text(data)
        return ToolOutput(text=f"{text}\n  unavailable: {note}" if note else text, data=data)

    def delete_pod(self, args: PodArgs, *, dry_run: bool) -> Change:
        self._in_scope(args.namespace)
        pod = self.cluster.pod(args.namespace, args.pod)
        owner = _owner(meta(pod))
        if owner is None:
            raise ToolFailure(f"pod {args.namespace}/{args.pod} has no controller: deleting "
                              "it would remove it for good, not replace it")
        state = pod_state(pod)
        deployment = self._deployment_of(args.namespace, owner)
        replaced_by = f"Deployment/{deployment}" if deployment else f"{owner[0]}/{owner[1]}"
        self.cluster.delete_pod(args.namespace, args.pod, resource_version_of(pod),
                                dry_run=dry_run)
        grace = pod.spec.termination_grace_period_seconds if pod.spec else None
        return Change(
            summary=f"delete pod {args.namespace}/{args.pod} (graceful, "
                    f"{grace if grace is not None else 30} s)",
            details=(f"phase {state.phase} -> Terminating; controlled by {owner[0]}/{owner[1]}, "
                     f"which starts a replacement",
                     f"node {pod.spec.node_name if pod.spec else '-'}; {state.restarts} "
                     f"restarts, {state.reason or state.last_termination_reason or 'no reason'}",
                     *_dry(dry_run)),
            changed=PodDeletion(pod=args.pod, node=pod.spec.node_name if pod.spec else None,
                                owner=f"{owner[0]}/{owner[1]}",
                                phase=FromTo(before=state.phase, after="Terminating"),
                                replaced_by=replaced_by))

    # --- nodes -----------------------------------------------------------------------

    def list_nodes(self) -> ToolOutput:
        nodes = self.cluster.nodes()
        counts = Counter(p.spec.node_name for p in self._scoped_pods() if p.spec)
        now = self._clock()
        rows = [_node_row(n, counts[name_of(n)], now) for n in nodes]
        data = NodeList(nodes=rows)
        return ToolOutput(text=nodes_text(data), data=data)

    def describe_node(self, args: NodeArgs) -> ToolOutput:
        node = self.cluster.node(args.node)
        status = node.status or k8s.V1NodeStatus()
        pods = [pod_state(p) for p in self._scoped_pods(args.node)]
        data = NodeDescription(
            name=args.node, ready=_node_ready(node),
            unschedulable=bool(node.spec and node.spec.unschedulable), pressure=_pressure(node),
            conditions=_conditions(status.conditions),
            taints=[Taint(key=t.key, value=t.value, effect=t.effect)
                    for t in (node.spec.taints if node.spec else None) or []],
            capacity=dict(status.capacity or {}), allocatable=dict(status.allocatable or {}),
            pods=[NodePod(namespace=p.namespace, name=p.name, phase=p.phase, ready=p.ready)
                  for p in pods],
            kubelet_version=status.node_info.kubelet_version if status.node_info else None)
        return ToolOutput(text=node_text(data), data=data)

    def cordon(self, args: NodeArgs, unschedulable: bool, *, dry_run: bool) -> Change:
        node = self.cluster.node(args.node)
        before = bool(node.spec and node.spec.unschedulable)
        verb = "cordon" if unschedulable else "uncordon"
        pods = [f"{namespace_of(p)}/{name_of(p)}"
                for p in self._scoped_pods(args.node)]
        if before == unschedulable:
            # Nothing is sent: a patch would only bump the node's resourceVersion.
            refusal, summary = cordon_in_place(args.node, unschedulable)
            return Change(summary=summary, details=(), unchanged=refusal,
                          changed=CordonChange(node=args.node,
                                               unschedulable=FromTo(before=before, after=before),
                                               pods_on_node=pods))
        # What kubectl sends, plus the resourceVersion read: a node changed since is a 409.
        patch = {"metadata": {"resourceVersion": resource_version_of(node)},
                 "spec": {"unschedulable": True if unschedulable else None}}
        result = self.cluster.patch_node(args.node, patch, dry_run=dry_run)
        after = bool(result.spec and result.spec.unschedulable)
        return Change(
            summary=f"{verb} node {args.node}: unschedulable {before} -> {after}",
            details=(f"{len(pods)} pods on the node keep running: "
                     f"{', '.join(pods[:10]) or 'none'}{' ...' if len(pods) > 10 else ''}",
                     *_dry(dry_run)),
            changed=CordonChange(node=args.node,
                                 unschedulable=FromTo(before=before, after=after),
                                 pods_on_node=pods))

    # --- Jobs and CronJobs -----------------------------------------------------------

    def _job_pods(self, namespace: str, job: str) -> list[JobPod]:
        pods = []
        for pod in self.cluster.pods(namespace):
            if controller_of(meta(pod), "Job") != job:
                continue
            ended = [c.state.terminated for c in (pod.status.container_statuses
                                                   if pod.status else None) or []
                     if c.state and c.state.terminated]
            state = pod_state(pod)
            pods.append(JobPod(name=state.name, phase=state.phase,
                               reason=ended[0].reason if ended else state.reason,
                               exit_code=ended[0].exit_code if ended else None))
        return pods

    def _description(self, job: k8s.V1Job) -> JobDescription:
        status = job.status or k8s.V1JobStatus()
        condition = _job_condition(job)
        return JobDescription(
            namespace=namespace_of(job), name=name_of(job),
            cronjob=controller_of(meta(job), "CronJob"), status=_job_status(job),
            active=status.active or 0, succeeded=status.succeeded or 0,
            failed=status.failed or 0, started_at=_iso(status.start_time),
            finished_at=_iso(status.completion_time
                             or (condition.last_transition_time if condition else None)),
            reason=condition.reason if condition and condition.type == "Failed" else None,
            message=condition.message if condition and condition.type == "Failed" else None,
            pods=self._job_pods(namespace_of(job), name_of(job)))

    def describe_job(self, args: JobArgs) -> ToolOutput:
        self._in_scope(args.namespace)
        data = self._description(self.cluster.job(args.namespace, args.job))
        return ToolOutput(text=job_text(data), data=data)

    def list_cronjobs(self, args: ListCronJobsArgs) -> ToolOutput:
        self._in_scope(args.namespace)
        jobs = self.cluster.jobs(args.namespace)
        rows = []
        for cron in self.cluster.cronjobs(args.namespace):
            runs = sorted((j for j in jobs
                           if controller_of(meta(j), "CronJob") == name_of(cron)),
                          key=_creation_order)
            status = cron.status or k8s.V1CronJobStatus()
            rows.append(CronJobRow(
                name=name_of(cron), schedule=cron.spec.schedule,
                suspended=bool(cron.spec.suspend), active=len(status.active or []),
                last_schedule=_iso(status.last_schedule_time),
                last_successful=_iso(status.last_successful_time),
                jobs=[name_of(j) for j in runs],
                last_job_status=_job_status(runs[-1]) if runs else None))
        data = CronJobList(namespace=args.namespace, cronjobs=rows)
        return ToolOutput(text=cronjobs_text(data), data=data)

    def suspend(self, args: CronJobArgs, suspend: bool, *, dry_run: bool) -> Change:
        self._in_scope(args.namespace)
        cron = self.cluster.cronjob(args.namespace, args.cronjob)
        before = bool(cron.spec.suspend)
        verb = "suspend" if suspend else "resume"
        key = f"{args.namespace}/{args.cronjob}"
        active = [referenced_name(ref)
                  for ref in (cron.status.active if cron.status else None) or []]
        if before == suspend:
            # Nothing is sent: a patch would only bump the CronJob's resourceVersion.
            refusal, summary = suspension_in_place(args.namespace, args.cronjob, suspend)
            return Change(summary=summary, details=(), unchanged=refusal,
                          changed=SuspendChange(cronjob=args.cronjob,
                                                suspended=FromTo(before=before, after=before),
                                                active_jobs=active))
        patch = {"metadata": {"resourceVersion": resource_version_of(cron)},
                 "spec": {"suspend": suspend}}
        result = self.cluster.patch_cronjob(args.namespace, args.cronjob, patch,
                                            dry_run=dry_run)
        effect = ("no new runs start" if suspend
                  else f"runs on its schedule {cron.spec.schedule!r} again")
        return Change(
            summary=f"{verb} cronjob {key}: suspend {before} -> {bool(result.spec.suspend)}",
            details=(effect, f"running jobs carry on: {', '.join(active) or 'none'}",
                     *_dry(dry_run)),
            changed=SuspendChange(cronjob=args.cronjob,
                                  suspended=FromTo(before=before,
                                                   after=bool(result.spec.suspend)),
                                  active_jobs=active))

    def delete_failed_job(self, args: JobArgs, *, dry_run: bool) -> Change:
        self._in_scope(args.namespace)
        job = self.cluster.job(args.namespace, args.job)
        described = self._description(job)
        key = f"{args.namespace}/{args.job}"
        if described.status != "Failed":
            raise ToolFailure(f"job {key} is {described.status}, not Failed: "
                              "delete_failed_job only removes failed jobs")
        self.cluster.delete_job(args.namespace, args.job, resource_version_of(job),
                                dry_run=dry_run)
        pods = [p.name for p in described.pods]
        return Change(
            summary=f"delete failed job {key} and its {len(pods)} pods",
            details=(f"status Failed: {described.reason or '-'} {described.message or ''}"
                     .rstrip(),
                     f"pods deleted (their logs go with them): {', '.join(pods) or 'none'}",
                     f"owned by CronJob {described.cronjob}, which keeps its schedule"
                     if described.cronjob else "not owned by a CronJob", *_dry(dry_run)),
            changed=JobDeletion(job=args.job, status=described.status,
                                cronjob=described.cronjob, pods_deleted=pods))

    # --- volume claims ---------------------------------------------------------------

    def volume_claims(self, namespace: str) -> list[VolumeClaimRow]:
        self._in_scope(namespace)
        rows = []
        for claim in self.cluster.volume_claims(namespace):
            status = claim.status or k8s.V1PersistentVolumeClaimStatus()
            storage = (status.capacity or {}).get("storage")
            spec = spec_of(claim)
            rows.append(VolumeClaimRow(
                name=name_of(claim), phase=status.phase or "Pending",
                volume=spec.volume_name, storage_class=spec.storage_class_name,
                access_modes=list(spec.access_modes or []),
                capacity_bytes=int(parse_quantity(storage)) if storage else None))
        return rows
