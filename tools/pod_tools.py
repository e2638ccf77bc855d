"""Pod tools beyond listing and logs: describe one pod, delete one pod."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from assistant.models import BlastRadius, Inventory, Remedy, Risk, ToolClass, ToolSpec, Watch
from tools.args import Args, K8sName
from tools.command_forms import _kubectl, _namespace, pod_name
from tools.object_outputs import PodDeletion, PodDescription
from tools.outputs import Changed
from tools.trouble_reads import pod_description_reads


class PodArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    pod: K8sName = Field(description="Pod name")


def owning_deployment(pod: str) -> str | None:
    """The Deployment a pod name says it belongs to: ``<deployment>-<rs hash>-<suffix>``
    is how the ReplicaSet controller names pods, so a name of another shape says nothing."""
    match = re.fullmatch(r"(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}", pod)
    return match[1] if match else None


def _pod_blast(args: PodArgs, inventory: Inventory) -> BlastRadius:
    dep = inventory.deployment_of_pod(args.namespace, args.pod)
    if dep is None:
        return BlastRadius(namespaces=(args.namespace,), pods_affected=1)
    service_pods = sum(d.replicas for d in inventory.deployments if d.service == dep.service)
    return BlastRadius(namespaces=(args.namespace,), service=dep.service, pods_affected=1,
                       service_pods=service_pods)


def _pod_key(args: PodArgs) -> str:
    return f"{args.namespace}/pod/{args.pod}"


def _pod_namespace(args: PodArgs) -> frozenset[str]:
    return frozenset({args.namespace})


def _pod_watch(args: PodArgs) -> Watch:
    """Deleting a Deployment's pod is verified by its replacement becoming ready, which is
    the Deployment's ready count; a bare pod has nothing that replaces it."""
    return Watch(namespace=args.namespace, deployment=owning_deployment(args.pod))


def _unwell(output: PodDescription) -> list[str]:
    if output.ready and not output.reason:
        return []
    waiting = [f"{c.name} {c.reason}" for c in output.containers if c.reason]
    return [f"pod {output.name} not ready ({', '.join(waiting) or output.phase})"]


def _one_pod(command: Any, *verb: str) -> dict[str, Any] | None:
    rest = _kubectl(command, *verb)
    if rest is None or len(rest) != 2 or rest[0] != "pod" or "selector" in command.options:
        return None
    return {"namespace": _namespace(command), "pod": pod_name(rest[1])}


def describe_pod_form(command: Any) -> dict[str, Any] | None:
    return _one_pod(command, "describe")


def delete_pod_form(command: Any) -> dict[str, Any] | None:
    # --force / --grace-period=0 skip the graceful shutdown the tool always keeps.
    if {"force", "grace-period"} & set(command.options):
        return None
    return _one_pod(command, "delete")


POD_TOOLS = (
    ToolSpec(
        name="describe_pod",
        description="One pod in detail: node, containers with states, restarts and last "
                    "termination reason, conditions and recent events.",
        args_model=PodArgs, output_model=PodDescription, tool_class=ToolClass.READ,
        risk=Risk.LOW, blast_radius=lambda _a, _i: BlastRadius(),
        trouble=_unwell, next_reads=pod_description_reads,
        implements=describe_pod_form),
    ToolSpec(
        name="delete_pod",
        description="Delete one pod (graceful); its controller starts a replacement.",
        args_model=PodArgs, output_model=Changed[PodDeletion],
        tool_class=ToolClass.REMEDIATION, risk=Risk.MEDIUM, blast_radius=_pod_blast,
        idempotent=False, resource=_pod_key, named_namespaces=_pod_namespace,
        watch=_pod_watch, remedy=Remedy.REPLACE_POD, implements=delete_pod_form,
        asked_by=re.compile(r"\b(?:delete|kill|evict)\b[\w\s/-]{0,40}\bpod\b")),
)
