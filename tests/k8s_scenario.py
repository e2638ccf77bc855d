"""A sandbox world loaded into the Kubernetes API stand-in (tests/k8s_standin.py) as a
cluster running it would hold it, so the real backend's Kubernetes half can answer the
same questions the sandbox answers.

Per deployment: a Deployment labelled so KubernetesTools.service_of finds the world's
service; one ReplicaSet per revision of its history (revision and change-cause
annotations, the revision's image, the world's pod-template-hash, created when the revision
was deployed); each pod with its exact name, owned by the ReplicaSet of its revision, with
its phase, readiness, restart count, last termination and container state; its logs and
previous logs per container; and the deployment's status (replica counts and conditions)
as the sandbox describes it. The world's events, each about the object it names.

Nodes as the sandbox describes them (conditions, taints, capacity, cordon), with each pod
bound to its node; CronJobs with their Jobs and standalone Jobs (status conditions,
counts, pods with their terminated containers), PersistentVolumeClaims with their
capacity (usage stays in the metrics, where the kubelet reports it), and ResourceQuotas
with the hard limits and usage the quota controller writes into their status.
A StatefulSet or DaemonSet is stored as its controller leaves it: one ControllerRevision
per revision of its history (the revision's template as a replace patch, change-cause,
created when it was deployed), its pods labelled controller-revision-hash and owned by
the workload itself, and its status counts.

What Kubernetes has no place for stays out: whether an old revision was healthy, error
ratios, traffic. The objects are stored as they are (K8sStandin.put), without the
stand-in's deployment controller, so nothing is recomputed on the way in.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from k8s_standin import (
    CHANGE_CAUSE,
    CONTROLLERREVISIONS,
    CRONJOBS,
    DEPLOYMENTS,
    EVENTS,
    JOBS,
    NODES,
    PODS,
    PVCS,
    REPLICASETS,
    RESOURCEQUOTAS,
    REVISION,
    REVISION_LABEL,
    SETS,
    TEMPLATE_HASH,
    K8sStandin,
    to_json,
)
from kubernetes import client as k8s

from tools.catalog import DeploymentArgs
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.node_tools import NodeArgs
from tools.sandbox import SandboxBackend
from tools.sandbox.cluster_objects import (
    CronJobSpec,
    JobSpec,
    ResourceQuotaSpec,
    VolumeClaimSpec,
)
from tools.sandbox.scenario import Revision
from tools.sandbox.world import Deployment, Event, Pod, World

SERVICE_LABEL = "app.kubernetes.io/name"  # the first of the real backend's service labels
NAME_LABEL = "app"
TIMEOUT_SECONDS = 5.0
# Exit codes the kubelet reports with these termination reasons; others count as a crash.
_EXIT_CODES = {"OOMKilled": 137, "Completed": 0}
_TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def load_world(standin: K8sStandin, sandbox: SandboxBackend) -> None:
    """Store ``sandbox``'s namespaces, deployments, ReplicaSets, pods and logs as they
    stand at its now."""
    world = World.model_validate(sandbox.state())
    for namespace in world.namespaces():
        standin.add_namespace(namespace)
    for dep in world.deployments:
        if dep.kind != "Deployment":
            _load_set(standin, dep)
            continue
        described = sandbox.describe_deployment(
            DeploymentArgs(namespace=dep.namespace, deployment=dep.name)).json_data()
        _load_deployment(standin, dep, described["conditions"])
    for node in world.nodes:
        standin.put(NODES, _node(sandbox.describe_node(NodeArgs(node=node.name)).json_data()))
    for cron in world.cronjobs:
        cron_uid = _uid("CronJob", cron.namespace, cron.name)
        standin.put(CRONJOBS, _cronjob(cron, cron_uid))
        for job in cron.jobs:
            _load_job(standin, cron.namespace, job, _batch_owner("CronJob", cron.name, cron_uid))
    for job in world.jobs:
        _load_job(standin, job.namespace, job, None)
    for claim in world.volume_claims:
        standin.put(PVCS, _claim(claim))
    for quota in world.resource_quotas:
        standin.put(RESOURCEQUOTAS, _quota(quota))
    for i, event in enumerate(world.events):
        standin.put(EVENTS, _event(event, i))


def _event(event: Event, index: int) -> k8s.CoreV1Event:
    return k8s.CoreV1Event(
        api_version="v1", kind="Event",
        metadata=k8s.V1ObjectMeta(name=f"{event.name}.{index:x}", namespace=event.namespace),
        involved_object=k8s.V1ObjectReference(kind=event.kind, name=event.name,
                                              namespace=event.namespace),
        type=event.type, reason=event.reason, message=event.message, count=event.count,
        last_timestamp=event.last_seen)


def kubernetes_tools(standin: K8sStandin, clock: Callable[[], datetime]) -> KubernetesTools:
    """The real backend's Kubernetes half, over the stand-in through the official client."""
    return KubernetesTools(Cluster(k8s.ApiClient(standin.configuration()), TIMEOUT_SECONDS),
                           clock)


