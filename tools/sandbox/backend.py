"""The sandbox backend: every catalog tool against a simulated, stateful environment.

Outputs are raw: log lines carry the secrets the applications print, because redaction
happens centrally after a tool runs. The clock moves only through `advance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.models import (
    AlertInfo,
    CronJobInfo,
    DeploymentInfo,
    ErrorBudget,
    Inventory,
    JobInfo,
    NodeInfo,
    Series,
    ToolCall,
    ToolOutput,
    alert_about,
)
from assistant.yamlfile import validation_to_input_error
from tools import render
from tools.backend import AlreadyInPlace, ToolFailure
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
from tools.outputs import (
    AlertList,
    AlertRow,
    Condition,
    DeploymentDescription,
    ErrorBudgetReport,
    MetricSeries,
    PodList,
    PodLogs,
    PodRow,
    RevisionRow,
    RolloutHistory,
    changed,
    row_reason,
    unavailable,
)
from tools.pod_tools import PodArgs
from tools.quota_tools import ListResourceQuotasArgs
from tools.sandbox import (
    cluster_reads,
    mutations,
    object_tools,
    service_reads,
    storage_reads,
)
from tools.sandbox.lookup import (
    find_job_pod,
    require_deployment,
    require_namespace,
    require_pod,
    require_service,
)
from tools.sandbox.scenario import Scenario, load_scenario
from tools.sandbox.selector import parse_query
from tools.sandbox.simulation import advance, alert_state, utilisation
from tools.sandbox.workload_logs import workload_logs
from tools.sandbox.world import Deployment, World, build_world
from tools.service_tools import ServiceArgs
from tools.volume_tools import ListStorageClassesArgs, ListVolumeClaimsArgs, VolumeArgs
from tools.workload_logs import GetWorkloadLogsArgs
from tools.workload_reads import ListEventsArgs, ListHpasArgs

# An SLO number older than this is flagged as stale in the tool's text.
_STALE_BUDGET = timedelta(minutes=15)

_PLANNERS = {
    "rollback_deployment": mutations.plan_rollback,
    "restart_deployment": mutations.plan_restart,
    "scale_deployment": mutations.plan_scale,
    "silence_alert": mutations.plan_silence,
    "delete_pod": object_tools.plan_delete_pod,
    "cordon_node": lambda w, a: object_tools.plan_cordon(w, a, True),
    "uncordon_node": lambda w, a: object_tools.plan_cordon(w, a, False),
    "suspend_cronjob": lambda w, a: object_tools.plan_suspend(w, a, True),
    "resume_cronjob": lambda w, a: object_tools.plan_suspend(w, a, False),
    "delete_failed_job": object_tools.plan_delete_failed_job,
}


class SandboxBackend:
    """A Backend (tools.backend) over one scenario's simulated world."""

    kind = "sandbox"

    def __init__(self, world: World) -> None:
        self._world = world
        self.environment = world.environment

    @classmethod
    def load(cls, name_or_path: str | Path, scenario_dir: Path | None = None) -> SandboxBackend:
        """A fresh copy of a scenario, by name (`evals/scenarios/<name>.yaml`) or path."""
        return cls.from_scenario(load_scenario(name_or_path, scenario_dir))

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> SandboxBackend:
        return cls(build_world(scenario))

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SandboxBackend:
        try:
            return cls(World.model_validate(state))
        except ValidationError as exc:
            raise validation_to_input_error(exc, "sandbox state", None) from exc

    def state(self) -> dict[str, Any]:
        """JSON-able; `from_state` of it continues exactly where this one is."""
        return self._world.model_dump(mode="json")

    @property
    def scenario_name(self) -> str:
        return self._world.scenario

    def now(self) -> datetime:
        return self._world.now

    def advance(self, minutes: float) -> None:
        """Move the simulated clock; metrics, pods, budgets and alerts follow."""
        advance(self._world, minutes)

    def wait(self, seconds: float) -> None:
        """The Backend's way to let time pass: no sleeping, the simulated clock advances."""
        self.advance(seconds / 60)

    def inventory(self) -> Inventory:
        w = self._world
        return Inventory(
            environment=w.environment,
            deployments=tuple(
                DeploymentInfo(
                    namespace=d.namespace,
                    name=d.name,
                    kind=d.kind,
                    service=d.service,
                    replicas=d.replicas,
                    ready_replicas=sum(p.ready for p in d.pods),
                    pods=tuple(p.name for p in d.pods),
                    revision=d.revision,
                )
                for d in w.deployments
            ),
            alerts=tuple(
                AlertInfo(name=a.name, labels=dict(a.labels), state=alert_state(w, a),
                          severity=a.severity, about=alert_about(a.annotations))
                for a in w.alerts
            ),
            services=tuple(sorted(s.name for s in w.services)),
            nodes=tuple(
                NodeInfo(name=n.name, unschedulable=n.unschedulable,
                         pods=tuple(f"{p.namespace}/{p.name}" for p in w.pods_on(n.name)))
                for n in w.nodes
            ),
            jobs=tuple(
                JobInfo(namespace=namespace, name=j.name, cronjob=cronjob, status=j.status,
                        pods=tuple(p.name for p in j.pods))
                for namespace, cronjob, j in (
                    *((c.namespace, c.name, j) for c in w.cronjobs for j in c.jobs),
                    *((j.namespace, None, j) for j in w.jobs))
            ),
            cronjobs=tuple(
                CronJobInfo(namespace=c.namespace, name=c.name, suspended=c.suspended,
                            jobs=tuple(j.name for j in c.jobs))
                for c in w.cronjobs
            ),
        )

    def error_budget(self, service: str) -> ErrorBudget | None:
        svc = next((s for s in self._world.services if s.name == service), None)
        if svc is None:
            return None
        return ErrorBudget(
            service=svc.name,
            slo_target=svc.slo_target,
            remaining=None if svc.remaining is None else round(svc.remaining, 6),
            as_of=self._world.now if svc.live else svc.as_of,
        )

    def preview(self, call: ToolCall) -> str:
        """Dry run: what the call would change. Raises ToolFailure if it would fail."""
        spec = get_tool(call.tool)
        args = spec.validate_args(call.args)
        planner = _PLANNERS.get(call.tool)
        if planner is None:
            return f"{call.tool} is read-only: nothing changes"
        change: mutations.Change = planner(self._world, args)  # type: ignore[operator]
        if change.unchanged is not None:
            raise ToolFailure(change.unchanged)
        return change.render()

    def _commit(self, change: mutations.Change) -> ToolOutput:
        if change.unchanged is not None:
            raise AlreadyInPlace(change.unchanged, ToolOutput(text=change.render(),
                                                              data=changed(change.changed)))
        created = change.commit()
        text = change.render()
        if created.get("pods_created"):
            text += f"\n  - pods created: {', '.join(created['pods_created'])}"
        if created.get("silence_id"):
            text += f"\n  - silence id: {created['silence_id']}"
        return ToolOutput(text=text, data=changed(change.changed).plus(created))

    # --- read-only tools -------------------------------------------------------------

    def list_pods(self, args: ListPodsArgs) -> ToolOutput:
        w = self._world
        if args.deployment is not None:
            deployments = [require_deployment(w, args.namespace, args.deployment, args.kind)]
        else:
            require_namespace(w, args.namespace)
            deployments = [d for d in w.deployments if d.namespace == args.namespace]
        pods = [
            PodRow(
                name=p.name,
                phase=p.phase,
                ready=p.ready,
                restarts=p.restarts,
                reason=row_reason(p.reason, p.ready, p.last_termination_reason),
                deployment=d.name,
                revision=p.revision,
                last_termination_reason=p.last_termination_reason,
                age=render.age(w.now - p.created_at),
                created_at=p.created_at.isoformat(),
            )
            for d in deployments
            for p in d.pods
        ]
        rows = [
            (
                p.name,
                f"{int(p.ready)}/1",
                p.reason or p.phase,
                _restarts(p.restarts, p.last_restart_at, w.now),
                render.age(w.now - p.created_at),
                d.name,
                str(p.revision),
                p.last_termination_reason or "",
            )
            for d in deployments
            for p in d.pods
        ]
        if args.deployment is None:
            finished = object_tools.job_pods(w, args.namespace)
            pods.extend(finished)
            rows.extend((p.name, "0/1", p.reason or p.phase, "0", "-", "-", "-", "")
                        for p in finished)
        headers = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "DEPLOYMENT", "REVISION",
                   "LAST-TERMINATION")
        text = render.table(headers, rows) if rows else f"no pods in {args.namespace}"
        return ToolOutput(text=text, data=PodList(pods=pods))

    def get_pod_logs(self, args: GetPodLogsArgs) -> ToolOutput:
        job_pod = find_job_pod(self._world, args.namespace, args.pod)
        if job_pod is not None:
            job, found = job_pod
            name, container = found.name, job.container
            logs: tuple[str, ...] | list[str] = found.logs
            previous: tuple[str, ...] | list[str] = ()  # a Job's pod runs its container once
        else:
            dep, pod = require_pod(self._world, args.namespace, args.pod)
            name, container, logs, previous = pod.name, dep.container, pod.logs, pod.previous_logs
        if args.container not in (None, container):
            # The API server's words: a sandbox pod runs one container.
            raise ToolFailure(f"container {args.container} is not valid for pod {name}")
        source = previous if args.previous else logs
        if args.previous and not source:
            raise ToolFailure(
                f'previous terminated container "{container}" in pod "{name}" not found'
            )
        lines = source[-args.tail:]
        which = "previous container" if args.previous else "container"
        header = f"logs of {args.namespace}/{name} ({which} {container}), " \
                 f"last {len(lines)} lines:"
        return ToolOutput(
            text="\n".join([header, *lines]),
            data=PodLogs(pod=name, lines=list(lines), previous=args.previous),
        )

    def get_workload_logs(self, args: GetWorkloadLogsArgs) -> ToolOutput:
        return workload_logs(self._world, args)

    def describe_deployment(self, args: DeploymentArgs) -> ToolOutput:
        w = self._world
        dep = require_deployment(w, args.namespace, args.deployment, args.kind)
        rev = dep.current
        ready = sum(p.ready for p in dep.pods)
        # StatefulSets and DaemonSets report no conditions, only counts of updated pods.
        conditions = _conditions(dep, ready) if dep.kind == "Deployment" else []
        lines = [
            f"Name:        {dep.name}",
            *([f"Kind:        {dep.kind}"] if dep.kind != "Deployment" else []),
            f"Namespace:   {dep.namespace}",
            f"Service:     {dep.service}",
            f"Revision:    {rev.revision} ({rev.image})",
            f"Change:      {rev.change}",
            f"Replicas:    {dep.replicas} desired | {ready} ready | {len(dep.pods)} pods"
            f"{unavailable(dep.replicas, ready)}",
            f"Strategy:    {_STRATEGIES[dep.kind]}",
        ]
        if dep.memory is not None:
            lines.append(f"Container:   {dep.container}, memory limit {dep.memory.limit_mib:g}Mi")
        if dep.traffic is not None:
            util = utilisation(dep)
            load = "saturated" if util == float("inf") else f"{min(util, 1.0):.0%} CPU"
            lines.append(
                f"Traffic:     {dep.traffic.requests_per_second:g} req/s, about "
                f"{dep.traffic.capacity_rps_per_replica:g} req/s per replica ({load})"
            )
        lines.append(f"Autoscaling: {_autoscaling(w, dep)}")
        if not conditions:
            lines.append(f"Rollout:     {_rollout_progress(dep)}")
        else:
            lines.append("Conditions:")
            lines.append(
            render.table(
                ("  TYPE", "STATUS", "REASON", "MESSAGE"),
                [(f"  {c.type}", c.status, c.reason, c.message) for c in conditions],
            )
            )
        data = DeploymentDescription(
            namespace=dep.namespace,
            name=dep.name,
            service=dep.service,
            replicas=dep.replicas,
            ready_replicas=ready,
            revision=rev.revision,
            image=rev.image,
            change=rev.change,
            conditions=conditions,
            memory_limit_mib=dep.memory.limit_mib if dep.memory else None,
        )
        if dep.kind != "Deployment":
            data = data.model_copy(update={"kind": dep.kind})
        return ToolOutput(text="\n".join(lines), data=data)

    def rollout_history(self, args: DeploymentArgs) -> ToolOutput:
        dep = require_deployment(self._world, args.namespace, args.deployment, args.kind)
        revisions = [
            RevisionRow(
                revision=r.revision,
                image=r.image,
                change=r.change,
                healthy=r.healthy,
                current=r.revision == dep.revision,
                deployed_at=r.deployed_at.isoformat() if r.deployed_at else None,
            )
            for r in dep.history
        ]
        rows = [
            (
                f"{r.revision}{' (current)' if r.current else ''}",
                r.image,
                "yes" if r.healthy else "NO",
                render.clock(rev.deployed_at) if rev.deployed_at else "-",
                r.change,
            )
            for r, rev in zip(revisions, dep.history, strict=True)
        ]
        text = f"{dep.kind.lower()}.apps/{dep.name} in {dep.namespace}\n" + render.table(
            ("REVISION", "IMAGE", "HEALTHY", "DEPLOYED", "CHANGE-CAUSE"), rows
        )
        return ToolOutput(text=text, data=RolloutHistory(revisions=revisions))

    def query_metrics(self, args: QueryMetricsArgs) -> ToolOutput:
        w = self._world
        try:
            selector, comparison = parse_query(args.query)
        except ValueError as exc:
            raise ToolFailure(str(exc)) from exc
        known = sorted({s.name for s in w.series})
        if selector.metric is not None and selector.metric not in known:
            raise ToolFailure(
                f"unknown metric {selector.metric!r}; known metrics: {', '.join(known)}"
            )
        since = w.now - timedelta(minutes=args.minutes)
        series = [
            Series(
                name=s.name,
                labels=dict(s.labels),
                unit=s.unit,
                points=tuple((t.isoformat(), v) for t, v in s.points if since <= t <= w.now
                             and (comparison is None or comparison.keeps(v))),
            )
            for s in w.series
            if selector.matches(s.name, s.labels)
        ]
        if comparison is not None:
            series = [s for s in series if s.points]
        if not series:
            text = (f"no series match {args.query}" if selector.metric is None
                    else f"no series match {args.query} (metric exists, but no labels match"
                    f"{'' if comparison is None else ' or none passes the comparison'})")
        else:
            text = f"last {args.minutes} min, {len(series)} series:\n" + "\n".join(
                render.series_text(s) for s in series
            )
        return ToolOutput(text=text, data=MetricSeries(series=series))

    def list_alerts(self, args: ListAlertsArgs) -> ToolOutput:
        w = self._world
        if args.namespace is not None:
            require_namespace(w, args.namespace)
        shown = {"firing", "silenced"} if args.include_silenced else {"firing"}
        alerts = []
        for a in w.alerts:
            state = alert_state(w, a)
            if state not in shown:
                continue
            if args.namespace is not None and a.labels.get("namespace") != args.namespace:
                continue
            alerts.append(
                AlertRow(
                    name=a.name,
                    labels=dict(a.labels),
                    state=state,
                    since=a.since.isoformat(),
                    severity=a.severity,
                    summary=a.annotations["summary"],
                    annotations=dict(a.annotations),
                )
            )
        if not alerts:
            where = f" in {args.namespace}" if args.namespace else ""
            return ToolOutput(text=f"no {' or '.join(sorted(shown))} alerts{where}",
                              data=AlertList(alerts=[]))
        text = "\n".join(render.alert_text(a, w.now) for a in alerts)
        return ToolOutput(text=text, data=AlertList(alerts=alerts))

    def list_events(self, args: ListEventsArgs) -> ToolOutput:
        return cluster_reads.list_events(self._world, args)

    def list_hpas(self, args: ListHpasArgs) -> ToolOutput:
        return cluster_reads.list_hpas(self._world, args)

    def get_error_budget(self, args: GetErrorBudgetArgs) -> ToolOutput:
        require_service(self._world, args.service)
        budget = self.error_budget(args.service)
        assert budget is not None  # require_service guarantees it exists
        return ToolOutput(
            text=render.error_budget_text(budget, self._world.now, _STALE_BUDGET),
            data=ErrorBudgetReport(
                service=budget.service,
                slo_target=budget.slo_target,
                remaining=budget.remaining,
                as_of=budget.as_of.isoformat() if budget.as_of else None,
            ),
        )

    def describe_pod(self, args: PodArgs) -> ToolOutput:
        return object_tools.describe_pod(self._world, args)

    def list_nodes(self, args: ListNodesArgs) -> ToolOutput:
        return object_tools.list_nodes(self._world)

    def describe_node(self, args: NodeArgs) -> ToolOutput:
        return object_tools.describe_node(self._world, args)

    def describe_job(self, args: JobArgs) -> ToolOutput:
        return object_tools.describe_job(self._world, args)

    def list_cronjobs(self, args: ListCronJobsArgs) -> ToolOutput:
        return object_tools.list_cronjobs(self._world, args)

    def list_pvcs(self, args: ListVolumeClaimsArgs) -> ToolOutput:
        return object_tools.list_pvcs(self._world, args)

    def describe_pv(self, args: VolumeArgs) -> ToolOutput:
        return storage_reads.describe_pv(self._world, args)

    def list_resource_quotas(self, args: ListResourceQuotasArgs) -> ToolOutput:
        return cluster_reads.list_resource_quotas(self._world, args)

    def list_storageclasses(self, args: ListStorageClassesArgs) -> ToolOutput:
        return storage_reads.list_storageclasses(self._world, args)

    def describe_service(self, args: ServiceArgs) -> ToolOutput:
        return service_reads.describe_service(self._world, args)

    # --- mutating tools --------------------------------------------------------------

    # Like the real backend: only a silence records who approved it.

    def rollback_deployment(self, args: RollbackDeploymentArgs,
                            approved_by: str | None = None) -> ToolOutput:
        return self._commit(mutations.plan_rollback(self._world, args))

    def restart_deployment(self, args: DeploymentArgs,
                           approved_by: str | None = None) -> ToolOutput:
        return self._commit(mutations.plan_restart(self._world, args))

    def scale_deployment(self, args: ScaleDeploymentArgs,
                         approved_by: str | None = None) -> ToolOutput:
        return self._commit(mutations.plan_scale(self._world, args))

    def silence_alert(self, args: SilenceAlertArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(mutations.plan_silence(self._world, args, approved_by or "opsbot"))

    def delete_pod(self, args: PodArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(object_tools.plan_delete_pod(self._world, args))

    def cordon_node(self, args: NodeArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(object_tools.plan_cordon(self._world, args, True))

    def uncordon_node(self, args: NodeArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(object_tools.plan_cordon(self._world, args, False))

    def suspend_cronjob(self, args: CronJobArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(object_tools.plan_suspend(self._world, args, True))

    def resume_cronjob(self, args: CronJobArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(object_tools.plan_suspend(self._world, args, False))

    def delete_failed_job(self, args: JobArgs, approved_by: str | None = None) -> ToolOutput:
        return self._commit(object_tools.plan_delete_failed_job(self._world, args))


_STRATEGIES = {
    "Deployment": "RollingUpdate 25% max unavailable, 25% max surge",
    "StatefulSet": "RollingUpdate, partition 0, one pod at a time from the highest ordinal",
    "DaemonSet": "RollingUpdate 1 max unavailable per node",
}


def _autoscaling(world: World, dep: Deployment) -> str:
    hpa = next((h for h in world.hpas if h.namespace == dep.namespace
                and h.target == dep.name and h.target_kind == dep.kind), None)
    if hpa is None:
        return f"none (no HorizontalPodAutoscaler targets this {dep.kind.lower()})"
    row = cluster_reads.hpa_row(world, hpa)
    return (f"HorizontalPodAutoscaler {hpa.name}, {row.min_replicas}..{row.max_replicas} "
            f"replicas, wants {row.desired_replicas}")


def _rollout_progress(dep: Deployment) -> str:
    updated = [p for p in dep.serving_pods if p.revision == dep.revision]
    ready = sum(p.ready for p in updated)
    state = "complete" if ready == dep.replicas else "halted" if ready < len(updated) \
        else "in progress"
    return (f"{len(updated)} of {dep.replicas} pods on revision {dep.revision}, "
            f"{ready} of them ready ({state})")


def _restarts(count: int, last: datetime | None, now: datetime) -> str:
    return f"{count} ({render.age(now - last)} ago)" if count and last else str(count)


def _conditions(dep: Deployment, ready: int) -> list[Condition]:
    needed = dep.replicas - dep.replicas // 4  # 25% max unavailable, rounded down
    available = ready >= needed
    rs = f"{dep.name}-{dep.template_hash(dep.current)}"
    fresh = dep.serving_pods
    if dep.current.crash is not None and not all(p.ready for p in fresh):
        progressing = ("False", "ProgressDeadlineExceeded",
                       f'ReplicaSet "{rs}" has timed out progressing.')
    elif len(fresh) != len(dep.pods) or any(p.phase == "Pending" for p in fresh):
        progressing = ("True", "ReplicaSetUpdated", f'ReplicaSet "{rs}" is progressing.')
    else:
        progressing = ("True", "NewReplicaSetAvailable",
                       f'ReplicaSet "{rs}" has successfully progressed.')
    status, reason, message = progressing
    return [
        Condition(
            type="Available",
            status=str(available),
            reason="MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            message="Deployment has minimum availability." if available
            else "Deployment does not have minimum availability.",
        ),
        Condition(type="Progressing", status=status, reason=reason, message=message),
    ]

