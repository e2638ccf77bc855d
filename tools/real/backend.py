"""The real backend: the Backend contract (tools.backend) over a Kubernetes cluster,
Prometheus and (optionally) Alertmanager, answering in the sandbox's data shapes so the
planner and runbooks work unchanged.

The clock is the wall clock and `wait` really sleeps: verification after an action looks
at the live cluster again once the rollout had time to move. The sleep is passed in, so
the runtime can hand it one that a shutdown ends at once (``sleep_unless``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType

from assistant.models import (
    CronJobInfo,
    DeploymentInfo,
    ErrorBudget,
    Inventory,
    JobInfo,
    NodeInfo,
    ToolCall,
    ToolOutput,
)
from tools.alertmanager.client import AlertmanagerClient, Silence
from tools.backend import ToolFailure
from tools.catalog import (
    DeploymentArgs,
    GetErrorBudgetArgs,
    GetPodLogsArgs,
    ListAlertsArgs,
    ListPodsArgs,
    QueryMetricsArgs,
    RollbackDeploymentArgs,
    ScaleDeploymentArgs,
    SilenceAlertArgs,
    get_tool,
)
from tools.job_tools import CronJobArgs, JobArgs, ListCronJobsArgs
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster, api_client_from_settings
from tools.kubernetes.objects import KubernetesObjects
from tools.node_tools import ListNodesArgs, NodeArgs
from tools.object_render import claims_text
from tools.outputs import MetricSeries
from tools.pod_tools import PodArgs
from tools.prometheus.client import PrometheusClient
from tools.quota_tools import ListResourceQuotasArgs
from tools.real.change import Change
from tools.real.http import HttpApi
from tools.real.monitoring import Monitoring
from tools.real.settings import KubernetesBackendConfig, RealSettings, real_settings
from tools.service_tools import ServiceArgs
from tools.volume_tools import (
    ListStorageClassesArgs,
    ListVolumeClaimsArgs,
    VolumeArgs,
    used_bytes_query,
    with_usage,
)
from tools.workload_logs import GetWorkloadLogsArgs
from tools.workload_reads import ListEventsArgs, ListHpasArgs

# One question reads the inventory several times (entity linking, retrieval, planning, the
# blast radius of each step); its workloads take three list calls to the API server. A
# snapshot of them this young is reused; any change opsbot makes, and any wait, drops it.
# Alerts are one cheap request and the most time-sensitive part, so they are always read.
INVENTORY_TTL_SECONDS = 2.0


# The live workloads and nodes one inventory snapshot holds.
_Workloads = tuple[tuple[DeploymentInfo, ...], tuple[NodeInfo, ...], tuple[JobInfo, ...],
                   tuple[CronJobInfo, ...]]


def utc_now() -> datetime:
    return datetime.now(UTC)


def sleep_unless(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that ends as soon as ``stop`` is set: a verification step waiting on the
    cluster gives way to a shutdown at once instead of holding the drain for its 30 s."""

    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep


