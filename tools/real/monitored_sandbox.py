"""A Backend whose workloads are a sandbox world and whose monitoring is real: pods, logs,
deployments and rollouts come from the simulation; metrics, alerts, error budgets and
silences from Prometheus and Alertmanager through the same code the real backend uses.

It lets the eval suites written for the sandbox run their read-only cases against real
monitoring, where no Kubernetes cluster exists. Workload changes stay in the simulation and
Prometheus does not see them, so runs that act or let time pass belong on the sandbox.
"""

from __future__ import annotations

from datetime import datetime

from assistant.models import ErrorBudget, Inventory, ToolCall, ToolOutput
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
from tools.node_tools import ListNodesArgs, NodeArgs
from tools.pod_tools import PodArgs
from tools.quota_tools import ListResourceQuotasArgs
from tools.real.monitoring import Monitoring
from tools.sandbox import SandboxBackend
from tools.service_tools import ServiceArgs
from tools.volume_tools import ListStorageClassesArgs, ListVolumeClaimsArgs, VolumeArgs
from tools.workload_logs import GetWorkloadLogsArgs
from tools.workload_reads import ListEventsArgs, ListHpasArgs


class MonitoredSandbox:
    """A Backend (tools.backend): ``sandbox`` for workloads, ``monitoring`` for the rest.
    The monitoring's clock should be the sandbox's, so both answer for the same moment."""

    # Neither the sandbox nor the real world: a plugin tool runs here only if it says so.
    kind = "monitored-sandbox"

    def __init__(self, sandbox: SandboxBackend, monitoring: Monitoring) -> None:
        self.sandbox = sandbox
        self.monitoring = monitoring
        self.environment = sandbox.environment

    def now(self) -> datetime:
        return self.sandbox.now()

    def wait(self, seconds: float) -> None:
        self.sandbox.wait(seconds)

    def inventory(self) -> Inventory:
        return self.sandbox.inventory().model_copy(
            update={"alerts": tuple(r.info() for r in self.monitoring.alerts())})

    def error_budget(self, service: str) -> ErrorBudget | None:
        return self.monitoring.error_budget(service)

    def preview(self, call: ToolCall) -> str:
        args = get_tool(call.tool).validate_args(call.args)
        if isinstance(args, SilenceAlertArgs):
            return self.monitoring.preview_silence(args)
        return self.sandbox.preview(call)

    # --- read-only tools -------------------------------------------------------------

    def list_pods(self, args: ListPodsArgs) -> ToolOutput:
        return self.sandbox.list_pods(args)

    def get_pod_logs(self, args: GetPodLogsArgs) -> ToolOutput:
        return self.sandbox.get_pod_logs(args)

    def get_workload_logs(self, args: GetWorkloadLogsArgs) -> ToolOutput:
        return self.sandbox.get_workload_logs(args)

    def describe_deployment(self, args: DeploymentArgs) -> ToolOutput:
        return self.sandbox.describe_deployment(args)

    def rollout_history(self, args: DeploymentArgs) -> ToolOutput:
        return self.sandbox.rollout_history(args)

    def list_events(self, args: ListEventsArgs) -> ToolOutput:
        return self.sandbox.list_events(args)

    def list_hpas(self, args: ListHpasArgs) -> ToolOutput:
        return self.sandbox.list_hpas(args)

    def query_metrics(self, args: QueryMetricsArgs) -> ToolOutput:
        return self.monitoring.query_metrics(args)

    def list_alerts(self, args: ListAlertsArgs) -> ToolOutput:
        return self.monitoring.list_alerts(args)

    def get_error_budget(self, args: GetErrorBudgetArgs) -> ToolOutput:
        return self.monitoring.get_error_budget(args)

    # Pods, nodes, Jobs, volumes, storage classes and Services are cluster objects: the
    # simulation has them.

    def describe_pod(self, args: PodArgs) -> ToolOutput:
        return self.sandbox.describe_pod(args)

    def list_nodes(self, args: ListNodesArgs) -> ToolOutput:
        return self.sandbox.list_nodes(args)

    def describe_node(self, args: NodeArgs) -> ToolOutput:
        return self.sandbox.describe_node(args)

    def describe_job(self, args: JobArgs) -> ToolOutput:
        return self.sandbox.describe_job(args)

    def list_cronjobs(self, args: ListCronJobsArgs) -> ToolOutput:
        return self.sandbox.list_cronjobs(args)

    def list_pvcs(self, args: ListVolumeClaimsArgs) -> ToolOutput:
        return self.sandbox.list_pvcs(args)

    def describe_pv(self, args: VolumeArgs) -> ToolOutput:
        return self.sandbox.describe_pv(args)

    def list_storageclasses(self, args: ListStorageClassesArgs) -> ToolOutput:
        return self.sandbox.list_storageclasses(args)

    def list_resource_quotas(self, args: ListResourceQuotasArgs) -> ToolOutput:
        return self.sandbox.list_resource_quotas(args)

    def describe_service(self, args: ServiceArgs) -> ToolOutput:
        return self.sandbox.describe_service(args)

    # --- mutating tools --------------------------------------------------------------

    def delete_pod(self, args: PodArgs, *, approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.delete_pod(args, approved_by=approved_by)

    def cordon_node(self, args: NodeArgs, *, approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.cordon_node(args, approved_by=approved_by)

    def uncordon_node(self, args: NodeArgs, *, approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.uncordon_node(args, approved_by=approved_by)

    def suspend_cronjob(self, args: CronJobArgs, *,
                        approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.suspend_cronjob(args, approved_by=approved_by)

    def resume_cronjob(self, args: CronJobArgs, *,
                       approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.resume_cronjob(args, approved_by=approved_by)

    def delete_failed_job(self, args: JobArgs, *,
                          approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.delete_failed_job(args, approved_by=approved_by)

    def rollback_deployment(self, args: RollbackDeploymentArgs, *,
                            approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.rollback_deployment(args, approved_by=approved_by)

    def restart_deployment(self, args: DeploymentArgs, *,
                           approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.restart_deployment(args, approved_by=approved_by)

    def scale_deployment(self, args: ScaleDeploymentArgs, *,
                         approved_by: str | None = None) -> ToolOutput:
        return self.sandbox.scale_deployment(args, approved_by=approved_by)

    def silence_alert(self, args: SilenceAlertArgs, *,
                      approved_by: str | None = None) -> ToolOutput:
        return self.monitoring.silence_alert(args, approved_by=approved_by)
