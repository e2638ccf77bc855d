"""A namespace's ResourceQuotas: per resource, how much is used of the hard limit.

A quota nearly used up is why a controller cannot create pods (FailedCreate: exceeded
quota) and what KubeQuotaAlmostFull / KubeQuotaFullyUsed / KubeQuotaExceeded page about;
their runbooks ask to "check resource usage for the namespace" and name no command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kubernetes.utils.quantity import parse_quantity
from pydantic import Field

from assistant.models import BlastRadius, Inventory, Risk, ToolClass, ToolSpec
from tools.args import Args, K8sName
from tools.command_forms import _kubectl, _namespace
from tools.object_outputs import QuotaResource, ResourceQuotaList, ResourceQuotaRow

# Used share from which a quota counts as nearly full (kube-prometheus' KubeQuotaAlmostFull
# fires above 90%): a pod requesting what is left may already be refused.
NEARLY_FULL = 0.9
# What a thread about quotas says: the quota itself, or the admission error it causes.
QUOTA_TOPIC = re.compile(r"\b(?:resource)?quotas?\b", re.IGNORECASE)
# A quantity as kubectl writes it: a number and its suffix (an exponent form has none).
_SUFFIXED = re.compile(r"[+-]?[0-9.]+(?P<suffix>[mkMGTPE]i?)?")
_OPTIONS = frozenset({"namespace", "output"})


class ListResourceQuotasArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    name: K8sName | None = Field(None, description="Only this ResourceQuota")


def _no_blast(_args: Args, _inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _in_unit_of(used: str, hard: str) -> str | None:
    """``used`` written in ``hard``'s unit (15500m of 16 -> "15.5"), when kubectl writes
    them in different ones; None when they already read alike or hard has no plain unit."""
    used_unit, hard_unit = _SUFFIXED.fullmatch(used), _SUFFIXED.fullmatch(hard)
    if hard_unit is None or (used_unit is not None
                             and used_unit["suffix"] == hard_unit["suffix"]):
        return None
    value = parse_quantity(used) / parse_quantity(f"1{hard_unit['suffix'] or ''}")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def quota_row(name: str, hard: Mapping[str, str], used: Mapping[str, str]) -> ResourceQuotaRow:
    """A quota's resources as ``kubectl describe quota`` lists them: each hard limit, by
    name, with what is used of it ("0" when nothing is counted yet, as kubectl prints)."""
    resources = []
    for resource in sorted(hard):
        limit, spent = str(hard[resource]), str(used.get(resource, "0"))
        cap = Decimal(parse_quantity(limit))
        ratio = round(float(parse_quantity(spent) / cap), 4) if cap > 0 else None
        resources.append(QuotaResource(
            resource=resource, used=spent, hard=limit, ratio=ratio,
            **({"used_as_hard": shown} if (shown := _in_unit_of(spent, limit)) else {})))
    return ResourceQuotaRow(name=name, resources=resources)


def usage(r: QuotaResource) -> str:
    """One resource's usage as kubectl prints it and, when the units differ, in the
    limit's unit: "requests.cpu 15500m of 16 (15.5 of 16, 97%)"."""
    plain = ", ".join(filter(None, (f"{r.used_as_hard} of {r.hard}" if r.used_as_hard else "",
                                    "" if r.ratio is None else f"{r.ratio:.0%}")))
    return f"{r.resource} {r.used} of {r.hard}" + (f" ({plain})" if plain else "")


def nearly_used_up(quota: ResourceQuotaRow) -> list[QuotaResource]:
    return [r for r in quota.resources if r.ratio is not None and r.ratio >= NEARLY_FULL]


def _nearly_used_up(output: ResourceQuotaList) -> list[str]:
    full = [f"{q.name} {usage(r)}" for q in output.quotas for r in nearly_used_up(q)]
    if not full:
        return []
    return [f"resource quota nearly used up: {'; '.join(full[:3])}: new pods requesting "
            "more than is left are refused"]


def _quota_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The quota a thread's alert names (kube-state-metrics labels it ``resourcequota``):
    its runbooks ask for its usage but give no command for it."""
    if not (bound.get("namespace") and bound.get("resourcequota")):
        return []
    return [{"namespace": bound["namespace"], "name": bound["resourcequota"]}]


def quotas_form(command: Any) -> dict[str, Any] | None:
    """``get``/``describe`` ``quota``/``resourcequota`` of a namespace, all or one by name."""
    for verb in ("get", "describe"):
        rest = _kubectl(command, verb, "resourcequota")
        if rest is not None and len(rest) <= 1 and set(command.options) <= _OPTIONS:
            args = {"namespace": _namespace(command)}
            return {**args, "name": rest[0]} if rest else args
    return None


QUOTA_TOOLS = (
    ToolSpec(
        name="list_resource_quotas",
        description="ResourceQuotas of a namespace (or one by name): per resource, used and "
                    "hard quantity and the share used; a quota used up refuses new pods.",
        args_model=ListResourceQuotasArgs, output_model=ResourceQuotaList,
        tool_class=ToolClass.READ, risk=Risk.LOW, blast_radius=_no_blast,
        trouble=_nearly_used_up, evidence=_quota_evidence, implements=quotas_form,
        topic=QUOTA_TOPIC),
)
