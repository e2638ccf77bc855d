"""The asker's explicit orders, as candidate calls. Pure.

An order names the action and its target in one clause of the asker's own words, with
every value the action needs ("scale journal-store to 5", "restart cart", "roll back
ledger-api to revision 3"). It is proposed as ordered, whatever the runbook offers; review
then puts any evidence against it on the card, and policy and an approver still decide.
A question ("should we scale journal-store?") orders nothing, nor does text the asker
pasted (a ticket, a log line, a chat quote): those stay hypotheses to check. A tool that
cannot act on the workload at all (a DaemonSet has no scale) says why, and what can be done
instead, whenever the asker brings it up, ordered or asked.

An order of a node's action ("uncordon hav-w-1c-01", "cordon it") acts on the node its own
words name, else on the one node the asker's own words name ("hav-w-1c-01 is done, uncordon
it so lagersaldo-db-2 can schedule": "it" can only be a node), else on the thread's node,
whatever workload the thread is about: the pod waiting for that node is the reason, not
the target.

An order of a pod's action acts on the thread's workload's pod its words name, with or
without the word "pod" ("delete viewer-gw-6a4f8-d2kqx"); one that describes the pod by its
trouble instead ("kill the fat pod", "the one about to fall over") acts on the one pod the
firing alerts about the workload single out for that trouble, and asks which when they
single out none or several. An order naming a namespace but no workload ("roll back
whatever broke booking") means the one workload there whose evidence supports that action;
when none or several do, the asker is asked which.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.analysis import Finding
from assistant.models import DeploymentInfo, Inventory, Remedy, ToolCall
from assistant.planning.entities import LinkedEntities, entities_of
from assistant.planning.intent import Ask, Order, asks_by, orders_in, provisos, split_words
from assistant.planning.names import mentions
from assistant.planning.offline import PlannedCall, focus_findings
from assistant.planning.requests import requested_values, unclear_values
from tools.catalog import CATALOG

# The arguments that name a workload, or one of its pods: an order drafts only calls of
# tools that act on one. Everything else the order must state, or the tool must be able to
# leave to its default.
_TARGET_ARGS = frozenset({"namespace", "deployment"})
_POD_ARGS = frozenset({"namespace", "pod"})
# The argument naming a node, in no namespace: an order of a tool whose only required
# argument it is acts on a node, not on the thread's workload.
_NODE_ARG = "node"
# A pod described by its memory ("the fat pod", "the one about to fall over", "nearest its
# limit") or by trouble of any kind ("the stuck pod"), and the alerts that single one out
# for memory: by their name or what their rule says they mean.
_MEMORY_WORDS = re.compile(
    r"\b(?:fat(?:test)?|big(?:gest)?|bloated|heav(?:y|iest)|hungr(?:y|iest)|leak(?:y|ing)"
    r"|swollen)\b|\bmemory\b|\boom|\b(?:near(?:est)?|clos(?:e|est))(?: to)? (?:its|the|their)"
    r" (?:memory )?limit|\babout to (?:fall over|oom|die|blow|crash|pop|go)\b", re.IGNORECASE)
_TROUBLE_WORDS = re.compile(
    r"\b(?:stuck|hung|hanging|wedged|broken|sick|bad|unhealthy|unready|not ready|crashing"
    r"|crash-?looping|failing|dying|dead)\b", re.IGNORECASE)
_MEMORY_ALERT = re.compile(r"mem|oom|heap", re.IGNORECASE)


@dataclass(frozen=True)
class Ordered:
    candidates: tuple[PlannedCall, ...]
    notes: tuple[str, ...]
    dropped: tuple[tuple[PlannedCall, str], ...] = ()  # candidates an order set aside, why


def _as_ordered(kept: list[PlannedCall], order: Order, args: dict[str, Any]) -> None:
    """The candidate making exactly this call marked as ordered, or the ordered call
    drafted when no candidate makes it."""
    same = [i for i, c in enumerate(kept) if c.call.tool == order.tool and c.call.args == args]
    for i in same:
        kept[i] = kept[i].model_copy(update={"ordered": kept[i].ordered or {}})
    if not same:
        kept.append(PlannedCall(call=ToolCall(tool=order.tool, args=args),
                                why=f"your order: {order.clause!r}", runbook_id=None,
                                step_index=None, ordered={}))


def _names_target(order: Order, entities: LinkedEntities, workloads: Collection[str]) -> bool:
    """The order's own words name the thread's workload: after its verb ("scale
    journal-store to 5"), or, when nothing is named there, before it ("journal-store needs
    a restart") with no other workload beside it."""
    ours = {n for n in (entities.deployment, entities.service) if n}
    if any(mentions(order.clause, n) for n in ours):
        return True
    if any(mentions(order.clause, w) for w in workloads):
        return False
    return (any(mentions(order.lead, n) for n in ours)
            and not any(mentions(order.lead, w) for w in set(workloads) - ours))


def _other_namespaces(order: Order, entities: LinkedEntities,
                      namespaces: Collection[str]) -> list[str]:
    """Namespaces other than the thread's that the order names ("restart cart in staging",
    "staging/cart"): a workload of the same name there is not the thread's."""
    clause = order.clause
    for name in (entities.deployment, entities.service):
        # The workload's own name may also be a namespace's.
        clause = re.sub(rf"(?<![\w/-]){re.escape(name)}(?![\w-])", " ", clause, flags=re.I) \
            if name else clause
    return sorted(ns for ns in namespaces
                  if ns != entities.namespace and mentions(clause.replace("/", " "), ns))


def _aims_at(call: ToolCall, entities: LinkedEntities) -> bool:
    if "pod" in call.args and "deployment" not in call.args:
        return (call.args.get("namespace"), call.args["pod"]) == (
            entities.namespace, entities.pod)
    return (call.args.get("namespace"), call.args.get("deployment")) == (
        entities.namespace, entities.deployment)


def _acts_on_workload(tool: str) -> bool:
    return CATALOG[tool].args_model.model_fields.keys() >= _TARGET_ARGS


def _acts_on_pod(tool: str) -> bool:
    fields = CATALOG[tool].args_model.model_fields.keys()
    return fields >= _POD_ARGS and not fields >= _TARGET_ARGS


def _drafted(order: Order, bindings: Mapping[str, Any],
             values: Mapping[str, int]) -> dict[str, Any] | list[str]:
    """The ordered call's args, or the names of what the order left unsaid."""
    spec = CATALOG[order.tool]
    fields = spec.args_model.model_fields
    args: dict[str, Any] = {k: bindings[k] for k in sorted(_TARGET_ARGS)}
    if spec.complete is not None:
        args = spec.complete(args, bindings)
    args.update(values)
    missing = [name for name, f in fields.items() if f.is_required() and name not in args]
    return missing or args


def _refused(question: str, bindings: Mapping[str, Any], candidates: Sequence[PlannedCall],
             entities: LinkedEntities, workloads: Collection[str]) -> dict[str, str]:
    """Tools the asker brings up that cannot act on the workload, with the tool's reason;
    a candidate making such a call already gets that reason where it fails to propose."""
    asked = asks_by(question, workloads)
    refused: dict[str, str] = {}
    for name, spec in CATALOG.items():
        if spec.refuses is None or asked(name) <= Ask.NONE:
            continue
        why = spec.refuses(bindings)
        if why is not None and not any(c.call.tool == name and _aims_at(c.call, entities)
                                       for c in candidates):
            refused[name] = why
    return refused


def _acts_on_node(tool: str) -> bool:
    fields = CATALOG[tool].args_model.model_fields
    return {k for k, f in fields.items() if f.is_required()} == {_NODE_ARG}


def _ordered_nodes(order: Order, own: str, entities: LinkedEntities,
                   nodes: Sequence[str]) -> tuple[list[str], bool]:
    """The nodes an order of a node's action is about, and whether the order itself names
    them: those its own words name ("cordon n1 and n2", "n1 needs a cordon"), else every
    node the rest of the asker's own words name ("n1 is done, uncordon it"), else the
    thread's node ("ok, cordon it")."""
    for words in (order.clause, order.lead):
        named = [n for n in nodes if mentions(words, n)]
        if named:
            return named, True
    named = [n for n in nodes if mentions(own, n)]
    return named or ([entities.node] if entities.node else []), False


def _node_orders(question: str, entities: LinkedEntities, kept: list[PlannedCall],
                 inventory: Inventory, workloads: Collection[str]) -> list[str]:
    """Adds to ``kept`` every order of a node's action in the asker's own words, on the
    node it names; returns what the asker must still say. Pasted text names no node here:
    only the asker's own words are read."""
    own = split_words(question, workloads).own
    nodes = [n.name for n in inventory.nodes]
    notes: list[str] = []
    for order in orders_in(question, workloads):
        if CATALOG[order.tool].read_only or not _acts_on_node(order.tool):
            continue
        meant, said = _ordered_nodes(order, own, entities, nodes)
        if len(meant) > 1 and not said:
            # "n1 and n2 are back, uncordon it": which one is the asker's to say.
            notes.append(f"you asked to {order.clause!r}, but you named "
                         f"{' and '.join(meant)}: say which node and I will propose it")
            continue
        for node in meant:
            _as_ordered(kept, order, {_NODE_ARG: node})
    return notes


def _as_pods(question: str, pods: Collection[str]) -> str:
    """The question with each pod it names written as "pod <name>": a pod's name says what
    it names, as the word would ("delete cart-7d9f-x2" orders a pod's deletion)."""
    for pod in sorted(pods, key=len, reverse=True):
        question = re.sub(rf"(?<!\bpod )(?<![\w-]){re.escape(pod)}(?![\w-])", f"pod {pod}",
                          question, flags=re.IGNORECASE)
    return question


def _pods_of(entities: LinkedEntities, inventory: Inventory) -> list[str]:
    dep = inventory.deployment(entities.namespace or "", entities.deployment or "",
                               entities.kind)
    return list(dict.fromkeys([*(dep.pods if dep else ()),
                               *([entities.pod] if entities.pod else [])]))


def _singled_out(entities: LinkedEntities, inventory: Inventory, memory: bool) -> list[str]:
    """The workload's pods the firing alerts about it name: for memory, only alerts about
    memory (by their name or what their rule says they mean)."""
    prefix = f"{entities.deployment}-"
    return list(dict.fromkeys(
        a.labels["pod"] for a in inventory.alerts
        if a.state == "firing" and a.labels.get("namespace") == entities.namespace
        and a.labels.get("pod", "").startswith(prefix)
        and (not memory or _MEMORY_ALERT.search(f"{a.name} {a.about}"))))


def _pod_orders(question: str, entities: LinkedEntities, kept: list[PlannedCall],
                inventory: Inventory, workloads: Collection[str]) -> list[str]:
    """Adds to ``kept`` every order of a pod's action on a pod of the thread's workload:
    the one its words name, else the one the alerts single out for the trouble its words
    describe; returns what the asker must still say. A pod only the thread or a paste
    named, or "the pod" described no way, is not guessed. Once one is ordered, a restart
    of the whole workload nobody ordered is what the asker chose against: it leaves
    ``kept``."""
    if entities.namespace is None or entities.deployment is None:
        return []
    pods = _pods_of(entities, inventory)
    own = split_words(question, workloads).own
    notes: list[str] = []
    for order in orders_in(_as_pods(question, pods), workloads):
        if CATALOG[order.tool].read_only or not _acts_on_pod(order.tool):
            continue
        meant = [p for p in pods if mentions(order.clause, p)]
        if not meant:
            memory = _MEMORY_WORDS.search(own) is not None
            if not (memory or _TROUBLE_WORDS.search(order.clause)):
                continue
            meant = _singled_out(entities, inventory, memory)
            if len(meant) != 1:
                found = (f"the alerts single out {' and '.join(meant)}" if meant
                         else "no firing alert singles one out")
                notes.append(f"you asked to {order.clause!r}, but {found} among "
                             f"{entities.namespace}/{entities.deployment}'s pods: name the "
                             "pod and I will propose it")
                continue
        for pod in meant:
            _as_ordered(kept, order, {"namespace": entities.namespace, "pod": pod})
    if any(c.ordered is not None and _acts_on_pod(c.call.tool) for c in kept):
        kept[:] = [c for c in kept if c.ordered is not None
                   or CATALOG[c.call.tool].remedy is not Remedy.RESTART
                   or not _aims_at(c.call, entities)]
    return notes


def _namespace_only(order: Order, workloads: Collection[str],
                    namespaces: Collection[str]) -> str | None:
    """The one namespace the order's words name when they name no workload."""
    words = f"{order.lead} {order.clause}"
    if any(mentions(words, w) for w in workloads):
        return None
    named = [ns for ns in namespaces if mentions(words, ns)]
    return named[0] if len(named) == 1 else None


def _supported_in(namespace: str, tool: str, inventory: Inventory,
                  findings: Sequence[Finding]) -> list[DeploymentInfo]:
    """The namespace's workloads whose findings support the tool's remedy."""
    remedy = CATALOG[tool].remedy
    return [d for d in inventory.deployments if d.namespace == namespace
            and any(remedy in f.supports for f in focus_findings(findings, entities_of(d)))]


def _drafted_for(order: Order, dep: DeploymentInfo,
                 findings: Sequence[Finding]) -> PlannedCall | None:
    """The ordered call on another workload, aimed as its own evidence aims it."""
    spec = CATALOG[order.tool]
    entities = entities_of(dep)
    values = {k: v for k, v in requested_values(order.clause).items()
              if k in spec.args_model.model_fields}
    drafted = _drafted(order, entities.bindings(), values)
    if isinstance(drafted, list):
        return None
    call = ToolCall(tool=order.tool, args=drafted)
    for f in focus_findings(findings, entities):
        if spec.aim is not None and spec.remedy in f.supports:
            call = ToolCall(tool=order.tool, args={
                **drafted, **spec.aim(spec.validate_args(drafted), f), **values})
    return PlannedCall(call=call, why=f"your order: {order.clause!r}", runbook_id=None,
                       step_index=None, ordered=values)


def with_orders(question: str, entities: LinkedEntities,
                candidates: Sequence[PlannedCall], inventory: Inventory,
                findings: Sequence[Finding] = ()) -> Ordered:
    """``candidates`` with every order the asker gave about the thread's workload (one
    naming another of the inventory's workloads or namespaces is not about it): a
    candidate already making that call takes the order's values; otherwise the order
    becomes a candidate of its own. An order of a node's action joins them, on its node,
    whatever the thread is about; one naming only a namespace acts on the workload there
    that ``findings`` support the action for."""
    kept = list(candidates)
    dropped: list[tuple[PlannedCall, str]] = []
    workloads = {d.name for d in inventory.deployments}
    notes = _node_orders(question, entities, kept, inventory, workloads)
    notes.extend(_pod_orders(question, entities, kept, inventory, workloads))
    if entities.namespace is None or entities.deployment is None:
        return Ordered(tuple(kept), tuple(notes))
    bindings = entities.bindings()
    namespaces = {d.namespace for d in inventory.deployments}
    refused = _refused(question, bindings, kept, entities, workloads)
    notes.extend(refused.values())
    # A prohibition with a condition forbids nothing outright (intent.py): the condition
    # is the asker's to apply, so the card says it beside the evidence.
    notes.extend(f"you said not to {p.action} {entities.deployment} {p.condition}: that "
                 "condition is yours to apply to the evidence shown"
                 for p in provisos(question, entities.deployment, workloads))
    for order in orders_in(question, workloads):
        spec = CATALOG[order.tool]
        if spec.read_only or not _acts_on_workload(order.tool) or order.tool in refused:
            continue
        namespace = _namespace_only(order, workloads, namespaces)
        if namespace is not None:
            meant = _supported_in(namespace, order.tool, inventory, findings)
            if not (len(meant) == 1 and meant[0].name == entities.deployment
                    and meant[0].namespace == entities.namespace):
                # Not this thread's workload: the order means another, or is the asker's
                # to make precise; either way the thread's own call is not what they ordered.
                if len(meant) == 1:
                    why = (f"your order {order.clause!r} names namespace {namespace}, where "
                           f"only {meant[0].name}'s evidence supports it")
                    ordered = _drafted_for(order, meant[0], findings)
                else:
                    which = ("the evidence I have supports it for none of its workloads"
                             if not meant else
                             f"{' and '.join(d.name for d in meant)} all fit")
                    why = (f"you asked to {order.clause!r} in namespace {namespace}, but "
                           f"{which}: say which workload and I will propose it")
                    notes.append(why)
                    ordered = None
                dropped.extend((c, why) for c in kept
                               if c.call.tool == order.tool and _aims_at(c.call, entities))
                kept = [c for c in kept
                        if not (c.call.tool == order.tool and _aims_at(c.call, entities))]
                if ordered is not None:
                    there = entities_of(meant[0])
                    same = [i for i, c in enumerate(kept)
                            if c.call.tool == order.tool and _aims_at(c.call, there)]
                    for i in same:
                        kept[i] = kept[i].model_copy(update={"ordered": ordered.ordered})
                    if not same:
                        kept.append(ordered)
                continue
        elif not _names_target(order, entities, workloads):
            continue
        elsewhere = _other_namespaces(order, entities, namespaces) if namespace is None else []
        if elsewhere:
            notes.append(f"you asked to {order.clause!r}, but this thread is about "
                         f"{entities.namespace}/{entities.deployment}, not "
                         f"{' or '.join(elsewhere)}: ask about that one by its namespace")
            continue
        fields = spec.args_model.model_fields
        unclear = [k for k in unclear_values(order.clause) if k in fields]
        if unclear:
            # "to 3 or 5", "revision 3" (the target or the one to undo?): the asker picks.
            why = (f"you asked to {order.clause!r}, but it does not give one "
                   f"{' or '.join(unclear)} to set: say which and I will propose it")
            notes.append(why)
            dropped.extend((c, why) for c in kept
                           if c.call.tool == order.tool and _aims_at(c.call, entities))
            kept = [c for c in kept
                    if not (c.call.tool == order.tool and _aims_at(c.call, entities))]
            continue
        values = {k: v for k, v in requested_values(order.clause).items() if k in fields}
        same = [i for i, c in enumerate(kept)
                if c.call.tool == order.tool and _aims_at(c.call, entities)]
        for i in same:
            cand = kept[i]
            call = ToolCall(tool=cand.call.tool, args={**cand.call.args, **values})
            kept[i] = cand.model_copy(update={"call": call, "ordered": values})
        if same:
            continue
        drafted = _drafted(order, bindings, values)
        if isinstance(drafted, list):
            notes.append(f"you asked to {order.clause!r}, but it does not say "
                         f"{' or '.join(drafted)}: say it and I will propose it")
            continue
        kept.append(PlannedCall(call=ToolCall(tool=order.tool, args=drafted),
                                why=f"your order: {order.clause!r}", runbook_id=None,
                                step_index=None, ordered=values))
    return Ordered(tuple(kept), tuple(notes), tuple(dropped))
