"""A deployment's revisions from its ReplicaSets, each judged healthy or not. Pure.

Kubernetes does not record whether an old revision ever worked, so "healthy" is a
heuristic, stated here because rollbacks without a revision pick by it:

- The current revision is judged from live state: healthy when the deployment is
  Available, its rollout has not hit the progress deadline, every pod of its ReplicaSet
  is ready and none is failing (CrashLoopBackOff, ImagePullBackOff, ...).
- An older revision is healthy unless there is evidence against it:
  * pods of its ReplicaSet that still exist are failing, or
  * it was rolled back from: a later revision re-used an older pod template, which is
    what `kubectl rollout undo` (and opsbot's rollback) leaves behind in the
    deployment.kubernetes.io/revision-history annotation of the re-used ReplicaSet.
    Re-applying an old manifest by hand looks the same and is counted the same.
  A revision replaced by a forward fix (a new image) leaves no trace and counts as
  healthy; say so in runbooks that rely on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kubernetes import client as k8s

from tools.backend import ToolFailure
from tools.kubernetes.pods import (
    CHANGE_CAUSE,
    REVISION_HISTORY,
    PodState,
    controller_of,
    images,
    revision_of,
)
from tools.kubernetes.required import meta, name_of, template_of
from tools.outputs import RevisionRow


@dataclass(frozen=True)
class Revision:
    revision: int
    replica_set: str
    image: str
    change: str
    healthy: bool
    health: str  # why it was judged so
    current: bool
    created_at: datetime | None
    replicas: int
    ready: int

    def row(self) -> RevisionRow:
        return RevisionRow(
            revision=self.revision,
            image=self.image,
            change=self.change,
            healthy=self.healthy,
            health=self.health,
            current=self.current,
            replica_set=self.replica_set,
            # When its ReplicaSet was created: the first rollout of this template.
            deployed_at=self.created_at.isoformat() if self.created_at else None,
        )


def owned_replica_sets(deployment: k8s.V1Deployment,
                       replica_sets: Sequence[k8s.V1ReplicaSet]) -> list[k8s.V1ReplicaSet]:
    uid = meta(deployment).uid
    return [
        rs for rs in replica_sets
        if any(ref.controller and ref.kind == "Deployment" and ref.uid == uid
               for ref in meta(rs).owner_references or [])
    ]


def _history(rs: k8s.V1ReplicaSet) -> list[int]:
    raw = (meta(rs).annotations or {}).get(REVISION_HISTORY, "")
    return [int(p) for p in raw.split(",") if p.strip().isdigit()]


def _numbers(rs: k8s.V1ReplicaSet) -> list[int]:
    current = revision_of(meta(rs))
    return sorted({*_history(rs), *([current] if current is not None else [])})


def rolled_back_from(replica_sets: Sequence[k8s.V1ReplicaSet]) -> set[int]:
    """Revision numbers that were current when a rollback replaced them.

    A ReplicaSet's first number is when it was created; every later one is a re-use of its
    template, which makes the number just before it a revision that was rolled back from.
    """
    return {n - 1 for rs in replica_sets for n in _numbers(rs)[1:]}


def _condition(deployment: k8s.V1Deployment, kind: str) -> k8s.V1DeploymentCondition | None:
    status = deployment.status or k8s.V1DeploymentStatus()
    return next((c for c in status.conditions or [] if c.type == kind), None)


def _live_health(deployment: k8s.V1Deployment, rs: k8s.V1ReplicaSet,
                 pods: Sequence[PodState]) -> tuple[bool, str]:
    failing = sorted({p.status for p in pods if p.failing})
    if failing:
        return False, f"pods failing: {', '.join(failing)}"
    progressing = _condition(deployment, "Progressing")
    if progressing is not None and progressing.status == "False":
        return False, f"rollout stalled ({progressing.reason})"
    available = _condition(deployment, "Available")
    if available is not None and available.status == "False":
        return False, "below minimum availability"
    want = rs.spec.replicas or 0
    ready = (rs.status.ready_replicas if rs.status else None) or 0
    if ready < want:
        return False, f"{ready}/{want} pods ready"
    return True, f"all {want} pods ready"


def revisions(deployment: k8s.V1Deployment, replica_sets: Sequence[k8s.V1ReplicaSet],
              pods: Sequence[PodState]) -> list[Revision]:
    """The deployment's revisions, oldest first."""
    owned = [rs for rs in owned_replica_sets(deployment, replica_sets)
             if revision_of(meta(rs)) is not None]
    current = revision_of(meta(deployment))
    abandoned = rolled_back_from(owned)
    result = []
    for rs in owned:
        number = revision_of(meta(rs))
        assert number is not None  # filtered above
        mine = [p for p in pods if p.owner == name_of(rs)]
        is_current = number == current
        if is_current:
            healthy, health = _live_health(deployment, rs, mine)
        elif any(p.failing for p in mine):
            healthy = False
            health = f"pods failing: {', '.join(sorted({p.status for p in mine if p.failing}))}"
        elif abandoned.intersection(_numbers(rs)):
            healthy, health = False, "rolled back from"
        else:
            healthy, health = True, "superseded with no failure recorded"
        result.append(Revision(
            revision=number,
            replica_set=name_of(rs),
            image=images(template_of(rs.spec)),
            change=(meta(rs).annotations or {}).get(CHANGE_CAUSE, ""),
            healthy=healthy,
            health=health,
            current=is_current,
            created_at=meta(rs).creation_timestamp,
            replicas=rs.spec.replicas or 0,
            ready=(rs.status.ready_replicas if rs.status else None) or 0,
        ))
    return sorted(result, key=lambda r: r.revision)


def deployment_of(rs: k8s.V1ReplicaSet) -> str | None:
    return controller_of(meta(rs), "Deployment")


def rollback_target(revs: Sequence[Revision], wanted: int | None, key: str,
                    no_current: str) -> tuple[Revision, Revision]:
    """(current, target) of a rollback to ``wanted``, or to the last healthy revision
    before the current one when None; failures name the revisions there are."""
    known = ", ".join(str(r.revision) for r in revs) or "none"
    current = next((r for r in revs if r.current), None)
    if current is None:
        raise ToolFailure(f"{key} has no current revision yet ({no_current}); try again "
                          "shortly")
    if wanted is None:
        earlier = [r for r in revs if r.revision < current.revision and r.healthy]
        if not earlier:
            raise ToolFailure(f"no healthy revision before {current.revision} in the "
                              f"history of {key} (revisions: {known})")
        target = earlier[-1]
    else:
        found = next((r for r in revs if r.revision == wanted), None)
        if found is None:
            raise ToolFailure(f"revision {wanted} is not in the history of {key} "
                              f"(revisions: {known})")
        target = found
    if target.current:
        raise ToolFailure(f"{key} is already at revision {target.revision}")
    return current, target