def _uid(kind: str, namespace: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"k8s-scenario/{kind}/{namespace}/{name}"))


def _owner(kind: str, name: str, uid: str) -> k8s.V1OwnerReference:
    return k8s.V1OwnerReference(api_version="apps/v1", kind=kind, name=name, uid=uid,
                                controller=True, block_owner_deletion=True)


def _memory_quantity(mib: float) -> str:
    return f"{Decimal(repr(mib)).normalize():f}Mi"


def _labels(dep: Deployment) -> dict[str, str]:
    return {SERVICE_LABEL: dep.service, NAME_LABEL: dep.name}


def _template(dep: Deployment, rev: Revision, template_hash: str | None) -> k8s.V1PodTemplateSpec:
    labels = _labels(dep) | ({TEMPLATE_HASH: template_hash} if template_hash else {})
    limits = {"memory": _memory_quantity(dep.memory.limit_mib)} if dep.memory else None
    container = k8s.V1Container(name=dep.container, image=rev.image,
                                resources=k8s.V1ResourceRequirements(limits=limits))
    return k8s.V1PodTemplateSpec(metadata=k8s.V1ObjectMeta(labels=labels),
                                 spec=k8s.V1PodSpec(containers=[container]))


def _load_deployment(standin: K8sStandin, dep: Deployment,
                     conditions: list[dict[str, str]]) -> None:
    uid = _uid("Deployment", dep.namespace, dep.name)
    current = dep.current
    ready = sum(p.ready for p in dep.pods)
    deployed = [r.deployed_at for r in dep.history if r.deployed_at is not None]
    standin.put(DEPLOYMENTS, k8s.V1Deployment(
        api_version="apps/v1", kind="Deployment",
        metadata=k8s.V1ObjectMeta(
            name=dep.name, namespace=dep.namespace, uid=uid, labels=_labels(dep),
            generation=1, creation_timestamp=min(deployed, default=None),
            annotations={REVISION: str(dep.revision), CHANGE_CAUSE: current.change}),
        spec=k8s.V1DeploymentSpec(
            replicas=dep.replicas,
            selector=k8s.V1LabelSelector(match_labels={NAME_LABEL: dep.name}),
            template=_template(dep, current, None),
            # The API server's defaults, which the sandbox describes as its strategy.
            strategy=k8s.V1DeploymentStrategy(type="RollingUpdate", rolling_update=(
                k8s.V1RollingUpdateDeployment(max_unavailable="25%", max_surge="25%")))),
        status=k8s.V1DeploymentStatus(
            observed_generation=1, replicas=len(dep.pods),
            updated_replicas=sum(p.revision == dep.revision for p in dep.pods),
            ready_replicas=ready, available_replicas=ready,
            unavailable_replicas=max(0, dep.replicas - ready),
            conditions=[k8s.V1DeploymentCondition(**c) for c in conditions]),
    ))
    for rev in dep.history:
        _load_revision(standin, dep, rev, _owner("Deployment", dep.name, uid))


