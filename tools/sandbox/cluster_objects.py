"""Scenario format extensions: nodes, CronJobs with their Jobs, standalone Jobs,
PersistentVolumeClaims, storage classes and resource quotas. All optional, so every older
scenario loads unchanged.

The models are frozen and serve as the world's state as they are: a change (cordon,
suspend, delete) replaces the object with an updated copy.

    nodes:
      - name: ip-10-0-7-21
        ready: "True"                      # the Ready condition: True | False | Unknown
        pressure: [DiskPressure]           # conditions that are True
        unschedulable: false
        roles: [worker]
        capacity: {cpu: "4", memory: 16Gi, pods: "110", ephemeral-storage: 100Gi}
        allocatable: {cpu: 3920m, memory: 15Gi, pods: "110", ephemeral-storage: 92Gi}
        taints: [{key: dedicated, value: batch, effect: NoSchedule}]
    cronjobs:
      - namespace: billing
        name: nightly-invoices
        schedule: "0 2 * * *"
        suspended: false
        last_schedule: 2026-03-02T02:00:00Z
        last_successful: 2026-03-01T02:14:00Z
        jobs:                              # oldest first
          - name: nightly-invoices-29545320
            status: Failed                 # Running | Complete | Failed | Suspended
            failed: 6
            reason: BackoffLimitExceeded
            message: Job has reached the specified backoff limit
            pods: [{name: nightly-invoices-29545320-x7k2p, phase: Failed, reason: Error,
                    exit_code: 1, logs: [...]}]
    jobs: [{namespace: billing, name: ledger-backfill, status: Complete, ...}]
    volume_claims:
      - {namespace: data, name: data-ledger-0, capacity: 50Gi, storage_class: gp3,
         volume: pvc-3f1c, access_modes: [ReadWriteOnce]}
    # usage comes from metrics: kubelet_volume_stats_used_bytes and _capacity_bytes
    # series labelled {namespace, persistentvolumeclaim}; a claim with a `volume` is bound
    # to a PersistentVolume of that name, which takes the claim's capacity, access modes
    # and class, and the reclaim policy of that class when the scenario lists it
    storage_classes:
      - {name: gp3, provisioner: ebs.csi.aws.com, reclaim_policy: Delete,
         volume_binding_mode: WaitForFirstConsumer, allow_volume_expansion: true,
         default: true}
    resource_quotas:                       # what `kubectl describe quota` shows
      - namespace: shop
        name: shop-compute
        hard: {requests.cpu: "16", limits.memory: 64Gi, pods: "40"}
        used: {requests.cpu: 15500m, limits.memory: 48Gi, pods: "31"}  # omitted: 0

Pods of deployments gain an optional `node:`; pods created later are placed on a Ready,
schedulable node, the one with the fewest pods.
"""

from __future__ import annotations

from typing import Annotated, Literal

from kubernetes.utils.quantity import parse_quantity
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tools.args import K8sName

Pressure = Literal["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"]
JobStatus = Literal["Running", "Complete", "Failed", "Suspended"]
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
_DEFAULT_CAPACITY = {"cpu": "4", "memory": "16Gi", "pods": "110",
                     "ephemeral-storage": "100Gi"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaintSpec(Strict):
    key: str = Field(min_length=1)
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeSpec(Strict):
    name: K8sName
    ready: Literal["True", "False", "Unknown"] = "True"
    pressure: tuple[Pressure, ...] = ()
    unschedulable: bool = False
    roles: tuple[str, ...] = ()
    kubelet_version: str = "v1.29.4"
    capacity: dict[str, str] = Field(default_factory=lambda: dict(_DEFAULT_CAPACITY))
    allocatable: dict[str, str] | None = None  # omitted: the capacity
    taints: tuple[TaintSpec, ...] = ()
    created_at: AwareDatetime | None = None

    @property
    def schedulable(self) -> bool:
        return self.ready == "True" and not self.unschedulable and not any(
            t.effect == "NoSchedule" for t in self.taints)


class JobPodSpec(Strict):
    name: K8sName
    phase: Literal["Pending", "Running", "Succeeded", "Failed"]
    reason: str | None = None
    exit_code: int | None = None
    node: K8sName | None = None
    logs: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """What the kubelet reports: a running container whose readiness nothing fails is
        Ready (a Job's pods declare no readiness probe here); one that ended or waits is not.
        Every view of the pod (its description, its node's pods, a pod list) reads this."""
        return self.phase == "Running"


class JobSpec(Strict):
    name: K8sName
    status: JobStatus
    container: K8sName = "main"  # its pods' one container, as describe and logs name it
    image: str = ""
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    active: int = Field(0, ge=0)
    succeeded: int = Field(0, ge=0)
    failed: int = Field(0, ge=0)
    reason: str | None = None
    message: str | None = None
    pods: tuple[JobPodSpec, ...] = ()

    @model_validator(mode="after")
    def _finished_when_done(self) -> JobSpec:
        if self.status in ("Complete", "Failed") and self.active:
            raise ValueError(f"a {self.status} job has no active pods")
        if self.status == "Running" and self.finished_at is not None:
            raise ValueError("a Running job has no finished_at")
        return self


class StandaloneJobSpec(JobSpec):
    namespace: K8sName


class CronJobSpec(Strict):
    namespace: K8sName
    name: K8sName = Field(max_length=52)  # Kubernetes' limit, leaving room for run suffixes
    schedule: str = Field(min_length=1)
    suspended: bool = False
    last_schedule: AwareDatetime | None = None
    last_successful: AwareDatetime | None = None
    jobs: tuple[JobSpec, ...] = ()  # oldest first


class VolumeClaimSpec(Strict):
    namespace: K8sName
    name: K8sName
    phase: Literal["Pending", "Bound", "Lost"] = "Bound"
    capacity: str = Field(pattern=r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$")
    storage_class: str | None = None
    volume: str | None = None
    access_modes: tuple[Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                                "ReadWriteOncePod"], ...] = ("ReadWriteOnce",)


class StorageClassSpec(Strict):
    name: K8sName
    provisioner: str = Field(min_length=1)
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"  # the API server's defaults
    volume_binding_mode: Literal["Immediate", "WaitForFirstConsumer"] = "Immediate"
    allow_volume_expansion: bool = False
    default: bool = False


def _quantity(value: object) -> str:
    """A Kubernetes quantity as written (YAML reads ``16`` as a number: kept as "16")."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a quantity such as 16, 500m or 64Gi")
    text = str(value).strip()
    try:
        parse_quantity(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a quantity such as 16, 500m or 64Gi") from None
    return text


Quantity = Annotated[str, BeforeValidator(_quantity)]
# A quota's resource: requests.cpu, pods, count/deployments.apps, requests.nvidia.com/gpu.
QuotaResourceName = Annotated[str, Field(
    pattern=r"^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]


class ResourceQuotaSpec(Strict):
    namespace: K8sName
    name: K8sName
    hard: dict[QuotaResourceName, Quantity] = Field(min_length=1)
    used: dict[QuotaResourceName, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _used_of_limited(self) -> ResourceQuotaSpec:
        unlimited = sorted(set(self.used) - set(self.hard))
        if unlimited:
            raise ValueError(f"used names {', '.join(unlimited)}, which `hard` does not "
                             f"limit: {', '.join(sorted(self.hard))}")
        return self