class RealBackend:
    """A Backend (tools.backend) over live systems: workloads from Kubernetes, the rest
    from monitoring."""

    kind = "kubernetes"

    def __init__(
        self,
        environment: str,
        kubernetes: KubernetesTools,
        monitoring: Monitoring,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        inventory_ttl_seconds: float = INVENTORY_TTL_SECONDS,
        objects: KubernetesObjects | None = None,
    ) -> None:
        self.environment = environment
        self.kubernetes = kubernetes
        self.objects = objects or KubernetesObjects(kubernetes, clock)
        self.monitoring = monitoring
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self._inventory_ttl = inventory_ttl_seconds
        self._workloads: tuple[float, _Workloads] | None = None
        # Bumped by every drop: a read that began before a change (on another thread) and
        # ends after it is returned to its caller but not kept as the snapshot.
        self._generation = 0
        self._workloads_lock = threading.Lock()

    def close(self) -> None:
        self.kubernetes.cluster.close()
        self.monitoring.close()

    def __enter__(self) -> RealBackend:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- the Backend contract --------------------------------------------------------

    def now(self) -> datetime:
        return self._clock()

    def wait(self, seconds: float) -> None:
        self._drop_workloads()
        self._sleep(seconds)

    def inventory(self) -> Inventory:
        deployments, nodes, jobs, cronjobs = self._deployments()
        return Inventory(
            environment=self.environment,
            deployments=deployments,
            alerts=tuple(r.info() for r in self.monitoring.alerts()),
            services=tuple(sorted({d.service for d in deployments})),
            nodes=nodes,
            jobs=jobs,
            cronjobs=cronjobs,
        )

    def _deployments(self) -> _Workloads:
        if self._workloads is not None:
            taken, workloads = self._workloads
            if self._monotonic() - taken < self._inventory_ttl:
                return workloads
        with self._workloads_lock:
            generation = self._generation
        taken = self._monotonic()
        jobs, cronjobs = self.objects.batch_infos()
        workloads = (tuple(self.kubernetes.deployment_infos()),
                     tuple(self.objects.node_infos()), tuple(jobs), tuple(cronjobs))
        with self._workloads_lock:
            if generation == self._generation:
                self._workloads = (taken, workloads)
        return workloads

    def _drop_workloads(self) -> None:
        with self._workloads_lock:
            self._generation += 1
            self._workloads = None

    def error_budget(self, service: str) -> ErrorBudget | None:
        return self.monitoring.error_budget(service)

    def preview(self, call: ToolCall) -> str:
        """A dry run: server-side (dryRun=All) for Kubernetes; silences are matched against
        the alerts Alertmanager holds now. Raises ToolFailure if the call would fail."""
        args = get_tool(call.tool).validate_args(call.args)
        dry_runs: dict[str, Callable[..., Change]] = {
            "rollback_deployment": self.kubernetes.rollback,
            "restart_deployment": self.kubernetes.restart,
            "scale_deployment": self.kubernetes.scale,
            "delete_pod": self.objects.delete_pod,
            "cordon_node": lambda a, dry_run: self.objects.cordon(a, True, dry_run=dry_run),
            "uncordon_node": lambda a, dry_run: self.objects.cordon(a, False, dry_run=dry_run),
            "suspend_cronjob": lambda a, dry_run: self.objects.suspend(a, True, dry_run=dry_run),
            "resume_cronjob": lambda a, dry_run: self.objects.suspend(a, False, dry_run=dry_run),
            "delete_failed_job": self.objects.delete_failed_job,
        }
        if call.tool in dry_runs:
            change = dry_runs[call.tool](args, dry_run=True)
            if change.unchanged is not None:
                raise ToolFailure(change.unchanged)
            return change.render()
        if isinstance(args, SilenceAlertArgs):
            return self.monitoring.preview_silence(args)
        return f"{call.tool} is read-only: nothing changes"

    # --- read-only tools -------------------------------------------------------------

    def list_pods(self, args: ListPodsArgs) -> ToolOutput:
        return self.kubernetes.list_pods(args)

    def get_pod_logs(self, args: GetPodLogsArgs) -> ToolOutput:
        return self.kubernetes.get_pod_logs(args)

    def get_workload_logs(self, args: GetWorkloadLogsArgs) -> ToolOutput:
        return self.kubernetes.get_workload_logs(args)

    def describe_deployment(self, args: DeploymentArgs) -> ToolOutput:
        return self.kubernetes.describe_deployment(args)

    def rollout_history(self, args: DeploymentArgs) -> ToolOutput:
        return self.kubernetes.rollout_history(args)

    def query_metrics(self, args: QueryMetricsArgs) -> ToolOutput:
        return self.monitoring.query_metrics(args)

    def list_alerts(self, args: ListAlertsArgs) -> ToolOutput:
        return self.monitoring.list_alerts(args)

    def get_error_budget(self, args: GetErrorBudgetArgs) -> ToolOutput:
        return self.monitoring.get_error_budget(args)

    def describe_pod(self, args: PodArgs) -> ToolOutput:
        return self.objects.describe_pod(args)

    def list_nodes(self, args: ListNodesArgs) -> ToolOutput:
        return self.objects.list_nodes()

    def describe_node(self, args: NodeArgs) -> ToolOutput:
        return self.objects.describe_node(args)

    def describe_job(self, args: JobArgs) -> ToolOutput:
        return self.objects.describe_job(args)

    def list_cronjobs(self, args: ListCronJobsArgs) -> ToolOutput:
        return self.objects.list_cronjobs(args)

    def list_pvcs(self, args: ListVolumeClaimsArgs) -> ToolOutput:
        """Claims from Kubernetes, how full they are from Prometheus; without Prometheus
        the claims are still listed, with the reason their usage is missing."""
        claims = self.objects.volume_claims(args.namespace)
        query = QueryMetricsArgs(query=used_bytes_query(args.namespace), minutes=15)
        try:
            found = self.monitoring.query_metrics(query).data
        except ToolFailure as exc:
            data = with_usage(args.namespace, claims, None, f"{query.query}: {exc}")
        else:
            assert isinstance(found, MetricSeries)
            data = with_usage(args.namespace, claims, list(found.series))
        return ToolOutput(text=claims_text(data), data=data)
    def list_events(self, args: ListEventsArgs) -> ToolOutput:
        return self.kubernetes.list_events(args)

    def list_hpas(self, args: ListHpasArgs) -> ToolOutput:
        return self.kubernetes.list_hpas(args)

    def describe_pv(self, args: VolumeArgs) -> ToolOutput:
        return self.kubernetes.describe_pv(args)

    def list_storageclasses(self, args: ListStorageClassesArgs) -> ToolOutput:
        return self.kubernetes.list_storageclasses(args)

    def list_resource_quotas(self, args: ListResourceQuotasArgs) -> ToolOutput:
        return self.kubernetes.list_resource_quotas(args)

    def describe_service(self, args: ServiceArgs) -> ToolOutput:
        return self.kubernetes.describe_service(args)

    # --- mutating tools --------------------------------------------------------------

    # Deployments change under opsbot's own credentials, so only a silence carries
    # ``approved_by`` (as its createdBy); the audit log names the approver of every action.

    def rollback_deployment(self, args: RollbackDeploymentArgs,
                            approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.kubernetes.rollback(args, dry_run=False).output()

    def restart_deployment(self, args: DeploymentArgs,
                           approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.kubernetes.restart(args, dry_run=False).output()

    def scale_deployment(self, args: ScaleDeploymentArgs,
                         approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.kubernetes.scale(args, dry_run=False).output()

    def silence_alert(self, args: SilenceAlertArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.monitoring.silence_alert(args, approved_by=approved_by)

    def delete_pod(self, args: PodArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.objects.delete_pod(args, dry_run=False).output()

    def cordon_node(self, args: NodeArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.objects.cordon(args, True, dry_run=False).output()

    def uncordon_node(self, args: NodeArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.objects.cordon(args, False, dry_run=False).output()

    def suspend_cronjob(self, args: CronJobArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.objects.suspend(args, True, dry_run=False).output()

    def resume_cronjob(self, args: CronJobArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.objects.suspend(args, False, dry_run=False).output()

    def delete_failed_job(self, args: JobArgs, approved_by: str | None = None) -> ToolOutput:
        with self._changing():
            return self.objects.delete_failed_job(args, dry_run=False).output()

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """Drop the workloads snapshot after a change, even a failed one (it may have
        half-happened)."""
        try:
            yield
        finally:
            self._drop_workloads()

    # --- silences beyond the catalog -------------------------------------------------

    def silences(self) -> list[Silence]:
        return self.monitoring.silences()

    def expire_silence(self, silence_id: str) -> Silence:
        return self.monitoring.expire_silence(silence_id)


def backend_from_settings(settings: RealSettings, *, clock: Callable[[], datetime] = utc_now,
                          sleep: Callable[[float], None] = time.sleep) -> RealBackend:
    kube = settings.kubernetes
    cluster = Cluster(api_client_from_settings(kube), kube.timeout_seconds)
    alertmanager = (AlertmanagerClient(HttpApi(settings.alertmanager))
                    if settings.alertmanager is not None else None)
    monitoring = Monitoring(PrometheusClient(HttpApi(settings.prometheus)), settings.slo,
                            alertmanager, clock, silence_author=settings.silence_author,
                            namespaces=kube.namespaces)
    return RealBackend(
        environment=settings.environment,
        kubernetes=KubernetesTools(cluster, clock, namespaces=kube.namespaces,
                                   service_labels=kube.service_labels),
        monitoring=monitoring,
        clock=clock,
        sleep=sleep,
    )


def open_backend(config: KubernetesBackendConfig, *,
                 sleep: Callable[[float], None] = time.sleep) -> RealBackend:
    """The backend OPSBOT_BACKEND=kubernetes selects; InputError names a bad variable.
    ``sleep`` is how its waits pass (``sleep_unless(shutdown)`` in a server)."""
    return backend_from_settings(real_settings(config), sleep=sleep)
