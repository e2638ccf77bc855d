"""The real backend: the Backend contract (tools.backend) over a Kubernetes cluster,
Prometheus and (optionally) Alertmanager, answering in the sandbox's data shapes so the
planner and runbooks work unchanged.

The clock is the wall clock and `wait` really sleeps: verification after an action looks
at the live cluster again once the rollout had time to move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType

from assistant.models import ErrorBudget, Inventory, ToolCall, ToolOutput
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
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster, api_client_from_settings
from tools.prometheus import series
from tools.prometheus.budget import LOOKBACK, budget_output, fill, read_error_budget
from tools.prometheus.client import PrometheusClient
from tools.real.alerts import AlertRecord, alerts_output, from_alertmanager, from_rules
from tools.real.change import Change
from tools.real.http import HttpApi
from tools.real.settings import RealSettings, SloQueries, settings_from_env
from tools.sandbox import render


def utc_now() -> datetime:
    return datetime.now(UTC)


class RealBackend:
    """A Backend (tools.backend) over live systems."""

    def __init__(
        self,
        environment: str,
        kubernetes: KubernetesTools,
        prometheus: PrometheusClient,
        slo: SloQueries,
        alertmanager: AlertmanagerClient | None = None,
        *,
        silence_author: str = "opsbot",
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.environment = environment
        self.kubernetes = kubernetes
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self._slo = slo
        self._silence_author = silence_author
        self._clock = clock
        self._sleep = sleep

    def close(self) -> None:
        self.kubernetes.cluster.close()
        self.prometheus.close()
        if self.alertmanager is not None:
            self.alertmanager.close()

    def __enter__(self) -> RealBackend:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- the Backend contract --------------------------------------------------------

    def now(self) -> datetime:
        return self._clock()

    def wait(self, seconds: float) -> None:
        self._sleep(seconds)

    def inventory(self) -> Inventory:
        deployments = tuple(self.kubernetes.deployment_infos())
        return Inventory(
            environment=self.environment,
            deployments=deployments,
            alerts=tuple(r.info() for r in self._alerts()),
            services=tuple(sorted({d.service for d in deployments})),
        )

    def error_budget(self, service: str) -> ErrorBudget | None:
        return read_error_budget(self.prometheus, self._slo, service, self.now())

    def preview(self, call: ToolCall) -> str:
        """A dry run: server-side (dryRun=All) for Kubernetes; Alertmanager has none, so a
        silence is matched against the alerts it holds now. Raises ToolFailure if the call
        would fail."""
        args = get_tool(call.tool).validate_args(call.args)
        dry_runs: dict[str, Callable[..., Change]] = {
            "rollback_deployment": self.kubernetes.rollback,
            "restart_deployment": self.kubernetes.restart,
            "scale_deployment": self.kubernetes.scale,
        }
        if call.tool in dry_runs:
            return dry_runs[call.tool](args, dry_run=True).render()
        if isinstance(args, SilenceAlertArgs):
            return self._silence(args, self._silence_author).render() + (
                "\n  - Alertmanager has no dry run: matched against the alerts it holds now")
        return f"{call.tool} is read-only: nothing changes"

    # --- read-only tools -------------------------------------------------------------

    def list_pods(self, args: ListPodsArgs) -> ToolOutput:
        return self.kubernetes.list_pods(args)

    def get_pod_logs(self, args: GetPodLogsArgs) -> ToolOutput:
        return self.kubernetes.get_pod_logs(args)

    def describe_deployment(self, args: DeploymentArgs) -> ToolOutput:
        return self.kubernetes.describe_deployment(args)

    def rollout_history(self, args: DeploymentArgs) -> ToolOutput:
        return self.kubernetes.rollout_history(args)

    def query_metrics(self, args: QueryMetricsArgs) -> ToolOutput:
        return series.query_metrics(self.prometheus, args, self.now())

    def list_alerts(self, args: ListAlertsArgs) -> ToolOutput:
        return alerts_output(self._alerts(), args, self.now())

    def get_error_budget(self, args: GetErrorBudgetArgs) -> ToolOutput:
        budget = self.error_budget(args.service)
        if budget is None:
            raise ToolFailure(
                f"service {args.service!r} has no error-budget data in Prometheus: "
                f"{fill(self._slo.error_budget, args.service)} returned nothing in the last "
                f"{LOOKBACK}")
        return budget_output(budget, self.now())

    # --- mutating tools --------------------------------------------------------------

    def rollback_deployment(self, args: RollbackDeploymentArgs) -> ToolOutput:
        return self.kubernetes.rollback(args, dry_run=False).output()

    def restart_deployment(self, args: DeploymentArgs) -> ToolOutput:
        return self.kubernetes.restart(args, dry_run=False).output()

    def scale_deployment(self, args: ScaleDeploymentArgs) -> ToolOutput:
        return self.kubernetes.scale(args, dry_run=False).output()

    def silence_alert(self, args: SilenceAlertArgs, created_by: str | None = None) -> ToolOutput:
        """``created_by`` should be the approver; without one the configured author is used."""
        author = created_by or self._silence_author
        change = self._silence(args, author)
        matchers = change.changed["silence"]["to"]["matchers"]
        starts = self.now()
        silence_id = self._require_alertmanager().create_silence(
            matchers,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=args.duration_minutes),
            created_by=author,
            comment=args.comment,
        )
        return ToolOutput(text=change.render() + f"\n  - silence id: {silence_id}",
                          data={"changed": {**change.changed, "silence_id": silence_id}})

    # --- silences beyond the catalog -------------------------------------------------

    def silences(self) -> list[Silence]:
        return self._require_alertmanager().silences()

    def expire_silence(self, silence_id: str) -> Silence:
        return self._require_alertmanager().expire_silence(silence_id)

    # --- helpers ---------------------------------------------------------------------

    def _require_alertmanager(self) -> AlertmanagerClient:
        if self.alertmanager is None:
            raise ToolFailure("silences need Alertmanager: set ALERTMANAGER_URL")
        return self.alertmanager

    def _alerts(self) -> list[AlertRecord]:
        if self.alertmanager is not None:
            return [from_alertmanager(a) for a in self.alertmanager.alerts()]
        return from_rules(self.prometheus.alerts())

    def _silence(self, args: SilenceAlertArgs, author: str) -> Change:
        if args.matchers.get("alertname", args.alertname) != args.alertname:
            raise ToolFailure(f"matchers name alertname={args.matchers['alertname']!r} but "
                              f"alertname is {args.alertname!r}")
        self._require_alertmanager()
        matchers = {**args.matchers, "alertname": args.alertname}
        ends = self.now() + timedelta(minutes=args.duration_minutes)
        hits = [r for r in self._alerts() if r.matches(matchers)]
        rendered = ", ".join(f"{k}={v}" for k, v in sorted(matchers.items()))
        details = [
            f"{r.name}{{{', '.join(f'{k}={v}' for k, v in sorted(r.labels.items()))}}} "
            f"({r.state} -> silenced)"
            for r in hits
        ] or ["matches no current alert"]
        return Change(
            summary=f"silence {rendered} for {args.duration_minutes} min, until "
                    f"{render.clock(ends)}, by {author}",
            details=tuple(details),
            changed={
                "silence": {"from": None, "to": {
                    "matchers": matchers, "ends_at": ends.isoformat(),
                    "comment": args.comment, "created_by": author,
                }},
                "alerts": [{"name": r.name, "labels": r.labels, "from": r.state,
                            "to": "silenced"} for r in hits],
            },
        )


def backend_from_settings(settings: RealSettings, *, clock: Callable[[], datetime] = utc_now,
                          sleep: Callable[[float], None] = time.sleep) -> RealBackend:
    kube = settings.kubernetes
    cluster = Cluster(api_client_from_settings(kube), kube.timeout_seconds)
    alertmanager = (AlertmanagerClient(HttpApi(settings.alertmanager))
                    if settings.alertmanager is not None else None)
    return RealBackend(
        environment=settings.environment,
        kubernetes=KubernetesTools(cluster, clock, namespaces=kube.namespaces,
                                   service_labels=kube.service_labels),
        prometheus=PrometheusClient(HttpApi(settings.prometheus)),
        slo=settings.slo,
        alertmanager=alertmanager,
        silence_author=settings.silence_author,
        clock=clock,
        sleep=sleep,
    )


def open_backend(env: Mapping[str, str]) -> RealBackend:
    """The backend OPSBOT_BACKEND=kubernetes selects; InputError names a bad variable."""
    return backend_from_settings(settings_from_env(env))