def _load_set(standin: K8sStandin, dep: Deployment) -> None:
    uid = _uid(dep.kind, dep.namespace, dep.name)
    ready = sum(p.ready for p in dep.pods)
    updated = sum(p.revision == dep.revision for p in dep.pods)
    deployed = [r.deployed_at for r in dep.history if r.deployed_at is not None]
    meta = k8s.V1ObjectMeta(name=dep.name, namespace=dep.namespace, uid=uid,
                            labels=_labels(dep), generation=1,
                            creation_timestamp=min(deployed, default=None),
                            annotations={CHANGE_CAUSE: dep.current.change})
    selector = k8s.V1LabelSelector(match_labels={NAME_LABEL: dep.name})
    template = _template(dep, dep.current, None)
    labels = {r.revision: _revision_label(dep, r) for r in dep.history}
    if dep.kind == "StatefulSet":
        model: object = k8s.V1StatefulSet(
            api_version="apps/v1", kind=dep.kind, metadata=meta,
            spec=k8s.V1StatefulSetSpec(replicas=dep.replicas, service_name=dep.name,
                                       selector=selector, template=template),
            status=k8s.V1StatefulSetStatus(
                observed_generation=1, replicas=len(dep.pods), ready_replicas=ready,
                available_replicas=ready, current_replicas=len(dep.pods) - updated,
                updated_replicas=updated, update_revision=labels[dep.revision]))
    else:
        model = k8s.V1DaemonSet(
            api_version="apps/v1", kind=dep.kind, metadata=meta,
            spec=k8s.V1DaemonSetSpec(selector=selector, template=template),
            status=k8s.V1DaemonSetStatus(
                observed_generation=1, desired_number_scheduled=dep.replicas,
                current_number_scheduled=len(dep.pods), number_ready=ready,
                number_available=ready, number_unavailable=max(0, dep.replicas - ready),
                number_misscheduled=0, updated_number_scheduled=updated))
    standin.put(SETS[dep.kind], model)
    owner = _owner(dep.kind, dep.name, uid)
    for rev in dep.history:
        snapshot = to_json(_template(dep, rev, None))
        standin.put(CONTROLLERREVISIONS, k8s.V1ControllerRevision(
            api_version="apps/v1", kind="ControllerRevision",
            metadata=k8s.V1ObjectMeta(
                name=f"{dep.name}-{dep.template_hash(rev)}", namespace=dep.namespace,
                uid=_uid("ControllerRevision", dep.namespace, f"{dep.name}/{rev.revision}"),
                labels=_labels(dep), creation_timestamp=rev.deployed_at,
                annotations={CHANGE_CAUSE: rev.change}, owner_references=[owner]),
            data={"spec": {"template": {**snapshot, "$patch": "replace"}}},
            revision=rev.revision))
        pod_template = _template(dep, rev, None)
        pod_template.metadata.labels[REVISION_LABEL] = labels[rev.revision]
        for pod in (p for p in dep.pods if p.revision == rev.revision):
            standin.put(PODS, _pod(dep, pod, pod_template, owner))
            standin.container_logs[(dep.namespace, pod.name, dep.container)] = (
                list(pod.logs), list(pod.previous_logs))


def _revision_label(dep: Deployment, rev: Revision) -> str:
    """A StatefulSet's pods name their ControllerRevision; a DaemonSet's, its hash."""
    digest = dep.template_hash(rev)
    return f"{dep.name}-{digest}" if dep.kind == "StatefulSet" else digest


def _load_revision(standin: K8sStandin, dep: Deployment, rev: Revision,
                   owner: k8s.V1OwnerReference) -> None:
    template_hash = dep.template_hash(rev)
    name = f"{dep.name}-{template_hash}"
    uid = _uid("ReplicaSet", dep.namespace, name)
    template = _template(dep, rev, template_hash)
    pods = [p for p in dep.pods if p.revision == rev.revision]
    ready = sum(p.ready for p in pods)
    standin.put(REPLICASETS, k8s.V1ReplicaSet(
        api_version="apps/v1", kind="ReplicaSet",
        metadata=k8s.V1ObjectMeta(
            name=name, namespace=dep.namespace, uid=uid, labels=template.metadata.labels,
            creation_timestamp=rev.deployed_at, owner_references=[owner],
            annotations={REVISION: str(rev.revision), CHANGE_CAUSE: rev.change}),
        spec=k8s.V1ReplicaSetSpec(
            replicas=len(pods), template=template,
            selector=k8s.V1LabelSelector(
                match_labels={NAME_LABEL: dep.name, TEMPLATE_HASH: template_hash})),
        status=k8s.V1ReplicaSetStatus(replicas=len(pods), ready_replicas=ready,
                                      available_replicas=ready,
                                      fully_labeled_replicas=len(pods), observed_generation=1),
    ))
    for pod in pods:
        standin.put(PODS, _pod(dep, pod, template, _owner("ReplicaSet", name, uid)))
        standin.container_logs[(dep.namespace, pod.name, dep.container)] = (
            list(pod.logs), list(pod.previous_logs))


