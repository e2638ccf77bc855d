"""Output models of the pod, node, Job/CronJob, volume-claim and resource-quota tools.

Same conventions as tools.outputs: what backends construct and planners, analyzers and
renderers read; fields only some backends fill are optional and left out when unset.
"""

from __future__ import annotations

from pydantic import Field

from tools.outputs import Condition, DeploymentEvent, FromTo, Output

# --- pods --------------------------------------------------------------------------------


class ContainerStatus(Output):
    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # running | waiting | terminated
    reason: str | None  # why it waits or ended: CrashLoopBackOff, OOMKilled, ...
    last_termination_reason: str | None
    last_exit_code: int | None


class PodDescription(Output):
    namespace: str
    name: str
    node: str | None
    phase: str
    ready: bool
    reason: str | None
    owner: str | None  # "ReplicaSet/checkout-6f7c9", "Job/nightly-123"
    deployment: str | None
    containers: list[ContainerStatus]
    conditions: list[Condition]
    events: list[DeploymentEvent] | None = None


class PodDeletion(Output):
    pod: str
    node: str | None
    owner: str | None
    phase: FromTo[str]
    replaced_by: str | None  # the controller that recreates it; None: the pod is gone
    pods_created: list[str] | None = None


# --- nodes -------------------------------------------------------------------------------

PRESSURE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


class Taint(Output):
    key: str
    value: str | None
    effect: str


class NodeRow(Output):
    name: str
    ready: str  # the Ready condition's status: True | False | Unknown
    unschedulable: bool
    pressure: list[str]  # pressure conditions that are True
    roles: list[str]
    kubelet_version: str | None
    pods: int
    age: str | None


class NodeList(Output):
    nodes: list[NodeRow]


class NodePod(Output):
    namespace: str
    name: str
    phase: str
    ready: bool


class NodeDescription(Output):
    name: str
    ready: str
    unschedulable: bool
    pressure: list[str]
    conditions: list[Condition]
    taints: list[Taint]
    capacity: dict[str, str]
    allocatable: dict[str, str]
    pods: list[NodePod]
    kubelet_version: str | None = None


class CordonChange(Output):
    node: str
    unschedulable: FromTo[bool]
    pods_on_node: list[str]  # "namespace/name": they keep running; only new pods go elsewhere


# --- Jobs and CronJobs -------------------------------------------------------------------


class JobPod(Output):
    name: str
    phase: str
    reason: str | None
    exit_code: int | None


class JobDescription(Output):
    namespace: str
    name: str
    cronjob: str | None
    status: str  # Running | Complete | Failed | Suspended
    active: int
    succeeded: int
    failed: int
    started_at: str | None
    finished_at: str | None
    reason: str | None
    message: str | None
    pods: list[JobPod]


class CronJobRow(Output):
    name: str
    schedule: str
    suspended: bool
    active: int
    last_schedule: str | None
    last_successful: str | None
    jobs: list[str]  # recent Jobs, oldest first
    last_job_status: str | None


class CronJobList(Output):
    namespace: str
    cronjobs: list[CronJobRow]


class SuspendChange(Output):
    cronjob: str
    suspended: FromTo[bool]
    active_jobs: list[str]  # keep running: suspending only stops new runs


class JobDeletion(Output):
    job: str
    status: str
    cronjob: str | None
    pods_deleted: list[str]


# --- volume claims -----------------------------------------------------------------------


class VolumeClaimRow(Output):
    name: str
    phase: str
    volume: str | None
    storage_class: str | None
    access_modes: list[str]
    capacity_bytes: int | None
    used_bytes: int | None = Field(None, description="from kubelet_volume_stats_used_bytes")
    used_fraction: float | None = None


class VolumeClaimList(Output):
    namespace: str
    claims: list[VolumeClaimRow]
    usage_note: str | None = None  # why usage is missing, when it is


# --- volumes and storage classes ---------------------------------------------------------


class VolumeDescription(Output):
    """A PersistentVolume as ``kubectl describe pv`` shows it."""

    name: str
    phase: str  # Pending | Available | Bound | Released | Failed
    capacity_bytes: int | None
    access_modes: list[str]
    reclaim_policy: str | None  # Retain | Delete | Recycle
    storage_class: str | None
    claim: str | None  # "namespace/name" of the claim it is bound to
    volume_mode: str | None = None  # Filesystem | Block
    source: str | None = None  # where the data lives: "csi ebs.csi.aws.com vol-0a1b", ...
    reason: str | None = None
    message: str | None = None


class StorageClassRow(Output):
    name: str
    provisioner: str
    reclaim_policy: str  # Delete | Retain
    volume_binding_mode: str  # Immediate | WaitForFirstConsumer
    allow_volume_expansion: bool  # whether its claims can grow in place
    default: bool  # the class of claims that name none


class StorageClassList(Output):
    storage_classes: list[StorageClassRow]


# --- services ----------------------------------------------------------------------------


class ServiceEndpoint(Output):
    pod: str | None  # the pod behind the address, when the endpoint names one
    address: str | None
    node: str | None
    ready: bool


class ServiceDescription(Output):
    """A Service and the endpoints behind it, as ``kubectl describe service`` shows them."""

    namespace: str
    name: str
    type: str | None  # ClusterIP | NodePort | LoadBalancer | ExternalName
    cluster_ip: str | None
    ports: list[str]  # "web 9093/TCP -> web"
    selector: dict[str, str] | None
    endpoints: list[ServiceEndpoint]


# --- resource quotas ---------------------------------------------------------------------


class QuotaResource(Output):
    """One resource a quota limits, its quantities as kubectl prints them."""

    resource: str  # requests.cpu, limits.memory, pods, count/jobs.batch, ...
    used: str  # "15500m"
    hard: str  # "16"
    # used / hard; None when the hard limit is 0, which refuses any use at all.
    ratio: float | None
    # ``used`` in the unit ``hard`` is written in ("15.5" of "16"), when they differ.
    used_as_hard: str | None = None


class ResourceQuotaRow(Output):
    name: str
    resources: list[QuotaResource]


class ResourceQuotaList(Output):
    namespace: str
    quotas: list[ResourceQuotaRow]
