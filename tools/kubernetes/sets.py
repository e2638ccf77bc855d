"""StatefulSets and DaemonSets behind the deployment tools: their pods, description,
ControllerRevision history and the three changes, each run as a server-side dry run (the
preview) or for real through the same code, like tools/kubernetes/backend.py does for
Deployments. A DaemonSet has no scale: the tool's args refuse it before anything runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kubernetes import client as k8s

from assistant.models import DeploymentInfo, ToolOutput
from tools import render
from tools.backend import ToolFailure
from tools.catalog import DeploymentArgs, ListPodsArgs, RollbackDeploymentArgs, ScaleDeploymentArgs
from tools.kubernetes.changes import dry_run_note, restart_change, rollback_change
from tools.kubernetes.cluster import JSON_PATCH, MERGE_PATCH
from tools.kubernetes.containers import container_info
from tools.kubernetes.history import Revision, rollback_target
from tools.kubernetes.pods import (
    CHANGE_CAUSE,
    PodState,
    controller_of,
    images,
    pod_state,
    selector_string,
)
from tools.kubernetes.required import (
    meta,
    name_of,
    namespace_of,
    pod_spec,
    resource_version_of,
    revision_number,
    spec_of,
)
from tools.kubernetes.rollout import RESTARTED_AT, restart_patch, same_template
from tools.kubernetes.set_history import (
    REVISION_LABEL,
    SetWorkload,
    owned_revisions,
    revision_template,
    set_revisions,
    set_rollback_patch,
)
from tools.outputs import (
    Condition,
    DeploymentDescription,
    FromTo,
    PodList,
    PodRow,
    RolloutHistory,
    ScaleChange,
    row_reason,
    unavailable,
)
from tools.real.change import Change

if TYPE_CHECKING:
    from tools.kubernetes.backend import KubernetesTools


SET_KINDS = ("StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class _SetView:
    kind: str
    workload: SetWorkload
    revisions: list[Revision]
    pods: list[tuple[PodState, str]]  # with each pod's controller-revision-hash

    @property
    def key(self) -> str:
        return f"{self.kind} {namespace_of(self.workload)}/{name_of(self.workload)}"

    @property
    def desired(self) -> int:
        if isinstance(self.workload, k8s.V1DaemonSet):
            return (self.workload.status.desired_number_scheduled
                    if self.workload.status else None) or 0
        replicas = self.workload.spec.replicas
        return 1 if replicas is None else replicas

    @property
    def ready(self) -> int:
        if isinstance(self.workload, k8s.V1DaemonSet):
            return (self.workload.status.number_ready if self.workload.status else None) or 0
        return (self.workload.status.ready_replicas if self.workload.status else None) or 0

    def revision_of_pod(self, pod: PodState) -> int | None:
        return next((r.revision for r in self.revisions
                     if any(p.name == pod.name for p, _ in self._pods_of(r))), None)

    def _pods_of(self, revision: Revision) -> list[tuple[PodState, str]]:
        return [(p, label) for p, label in self.pods
                if label and (label == revision.replica_set
                              or revision.replica_set.endswith(f"-{label}"))]


class SetTools:
    def __init__(self, tools: KubernetesTools) -> None:
        self._tools = tools
        self.cluster = tools.cluster

    def _read(self, kind: str, namespace: str, name: str) -> SetWorkload:
        if kind == "StatefulSet":
            return self.cluster.stateful_set(namespace, name)
        return self.cluster.daemon_set(namespace, name)

    def _patch(self, kind: str, namespace: str, name: str, body: Any, content_type: str,
               dry_run: bool) -> SetWorkload:
        if kind == "StatefulSet":
            return self.cluster.patch_stateful_set(namespace, name, body, content_type,
                                                   dry_run=dry_run)
        return self.cluster.patch_daemon_set(namespace, name, body, content_type,
                                             dry_run=dry_run)

    def _view(self, kind: str, namespace: str, name: str) -> _SetView:
        self._tools.in_scope(namespace)
        workload = self._read(kind, namespace, name)
        selector = selector_string(workload.spec.selector)
        pods = [(pod_state(p), (meta(p).labels or {}).get(REVISION_LABEL, ""))
                for p in self.cluster.pods(namespace, selector)
                if controller_of(meta(p), kind) == name]
        owned = owned_revisions(workload, self.cluster.controller_revisions(namespace, selector))
        view = _SetView(kind, workload, [], pods)
        return _SetView(kind, workload, set_revisions(owned, pods, view.desired), pods)

    # --- inventory -------------------------------------------------------------------

    def infos(self, namespace: str | None, pods_listed: list[k8s.V1Pod]) -> list[DeploymentInfo]:
        """The StatefulSets and DaemonSets of ``namespace`` (all when None), their pods
        found among ``pods_listed`` (that namespace's pods, already read)."""
        found: list[tuple[str, SetWorkload]] = [
            *(("StatefulSet", s) for s in self.cluster.stateful_sets(namespace)),
            *(("DaemonSet", d) for d in self.cluster.daemon_sets(namespace)),
        ]
        if not found:
            return []
        pods: dict[tuple[str, str, str], list[str]] = {}
        for pod in pods_listed:
            for kind in SET_KINDS:
                owner = controller_of(meta(pod), kind)
                if owner is not None:
                    pods.setdefault((kind, namespace_of(pod), owner), []).append(name_of(pod))
        newest: dict[str, int] = {}
        for rev in self.cluster.controller_revisions(namespace):
            for ref in meta(rev).owner_references or []:
                if ref.controller:
                    newest[ref.uid] = max(newest.get(ref.uid, 0), revision_number(rev))
        infos = []
        for kind, workload in found:
            view = _SetView(kind, workload, [], [])
            namespace, name = namespace_of(workload), name_of(workload)
            infos.append(DeploymentInfo(
                namespace=namespace, name=name, kind=kind,
                service=self._tools.service_of(workload), replicas=view.desired,
                ready_replicas=view.ready,
                pods=tuple(sorted(pods.get((kind, namespace, name), []))),
                revision=newest.get(meta(workload).uid or ""),
            ))
        return infos

    def pod_owners(self, namespace: str, pods: list[k8s.V1Pod]
                   ) -> dict[str, tuple[str, int | None]]:
        """Pod name -> (its StatefulSet or DaemonSet, the revision it runs), for listing a
        namespace's pods the way a workload's own listing shows them."""
        owned = {name_of(p): (owner, (meta(p).labels or {}).get(REVISION_LABEL, ""))
                 for p in pods for kind in SET_KINDS
                 if (owner := controller_of(meta(p), kind)) is not None}
        if not owned:
            return {}
        revisions = self.cluster.controller_revisions(namespace)
        result: dict[str, tuple[str, int | None]] = {}
        for pod, (owner, label) in owned.items():
            number = next((revision_number(r) for r in revisions
                           if any(ref.controller and ref.name == owner
                                  for ref in meta(r).owner_references or [])
                           and label and name_of(r) in (label, f"{owner}-{label}")), None)
            result[pod] = (owner, number)
        return result

    # --- reads -----------------------------------------------------------------------

    def list_pods(self, args: ListPodsArgs, now: datetime) -> ToolOutput:
        assert args.deployment is not None  # the caller handles a whole namespace
        view = self._view(args.kind, args.namespace, args.deployment)
        rows = [PodRow(name=s.name, phase=s.phase, ready=s.ready, restarts=s.restarts,
                       reason=row_reason(s.reason, s.ready, s.last_termination_reason),
                       deployment=args.deployment,
                       revision=view.revision_of_pod(s),
                       last_termination_reason=s.last_termination_reason,
                       age=render.age(now - s.created_at) if s.created_at else None,
                       created_at=s.created_at.isoformat() if s.created_at else None)
                for s, _ in view.pods]
        table = [(r.name, "1/1" if r.ready else "0/1", r.reason or r.phase, r.restarts,
                  r.age or "-", r.revision if r.revision is not None else "-")
                 for r in rows]
        text = render.table(("NAME", "READY", "STATUS", "RESTARTS", "AGE", "REVISION"), table) \
            if rows else f"no pods of {view.key}"
        return ToolOutput(text=text, data=PodList(pods=rows))

    def describe(self, args: DeploymentArgs) -> ToolOutput:
        view = self._view(args.kind, args.namespace, args.deployment)
        workload = view.workload
        name = name_of(workload)
        current = next((r for r in view.revisions if r.current), None)
        image = images(workload.spec.template)
        change = (meta(workload).annotations or {}).get(CHANGE_CAUSE, "")
        conditions = [Condition(type=c.type, status=c.status, reason=c.reason or "",
                                message=c.message or "")
                      for c in (workload.status.conditions if workload.status else None) or []]
        containers = [container_info(c) for c in pod_spec(workload.spec.template).containers]
        events, events_note = self._tools.recent_events(args.namespace, args.kind, name)
        strategy = workload.spec.update_strategy
        lines = [
            f"Name:        {name}",
            f"Kind:        {args.kind}",
            f"Namespace:   {namespace_of(workload)}",
            f"Service:     {self._tools.service_of(workload)}",
            f"Revision:    {current.revision if current else '-'} ({image})",
            f"Change:      {change or '-'}",
            f"Replicas:    {view.desired} desired | {_updated(view)} updated | "
            f"{view.ready} ready | {len(view.pods)} pods{unavailable(view.desired, view.ready)}",
            f"Strategy:    {strategy.type if strategy and strategy.type else 'RollingUpdate'}",
            *(f"Container:   {c.name} {c.image}, limits {c.limits or 'none'}, "
              f"requests {c.requests or 'none'}" for c in containers),
            "Events:",
            *([f"  unavailable: {events_note}"] if events_note else
              [] if events else ["  none"]),
            *(f"  {e.type} {e.reason} (x{e.count}, last {e.last_seen or '-'}): {e.message}"
              for e in events),
        ]
        data = DeploymentDescription(
            namespace=namespace_of(workload), name=name, service=self._tools.service_of(workload),
            replicas=view.desired, ready_replicas=view.ready,
            revision=current.revision if current else None, image=image, change=change,
            conditions=conditions,
            memory_limit_mib=containers[0].memory_limit_mib if containers else None,
            containers=containers, events=events, kind=args.kind)
        return ToolOutput(text="\n".join(lines), data=data)

    def history(self, args: DeploymentArgs) -> ToolOutput:
        view = self._view(args.kind, args.namespace, args.deployment)
        rows = [(f"{r.revision}{' (current)' if r.current else ''}", r.image,
                 "yes" if r.healthy else "NO", r.health,
                 render.clock(r.created_at) if r.created_at else "-", r.change or "-")
                for r in view.revisions]
        text = f"{args.kind.lower()}.apps/{args.deployment} in {args.namespace}\n" + \
            render.table(("REVISION", "IMAGE", "HEALTHY", "WHY", "CREATED", "CHANGE-CAUSE"),
                         rows)
        return ToolOutput(text=text,
                          data=RolloutHistory(revisions=[r.row() for r in view.revisions]))

    # --- changes ---------------------------------------------------------------------

    def rollback(self, args: RollbackDeploymentArgs, *, dry_run: bool) -> Change:
        view = self._view(args.kind, args.namespace, args.deployment)
        current, target = rollback_target(view.revisions, args.revision, view.key,
                                          "no ControllerRevision recorded")
        snapshot = next(r for r in self.cluster.controller_revisions(
            args.namespace, selector_string(view.workload.spec.selector))
            if name_of(r) == target.replica_set)
        wanted = revision_template(snapshot)
        if same_template(wanted, self.cluster.serialize(view.workload.spec.template)):
            raise ToolFailure(f"{view.key} already runs the pod template of revision "
                              f"{target.revision}")
        patch = set_rollback_patch(resource_version_of(view.workload), wanted)
        result = self._patch(args.kind, args.namespace, args.deployment, patch, JSON_PATCH,
                             dry_run)
        return rollback_change(view.key, current, target, images(result.spec.template),
                               [p.name for p, _ in view.pods], _order(args.kind), dry_run)

    def restart(self, args: DeploymentArgs, *, dry_run: bool) -> Change:
        view = self._view(args.kind, args.namespace, args.deployment)
        patch = restart_patch(self._tools.now())
        stamp = patch["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
        self._patch(args.kind, args.namespace, args.deployment, patch, MERGE_PATCH, dry_run)
        return restart_change(view.key, [p.name for p, _ in view.pods],
                              images(view.workload.spec.template), stamp, _order(args.kind),
                              dry_run)

    def scale(self, args: ScaleDeploymentArgs, *, dry_run: bool) -> Change:
        self._tools.in_scope(args.namespace)
        before = spec_of(self.cluster.stateful_set_scale(args.namespace, args.deployment)
                         ).replicas or 0
        result = self.cluster.patch_stateful_set_scale(args.namespace, args.deployment,
                                                       args.replicas, dry_run=dry_run)
        replicas = spec_of(result).replicas
        after = replicas if replicas is not None else args.replicas
        name = args.deployment
        if after > before:
            detail = f"adds pods {', '.join(f'{name}-{i}' for i in range(before, after))}"
        elif after < before:
            gone = ", ".join(f"{name}-{i}" for i in range(before - 1, after - 1, -1))
            detail = f"removes pods {gone} (highest ordinal first; their volumes stay)"
        else:
            detail = "no change"
        return Change(
            summary=f"scale StatefulSet {args.namespace}/{args.deployment}: "
                    f"replicas {before} -> {after}",
            details=(detail, *dry_run_note(dry_run)),
            changed=ScaleChange(replicas=FromTo(before=before, after=after)),
        )


def _updated(view: _SetView) -> int:
    workload = view.workload
    if isinstance(workload, k8s.V1DaemonSet):
        return (workload.status.updated_number_scheduled if workload.status else None) or 0
    return (workload.status.updated_replicas if workload.status else None) or 0


def _order(kind: str) -> str:
    return "highest ordinal first" if kind == "StatefulSet" else "node by node"