def _pod(dep: Deployment, pod: Pod, template: k8s.V1PodTemplateSpec,
         owner: k8s.V1OwnerReference) -> k8s.V1Pod:
    if pod.phase in _TERMINAL_PHASES:
        # A finished pod's containers are terminated with reasons the sandbox does not
        # record; made-up ones would read back as failures it never reported.
        raise ValueError(f"pod {dep.namespace}/{pod.name}: phase {pod.phase} cannot be loaded "
                         "(its container termination is not in the sandbox world)")
    [container] = template.spec.containers
    ready = str(pod.ready)
    return k8s.V1Pod(
        api_version="v1", kind="Pod",
        metadata=k8s.V1ObjectMeta(
            name=pod.name, namespace=dep.namespace, uid=_uid("Pod", dep.namespace, pod.name),
            labels=template.metadata.labels, creation_timestamp=pod.created_at,
            owner_references=[owner]),
        spec=k8s.V1PodSpec(containers=template.spec.containers, node_name=pod.node),
        status=k8s.V1PodStatus(
            phase=pod.phase, start_time=pod.created_at,
            conditions=[k8s.V1PodCondition(type=kind, status=status) for kind, status in (
                ("Initialized", "True"), ("Ready", ready), ("ContainersReady", ready),
                ("PodScheduled", "True"))],
            container_statuses=[_container_status(pod, container)]),
    )


def _container_status(pod: Pod, container: k8s.V1Container) -> k8s.V1ContainerStatus:
    running = pod.reason is None and pod.phase == "Running"
    if running:
        state = k8s.V1ContainerState(
            running=k8s.V1ContainerStateRunning(started_at=pod.container_started_at))
    else:
        state = k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason=pod.reason))
    last = k8s.V1ContainerState()
    if pod.restarts or pod.last_termination_reason:
        last = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
            exit_code=_EXIT_CODES.get(pod.last_termination_reason or "", 1),
            reason=pod.last_termination_reason, finished_at=pod.last_restart_at))
    # A container still being created has no image pulled yet, so no image id.
    pulled = pod.phase != "Pending"
    digest = hashlib.sha256(str(container.image).encode()).hexdigest()
    return k8s.V1ContainerStatus(
        name=container.name, image=container.image,
        image_id=f"{container.image}@sha256:{digest}" if pulled else "",
        ready=pod.ready, restart_count=pod.restarts, started=running, state=state,
        last_state=last)



def _node(described: dict) -> k8s.V1Node:
    return k8s.V1Node(
        api_version="v1", kind="Node",
        metadata=k8s.V1ObjectMeta(name=described["name"], uid=_uid("Node", "", described["name"])),
        spec=k8s.V1NodeSpec(unschedulable=described["unschedulable"] or None,
                            taints=[k8s.V1Taint(**t) for t in described["taints"]] or None),
        status=k8s.V1NodeStatus(
            conditions=[k8s.V1NodeCondition(**c) for c in described["conditions"]],
            capacity=described["capacity"], allocatable=described["allocatable"]))


def _batch_owner(kind: str, name: str, uid: str) -> k8s.V1OwnerReference:
    return k8s.V1OwnerReference(api_version="batch/v1", kind=kind, name=name, uid=uid,
                                controller=True, block_owner_deletion=True)


def _cronjob(cron: CronJobSpec, uid: str) -> k8s.V1CronJob:
    running = [j for j in cron.jobs if j.status == "Running"]
    return k8s.V1CronJob(
        api_version="batch/v1", kind="CronJob",
        metadata=k8s.V1ObjectMeta(name=cron.name, namespace=cron.namespace, uid=uid),
        spec=k8s.V1CronJobSpec(schedule=cron.schedule, suspend=cron.suspended,
                               job_template=k8s.V1JobTemplateSpec()),
        status=k8s.V1CronJobStatus(
            last_schedule_time=cron.last_schedule, last_successful_time=cron.last_successful,
            active=[k8s.V1ObjectReference(kind="Job", name=j.name, namespace=cron.namespace)
                    for j in running] or None))


