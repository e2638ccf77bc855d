"""The patches behind rollback and restart, as kubectl builds them. Pure.

Rollback is `kubectl rollout undo --to-revision`: the target ReplicaSet's pod template
(without its pod-template-hash label) replaces the deployment's, and the ReplicaSet's
annotations (change-cause among them) replace the deployment's, except the bookkeeping
ones the controller owns. One difference: the patch also sets metadata.resourceVersion to
the version that was read, so the API server refuses it (409) if the deployment changed
in between, instead of silently overwriting someone else's rollout.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from tools.kubernetes.pods import REVISION, REVISION_HISTORY, TEMPLATE_HASH

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

# kubectl's annotationsToSkip: owned by the deployment controller or by kubectl apply.
_CONTROLLER_ANNOTATIONS = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})


def without_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A serialized pod template without the label the ReplicaSet controller adds."""
    clean = copy.deepcopy(template)
    labels = (clean.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(TEMPLATE_HASH, None)
    return clean


def same_template(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return without_hash(a) == without_hash(b)


def rollback_annotations(deployment_annotations: dict[str, str],
                         replica_set_annotations: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in deployment_annotations.items() if k in _CONTROLLER_ANNOTATIONS}
    taken = {k: v for k, v in replica_set_annotations.items()
             if k not in _CONTROLLER_ANNOTATIONS}
    return {**kept, **taken}


def rollback_patch(resource_version: str, target_template: dict[str, Any],
                   annotations: dict[str, str]) -> list[dict[str, Any]]:
    """A JSON patch (RFC 6902) restoring ``target_template``."""
    return [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version},
        {"op": "replace", "path": "/spec/template", "value": without_hash(target_template)},
        # "add" sets a member whether or not it exists; "replace" fails when it does not.
        {"op": "add", "path": "/metadata/annotations", "value": annotations},
    ]


def restart_patch(at: datetime) -> dict[str, Any]:
    """A merge patch stamping the pod template, which rolls every pod like kubectl does."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
