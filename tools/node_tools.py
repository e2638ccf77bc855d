"""Node tools: list with conditions and pressure, describe, cordon and uncordon.

Drain is deliberately absent: evicting every pod of a node is only safe with a
PodDisruptionBudget-aware, bounded eviction loop whose preview can promise what the
evictions will do, and a preview cannot promise that (a budget that allows one eviction
now may allow none a minute later). Cordon stops new pods and leaves running ones alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from assistant.models import BlastRadius, Inventory, Remedy, Risk, ToolClass, ToolSpec
from tools.args import Args, K8sName
from tools.command_forms import _kubectl, described
from tools.object_outputs import CordonChange, NodeDescription, NodeList
from tools.outputs import Changed, FromTo, toggle_inverse

# What a thread about nodes says: the node itself, its kubelet, its conditions.
NODE_TOPIC = re.compile(r"\bnodes?\b|\bkubelet\b|\bnotready\b|\b(?:disk|memory|pid)pressure\b|"
                        r"\bcordon|\bdrain|\btaint|\bunschedulable\b", re.IGNORECASE)


class ListNodesArgs(Args):
    pass


class NodeArgs(Args):
    node: K8sName = Field(description="Node name")


def _no_blast(_args: Args, _inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _node_pods(args: NodeArgs, inventory: Inventory) -> BlastRadius:
    """Cordoning moves no pod, but every pod on the node loses where it would be
    rescheduled, so the pods there are what it reaches; a node is in no namespace."""
    node = inventory.node(args.node)
    return BlastRadius(pods_affected=len(node.pods) if node else 0)


def _node_key(args: NodeArgs) -> str:
    return f"node/{args.node}"


def _pressured(output: NodeList) -> list[str]:
    troubled = [f"{n.name} ({', '.join(n.pressure) or 'NotReady'})" for n in output.nodes
                if n.pressure or n.ready != "True"]
    idle = [n.name for n in output.nodes
            if n.unschedulable and n.ready == "True" and not n.pressure]
    signs = [f"nodes in trouble: {', '.join(troubled[:3])}"] if troubled else []
    return signs + ([f"healthy nodes still cordoned: {', '.join(idle[:3])}"] if idle else [])


def _node_trouble(output: NodeDescription) -> list[str]:
    signs = [f"node {output.name} has {p}" for p in output.pressure]
    if output.unschedulable:
        # Ready again but still cordoned is not back: no new pod lands on it.
        signs.append(f"node {output.name} cordoned")
    return signs if output.ready == "True" else [*signs, f"node {output.name} NotReady"]


def _node_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A thread about a node reads that node: its Ready condition, cordon, taints,
    pressure and pods say how it stands."""
    return [{"node": bound["node"]}] if bound.get("node") else []


def _node_bindings(output: NodeList, known: Mapping[str, Any]) -> dict[str, Any]:
    """The node in the worst state (NotReady first, then the most pressure conditions),
    and a healthy node that is still cordoned: what a thread about nodes is about."""
    found: dict[str, Any] = {}
    troubled = [n for n in output.nodes if n.pressure or n.ready != "True"]
    if troubled and "node" not in known:
        worst = min(troubled, key=lambda n: (n.ready == "True", -len(n.pressure), n.name))
        found["node"] = worst.name
    idle = [n.name for n in output.nodes
            if n.unschedulable and n.ready == "True" and not n.pressure]
    if idle and "cordoned_node" not in known:
        found["cordoned_node"] = idle[0]
    return found


def cordon_in_place(node: str, unschedulable: bool) -> tuple[str, str]:
    """What a cordon (or uncordon) of a node already in that state says: the preview's
    refusal (there is nothing to approve) and the run's result (a retry whose first
    attempt applied, or someone else got there first, has what it asked for)."""
    state = "already cordoned" if unschedulable else "not cordoned"
    verb = "cordon" if unschedulable else "uncordon"
    return (f"node {node} is {state}: {verb} would change nothing",
            f"{verb} node {node}: it is {state}, as asked; nothing changed")


def _unschedulable(change: CordonChange) -> FromTo[bool]:
    return change.unschedulable


def list_nodes_form(command: Any) -> dict[str, Any] | None:
    # A label selector or a template narrows or reshapes the same list: every node is shown.
    rest = _kubectl(command, "get", "node")
    if rest is None or rest or set(command.options) - {"selector", "output", "template"}:
        return None
    return {}


def describe_node_form(command: Any) -> dict[str, Any] | None:
    """``describe node X``, ``get node X -o yaml``, and the pods of one node
    (``get pod -A --field-selector=spec.nodeName=X``), which a description lists."""
    pods = _kubectl(command, "get", "pod")
    on_node = re.fullmatch(r"spec\.nodeName=(\S+)", command.options.get("field-selector", ""))
    if pods == () and on_node and "all-namespaces" in command.options:
        return {"node": on_node[1]}
    rest = described(command, "node")
    return {"node": rest[0]} if rest is not None and len(rest) == 1 else None


def _node_verb(*verb: str) -> Any:
    def form(command: Any) -> dict[str, Any] | None:
        rest = _kubectl(command, *verb)
        if rest and rest[0] == "node":
            rest = rest[1:]
        return {"node": rest[0]} if rest is not None and len(rest) == 1 else None
    return form


NODE_TOOLS = (
    ToolSpec(
        name="list_nodes",
        description="Nodes with readiness, pressure conditions, cordon state and pod count.",
        args_model=ListNodesArgs, output_model=NodeList, tool_class=ToolClass.READ,
        risk=Risk.LOW, blast_radius=_no_blast, trouble=_pressured, bindings=_node_bindings,
        implements=list_nodes_form, topic=NODE_TOPIC),
    ToolSpec(
        name="describe_node",
        description="One node: conditions, pressure, taints, capacity, allocatable, its pods.",
        args_model=NodeArgs, output_model=NodeDescription, tool_class=ToolClass.READ,
        risk=Risk.LOW, blast_radius=_no_blast,
        trouble=_node_trouble, evidence=_node_evidence, implements=describe_node_form,
        topic=NODE_TOPIC),
    ToolSpec(
        name="cordon_node",
        description="Mark a node unschedulable: running pods stay, new pods go elsewhere.",
        args_model=NodeArgs, output_model=Changed[CordonChange],
        tool_class=ToolClass.REMEDIATION, risk=Risk.HIGH, blast_radius=_node_pods,
        resource=_node_key, inverse=toggle_inverse("uncordon_node", _unschedulable),
        remedy=Remedy.CORDON,
        implements=_node_verb("cordon"), asked_by=re.compile(r"\bcordon\b"),
        topic=NODE_TOPIC),
    ToolSpec(
        name="uncordon_node",
        description="Mark a cordoned node schedulable again.",
        args_model=NodeArgs, output_model=Changed[CordonChange],
        tool_class=ToolClass.REMEDIATION, risk=Risk.MEDIUM, blast_radius=_node_pods,
        resource=_node_key, inverse=toggle_inverse("cordon_node", _unschedulable),
        remedy=Remedy.UNCORDON,
        implements=_node_verb("uncordon"), asked_by=re.compile(r"\buncordon\b"),
        topic=NODE_TOPIC),
)