def _load_job(standin: K8sStandin, namespace: str, job: JobSpec,
              owner: k8s.V1OwnerReference | None) -> None:
    uid = _uid("Job", namespace, job.name)
    done = [k8s.V1JobCondition(type=job.status, status="True", reason=job.reason,
                               message=job.message, last_transition_time=job.finished_at)
            ] if job.status in ("Complete", "Failed") else None
    container = k8s.V1Container(name=job.container, image=job.image)
    standin.put(JOBS, k8s.V1Job(
        api_version="batch/v1", kind="Job",
        metadata=k8s.V1ObjectMeta(name=job.name, namespace=namespace, uid=uid,
                                  creation_timestamp=job.started_at,
                                  owner_references=[owner] if owner else None),
        spec=k8s.V1JobSpec(suspend=job.status == "Suspended" or None,
                           template=k8s.V1PodTemplateSpec(
                               spec=k8s.V1PodSpec(containers=[container]))),
        status=k8s.V1JobStatus(active=job.active or None, succeeded=job.succeeded or None,
                               failed=job.failed or None, start_time=job.started_at,
                               completion_time=job.finished_at
                               if job.status == "Complete" else None,
                               conditions=done)))
    for pod in job.pods:
        ended = pod.phase in _TERMINAL_PHASES
        state = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
            exit_code=pod.exit_code if pod.exit_code is not None else 0,
            reason=pod.reason)) if ended else k8s.V1ContainerState(
            running=k8s.V1ContainerStateRunning())
        ready = str(pod.ready)
        standin.put(PODS, k8s.V1Pod(
            api_version="v1", kind="Pod",
            metadata=k8s.V1ObjectMeta(name=pod.name, namespace=namespace,
                                      uid=_uid("Pod", namespace, pod.name),
                                      owner_references=[_batch_owner("Job", job.name, uid)]),
            spec=k8s.V1PodSpec(containers=[container], node_name=pod.node),
            status=k8s.V1PodStatus(
                phase=pod.phase,
                conditions=[k8s.V1PodCondition(type=kind, status=status) for kind, status in (
                    ("Initialized", "True"), ("Ready", ready), ("ContainersReady", ready),
                    ("PodScheduled", str(pod.node is not None)))],
                container_statuses=[k8s.V1ContainerStatus(
                    name=job.container, image=job.image, image_id="", ready=pod.ready,
                    restart_count=0, started=pod.phase == "Running", state=state)])))
        standin.container_logs[(namespace, pod.name, job.container)] = (list(pod.logs), [])


def _claim(claim: VolumeClaimSpec) -> k8s.V1PersistentVolumeClaim:
    return k8s.V1PersistentVolumeClaim(
        api_version="v1", kind="PersistentVolumeClaim",
        metadata=k8s.V1ObjectMeta(name=claim.name, namespace=claim.namespace,
                                  uid=_uid("PersistentVolumeClaim", claim.namespace, claim.name)),
        spec=k8s.V1PersistentVolumeClaimSpec(access_modes=list(claim.access_modes),
                                             storage_class_name=claim.storage_class,
                                             volume_name=claim.volume),
        status=k8s.V1PersistentVolumeClaimStatus(phase=claim.phase,
                                                 capacity={"storage": claim.capacity}))


def _quota(quota: ResourceQuotaSpec) -> k8s.V1ResourceQuota:
    # The controller counts every limited resource, writing 0 for what nothing uses.
    used = {resource: quota.used.get(resource, "0") for resource in quota.hard}
    return k8s.V1ResourceQuota(
        api_version="v1", kind="ResourceQuota",
        metadata=k8s.V1ObjectMeta(name=quota.name, namespace=quota.namespace,
                                  uid=_uid("ResourceQuota", quota.namespace, quota.name)),
        spec=k8s.V1ResourceQuotaSpec(hard=dict(quota.hard)),
        status=k8s.V1ResourceQuotaStatus(hard=dict(quota.hard), used=used))
