"""The Kubernetes half of the catalog: pods, logs, deployments, rollouts, and the three
mutations, each of which runs either as a server-side dry run (the preview) or for real
through the same code, so what was previewed is what runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kubernetes import client as k8s

from assistant.models import DeploymentInfo, ToolOutput
from tools import render
from tools.backend import ToolFailure
from tools.catalog import (
    DEFAULT_KIND,
    DeploymentArgs,
    GetPodLogsArgs,
    ListPodsArgs,
    RollbackDeploymentArgs,
    ScaleDeploymentArgs,
)
from tools.kubernetes import cluster_reads, service_reads, storage_reads
from tools.kubernetes.changes import dry_run_note, restart_change, rollback_change
from tools.kubernetes.cluster import JSON_PATCH, MERGE_PATCH, Cluster, default_container
from tools.kubernetes.containers import container_info
from tools.kubernetes.history import (
    Revision,
    deployment_of,
    owned_replica_sets,
    revisions,
    rollback_target,
)
from tools.kubernetes.pods import (
    CHANGE_CAUSE,
    PodState,
    images,
    pod_state,
    revision_of,
    selector_string,
)
from tools.kubernetes.required import meta, name_of, namespace_of, pod_spec, resource_version_of
from tools.kubernetes.rollout import (
    RESTARTED_AT,
    restart_patch,
    rollback_annotations,
    rollback_patch,
    same_template,
)
from tools.kubernetes.sets import SetTools
from tools.kubernetes.workload_logs import workload_logs
from tools.outputs import (
    EVENTS_SHOWN,
    Condition,
    DeploymentDescription,
    DeploymentEvent,
    FromTo,
    PodList,
    PodLogs,
    PodRow,
    RolloutHistory,
    ScaleChange,
    row_reason,
    unavailable,
)
from tools.quota_tools import ListResourceQuotasArgs
from tools.real.change import Change
from tools.real.settings import DEFAULT_SERVICE_LABELS
from tools.service_tools import ServiceArgs
from tools.volume_tools import ListStorageClassesArgs, VolumeArgs
from tools.workload_logs import GetWorkloadLogsArgs
from tools.workload_reads import ListEventsArgs, ListHpasArgs

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _View:
    deployment: k8s.V1Deployment
    replica_sets: list[k8s.V1ReplicaSet]  # owned by the deployment
    pods: list[PodState]  # of those replica sets

    @property
    def key(self) -> str:
        return f"{namespace_of(self.deployment)}/{name_of(self.deployment)}"

    def revision_of_pod(self, pod: PodState) -> int | None:
        rs = next((r for r in self.replica_sets if name_of(r) == pod.owner), None)
        return revision_of(meta(rs)) if rs else None


class KubernetesTools:
    def __init__(self, cluster: Cluster, clock: Callable[[], datetime], *,
                 namespaces: Sequence[str] = (),
                 service_labels: Sequence[str] = DEFAULT_SERVICE_LABELS) -> None:
        self.cluster = cluster
        self._clock = clock
        self._namespaces = tuple(namespaces)
        self._service_labels = tuple(service_labels)
        self._sets = SetTools(self)

    def now(self) -> datetime:
        return self._clock()

    # --- shared ----------------------------------------------------------------------

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The namespaces opsbot is confined to; empty: all of them."""
        return self._namespaces

    def in_scope(self, namespace: str) -> None:
        if self._namespaces and namespace not in self._namespaces:
            raise ToolFailure(f"namespace {namespace!r} is outside this opsbot's scope "
                              f"(OPSBOT_NAMESPACES: {', '.join(self._namespaces)})")

    def service_of(self, deployment: k8s.V1Deployment | k8s.V1StatefulSet
                   | k8s.V1DaemonSet) -> str:
        template = deployment.spec.template.metadata
        for labels in ((template.labels if template else None) or {},
                       meta(deployment).labels or {}):
            for key in self._service_labels:
                if labels.get(key):
                    return labels[key]
        return name_of(deployment)

    def _view(self, namespace: str, name: str) -> _View:
        self.in_scope(namespace)
        dep = self.cluster.deployment(namespace, name)
        selector = selector_string(dep.spec.selector)
        owned = owned_replica_sets(dep, self.cluster.replica_sets(namespace, selector))
        names = {name_of(rs) for rs in owned}
        pods = [s for s in map(pod_state, self.cluster.pods(namespace, selector))
                if s.owner in names]
        return _View(dep, owned, pods)

    # --- inventory -------------------------------------------------------------------

    def deployment_infos(self) -> list[DeploymentInfo]:
        infos: list[DeploymentInfo] = []
        for namespace in self._namespaces or (None,):
            deployments = self.cluster.deployments(namespace)
            owner = {(namespace_of(rs), name_of(rs)): deployment_of(rs)
                     for rs in self.cluster.replica_sets(namespace)}
            pods: dict[tuple[str, str | None], list[str]] = defaultdict(list)
            listed = self.cluster.pods(namespace)
            for state in map(pod_state, listed):
                dep = owner.get((state.namespace, state.owner or ""))
                pods[(state.namespace, dep)].append(state.name)
            for d in deployments:
                where, name = namespace_of(d), name_of(d)
                infos.append(DeploymentInfo(
                    namespace=where,
                    name=name,
                    service=self.service_of(d),
                    replicas=d.spec.replicas if d.spec.replicas is not None else 1,
                    ready_replicas=(d.status.ready_replicas if d.status else None) or 0,
                    pods=tuple(sorted(pods.get((where, name), []))),
                    revision=revision_of(meta(d)),
                ))
            infos.extend(self._sets.infos(namespace, listed))
        return sorted(infos, key=lambda i: (i.namespace, i.name))

    # --- read-only tools -------------------------------------------------------------

    def list_pods(self, args: ListPodsArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        if args.deployment is not None and args.kind != DEFAULT_KIND:
            return self._sets.list_pods(args, self._clock())
        if args.deployment is not None:
            view = self._view(args.namespace, args.deployment)
            listed: list[tuple[PodState, str | None, int | None]] = [
                (s, args.deployment, view.revision_of_pod(s)) for s in view.pods]
        else:
            rs_info = {
                name_of(rs): (deployment_of(rs), revision_of(meta(rs)))
                for rs in self.cluster.replica_sets(args.namespace)
            }
            found = self.cluster.pods(args.namespace)
            if not found and self.cluster.namespace_missing(args.namespace):
                raise ToolFailure(f"namespace {args.namespace!r} not found")
            sets = self._sets.pod_owners(args.namespace, found)
            states = list(map(pod_state, found))
            listed = []
            for s in states:
                replica_set = rs_info.get(s.owner or "")
                owner, revision = replica_set if replica_set is not None \
                    else sets.get(s.name, (None, None))
                listed.append((s, owner, revision))
        now = self._clock()
        pods = [
            PodRow(
                name=s.name,
                phase=s.phase,
                ready=s.ready,
                restarts=s.restarts,
                reason=row_reason(s.reason, s.ready, s.last_termination_reason),
                deployment=dep,
                revision=revision,
                last_termination_reason=s.last_termination_reason,
                age=render.age(now - s.created_at) if s.created_at else None,
                created_at=s.created_at.isoformat() if s.created_at else None,
            )
            for s, dep, revision in listed
        ]
        rows = [
            (
                s.name,
                f"{s.containers_ready}/{s.containers}",
                s.status,
                _restarts(s, now),
                render.age(now - s.created_at) if s.created_at else "-",
                dep or "-",
                revision if revision is not None else "-",
                s.last_termination_reason or "",
            )
            for s, dep, revision in listed
        ]
        headers = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "DEPLOYMENT", "REVISION",
                   "LAST-TERMINATION")
        text = render.table(headers, rows) if rows else f"no pods in {args.namespace}"
        return ToolOutput(text=text, data=PodList(pods=pods))

    def get_pod_logs(self, args: GetPodLogsArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        pod = self.cluster.pod(args.namespace, args.pod)
        # A container the pod lacks is left to the API server, whose 400 names it.
        container = args.container or default_container(pod)
        raw = self.cluster.pod_log(args.namespace, args.pod, container, args.tail,
                                   args.previous)
        lines = raw.splitlines()[-args.tail:]
        which = "previous container" if args.previous else "container"
        header = (f"logs of {args.namespace}/{args.pod} ({which} {container}), "
                  f"last {len(lines)} lines:")
        return ToolOutput(text="\n".join([header, *lines]), data=PodLogs(
            pod=args.pod, lines=lines, previous=args.previous, container=container))

    def get_workload_logs(self, args: GetWorkloadLogsArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        return workload_logs(self.cluster, args)

    def describe_deployment(self, args: DeploymentArgs) -> ToolOutput:
        if args.kind != DEFAULT_KIND:
            return self._sets.describe(args)
        view = self._view(args.namespace, args.deployment)
        dep = view.deployment
        status = dep.status or k8s.V1DeploymentStatus()
        ready = status.ready_replicas or 0
        replicas = dep.spec.replicas if dep.spec.replicas is not None else 1
        revision = revision_of(meta(dep))
        image = images(dep.spec.template)
        change = (meta(dep).annotations or {}).get(CHANGE_CAUSE, "")
        conditions = [
            Condition(type=c.type, status=c.status, reason=c.reason or "",
                      message=c.message or "")
            for c in status.conditions or []
        ]
        containers = [container_info(c) for c in pod_spec(dep.spec.template).containers]
        events, events_note = self.recent_events(args.namespace, "Deployment",
                                                 args.deployment)
        lines = [
            f"Name:        {name_of(dep)}",
            f"Namespace:   {namespace_of(dep)}",
            f"Service:     {self.service_of(dep)}",
            f"Revision:    {revision if revision is not None else '-'} ({image})",
            f"Change:      {change or '-'}",
            f"Replicas:    {replicas} desired | {status.updated_replicas or 0} updated | "
            f"{ready} ready | {status.available_replicas or 0} available | "
            f"{len(view.pods)} pods{unavailable(replicas, status.available_replicas or 0)}",
            f"Strategy:    {_strategy(dep)}",
        ]
        if dep.spec.paused:
            lines.append("Paused:      yes (rollouts are suspended)")
        lines.extend(f"Container:   {c.name} {c.image}, limits {c.limits or 'none'}, "
                     f"requests {c.requests or 'none'}" for c in containers)
        lines.append("Conditions:")
        lines.append(render.table(
            ("  TYPE", "STATUS", "REASON", "MESSAGE"),
            [(f"  {c.type}", c.status, c.reason, c.message) for c in conditions],
        ) if conditions else "  none reported yet")
        lines.append("Events:")
        if events_note:
            lines.append(f"  unavailable: {events_note}")
        elif not events:
            lines.append("  none")
        lines.extend(f"  {e.type} {e.reason} (x{e.count}, last {e.last_seen or '-'}):"
                     f" {e.message}" for e in events)
        memory = containers[0].memory_limit_mib if containers else None
        data = DeploymentDescription(
            namespace=namespace_of(dep),
            name=name_of(dep),
            service=self.service_of(dep),
            replicas=replicas,
            ready_replicas=ready,
            revision=revision,
            image=image,
            change=change,
            conditions=conditions,
            memory_limit_mib=memory,
            containers=containers,
            paused=bool(dep.spec.paused),
            events=events,
        )
        return ToolOutput(text="\n".join(lines), data=data)

    def recent_events(self, namespace: str, kind: str,
                      name: str) -> tuple[list[DeploymentEvent], str | None]:
        """Recent events, newest last; events are context, so a refusal does not fail the
        whole description."""
        try:
            found = self.cluster.events(namespace, kind, name)
        except ToolFailure as exc:
            return [], str(exc)

        def when(e: k8s.CoreV1Event) -> datetime:
            return e.last_timestamp or e.event_time or e.first_timestamp or _NEVER

        listed = []
        for e in sorted(found, key=when)[-EVENTS_SHOWN:]:
            seen = when(e)
            listed.append(DeploymentEvent(
                type=e.type or "",
                reason=e.reason or "",
                message=e.message or "",
                count=e.count or 1,
                last_seen=render.clock(seen) if seen is not _NEVER else None,
            ))
        return listed, None

    def _revisions(self, view: _View) -> list[Revision]:
        return revisions(view.deployment, view.replica_sets, view.pods)

    def rollout_history(self, args: DeploymentArgs) -> ToolOutput:
        if args.kind != DEFAULT_KIND:
            return self._sets.history(args)
        view = self._view(args.namespace, args.deployment)
        revs = self._revisions(view)
        rows = [
            (
                f"{r.revision}{' (current)' if r.current else ''}",
                r.image,
                "yes" if r.healthy else "NO",
                r.health,
                render.clock(r.created_at) if r.created_at else "-",
                r.change or "-",
            )
            for r in revs
        ]
        text = f"deployment.apps/{args.deployment} in {args.namespace}\n" + render.table(
            ("REVISION", "IMAGE", "HEALTHY", "WHY", "CREATED", "CHANGE-CAUSE"), rows)
        return ToolOutput(text=text, data=RolloutHistory(revisions=[r.row() for r in revs]))

    def list_events(self, args: ListEventsArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        return cluster_reads.list_events(self.cluster, args, self._clock())

    def list_hpas(self, args: ListHpasArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        return cluster_reads.list_hpas(self.cluster, args)

    def describe_pv(self, args: VolumeArgs) -> ToolOutput:
        return storage_reads.describe_pv(self.cluster, args)

    def list_resource_quotas(self, args: ListResourceQuotasArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        return cluster_reads.list_resource_quotas(self.cluster, args)

    def list_storageclasses(self, args: ListStorageClassesArgs) -> ToolOutput:
        return storage_reads.list_storageclasses(self.cluster, args)

    def describe_service(self, args: ServiceArgs) -> ToolOutput:
        self.in_scope(args.namespace)
        return service_reads.describe_service(self.cluster, args)

    # --- mutating tools --------------------------------------------------------------

    def rollback(self, args: RollbackDeploymentArgs, *, dry_run: bool) -> Change:
        if args.kind != DEFAULT_KIND:
            return self._sets.rollback(args, dry_run=dry_run)
        view = self._view(args.namespace, args.deployment)
        dep = view.deployment
        current, target = rollback_target(
            self._revisions(view), args.revision, view.key,
            "the deployment controller has not recorded one")
        if dep.spec.paused:
            raise ToolFailure(f"{view.key} is paused; resume it (kubectl rollout resume) "
                              "before rolling back")
        rs = next(r for r in view.replica_sets if name_of(r) == target.replica_set)
        wanted = self.cluster.serialize(rs.spec.template)
        if same_template(wanted, self.cluster.serialize(dep.spec.template)):
            raise ToolFailure(f"{view.key} already runs the pod template of revision "
                              f"{target.revision}")
        patch = rollback_patch(
            resource_version_of(dep),
            wanted,
            rollback_annotations(meta(dep).annotations or {}, meta(rs).annotations or {}),
        )
        result = self.cluster.patch_deployment(args.namespace, args.deployment, patch,
                                               JSON_PATCH, dry_run=dry_run)
        return rollback_change(view.key, current, target, images(result.spec.template),
                               [p.name for p in view.pods], "rolling", dry_run)

    def restart(self, args: DeploymentArgs, *, dry_run: bool) -> Change:
        if args.kind != DEFAULT_KIND:
            return self._sets.restart(args, dry_run=dry_run)
        view = self._view(args.namespace, args.deployment)
        dep = view.deployment
        if dep.spec.paused:
            raise ToolFailure(f"{view.key} is paused; resume it (kubectl rollout resume) "
                              "before restarting")
        patch = restart_patch(self._clock())
        stamp = patch["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
        self.cluster.patch_deployment(args.namespace, args.deployment, patch, MERGE_PATCH,
                                      dry_run=dry_run)
        return restart_change(view.key, [p.name for p in view.pods],
                              images(dep.spec.template), stamp, None, dry_run)

    def scale(self, args: ScaleDeploymentArgs, *, dry_run: bool) -> Change:
        if args.kind != DEFAULT_KIND:
            return self._sets.scale(args, dry_run=dry_run)
        self.in_scope(args.namespace)
        key = f"{args.namespace}/{args.deployment}"
        current = self.cluster.scale(args.namespace, args.deployment).spec
        before = (current.replicas if current else None) or 0
        result = self.cluster.patch_scale(args.namespace, args.deployment, args.replicas,
                                          dry_run=dry_run).spec
        after = result.replicas if result and result.replicas is not None else args.replicas
        if after > before:
            detail = f"adds {after - before} pods"
        elif after < before:
            detail = (f"removes {before - after} pods (the ReplicaSet picks: unready first, "
                      "then the youngest)")
        else:
            detail = "no change"
        return Change(
            summary=f"scale {key}: replicas {before} -> {after}",
            details=(detail, *dry_run_note(dry_run)),
            changed=ScaleChange(replicas=FromTo(before=before, after=after)),
        )


def _restarts(state: PodState, now: datetime) -> str:
    if state.restarts and state.last_restart_at:
        return f"{state.restarts} ({render.age(now - state.last_restart_at)} ago)"
    return str(state.restarts)


def _strategy(dep: k8s.V1Deployment) -> str:
    strategy = dep.spec.strategy
    if strategy is None or strategy.type in (None, "RollingUpdate"):
        rolling = strategy.rolling_update if strategy else None
        unavailable = rolling.max_unavailable if rolling and rolling.max_unavailable is not None \
            else "25%"
        surge = rolling.max_surge if rolling and rolling.max_surge is not None else "25%"
        return f"RollingUpdate {unavailable} max unavailable, {surge} max surge"
    return str(strategy.type)
