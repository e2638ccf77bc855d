"""A StatefulSet's or DaemonSet's revisions from its ControllerRevisions. Pure.

Both controllers snapshot each pod template they roll out as a ControllerRevision whose
``data`` is a patch holding the template, numbered like a Deployment's revisions; a
rollback to an earlier snapshot re-numbers that snapshot as the newest, so the current
revision is the highest number. Health follows tools/kubernetes/history.py with one
difference: ControllerRevisions keep no record of re-use, so "rolled back from" cannot be
told and an older revision counts as healthy unless pods of it still exist and fail.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from kubernetes import client as k8s

from tools.kubernetes.history import Revision
from tools.kubernetes.pods import CHANGE_CAUSE, PodState
from tools.kubernetes.required import meta, name_of, revision_number

# Pods name the ControllerRevision they were made from: a StatefulSet's pods by the
# revision's name, a DaemonSet's by the name's hash suffix.
REVISION_LABEL = "controller-revision-hash"

SetWorkload = k8s.V1StatefulSet | k8s.V1DaemonSet


def owned_revisions(workload: SetWorkload, found: Sequence[k8s.V1ControllerRevision]
                    ) -> list[k8s.V1ControllerRevision]:
    uid = meta(workload).uid
    return sorted((r for r in found if any(ref.controller and ref.uid == uid
                                           for ref in meta(r).owner_references or [])),
                  key=revision_number)


def revision_template(revision: k8s.V1ControllerRevision) -> dict[str, Any]:
    """The serialized pod template a revision holds, without the patch directive."""
    template = copy.deepcopy(((revision.data or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def _images(template: dict[str, Any]) -> str:
    containers = (template.get("spec") or {}).get("containers") or []
    return ", ".join(c.get("image") or "?" for c in containers)


def pods_of(revision: k8s.V1ControllerRevision, pods: Sequence[tuple[PodState, str]]
            ) -> list[PodState]:
    """Of (pod, its controller-revision-hash label) pairs, the pods made from ``revision``."""
    name = name_of(revision)
    return [p for p, label in pods if label and (label == name or name.endswith(f"-{label}"))]


def set_revisions(revisions: Sequence[k8s.V1ControllerRevision],
                  pods: Sequence[tuple[PodState, str]], desired: int) -> list[Revision]:
    """Oldest first; ``desired`` is how many pods the current revision should have ready."""
    current = max((revision_number(r) for r in revisions), default=None)
    result = []
    for rev in revisions:
        mine = pods_of(rev, pods)
        failing = sorted({p.status for p in mine if p.failing})
        ready = sum(p.ready for p in mine)
        is_current = revision_number(rev) == current
        if failing:
            healthy, health = False, f"pods failing: {', '.join(failing)}"
        elif is_current and ready < desired:
            healthy, health = False, f"{ready}/{desired} pods ready"
        elif is_current:
            healthy, health = True, f"all {desired} pods ready"
        else:
            healthy, health = True, "superseded with no failure recorded"
        result.append(Revision(
            revision=revision_number(rev),
            replica_set=name_of(rev),
            image=_images(revision_template(rev)),
            change=(meta(rev).annotations or {}).get(CHANGE_CAUSE, ""),
            healthy=healthy,
            health=health,
            current=is_current,
            created_at=meta(rev).creation_timestamp,
            replicas=len(mine),
            ready=ready,
        ))
    return result


def set_rollback_patch(resource_version: str,
                       template: dict[str, Any]) -> list[dict[str, Any]]:
    """What `kubectl rollout undo` applies (the revision's template), as a JSON patch that
    the API server refuses (409) if the workload changed since it was read."""
    return [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version},
        {"op": "replace", "path": "/spec/template", "value": template},
    ]
