"""Volume claims with their capacity and, from kubelet metrics, how full they are; the
PersistentVolumes behind them and the storage classes that say whether a claim can grow."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from assistant.models import BlastRadius, Inventory, Risk, Series, ToolClass, ToolSpec
from tools.args import Args, K8sName
from tools.command_forms import _kubectl, _namespace, described
from tools.object_outputs import (
    StorageClassList,
    VolumeClaimList,
    VolumeClaimRow,
    VolumeDescription,
)

# The kubelet's per-claim series (labels namespace, persistentvolumeclaim).
USED_BYTES = "kubelet_volume_stats_used_bytes"
CAPACITY_BYTES = "kubelet_volume_stats_capacity_bytes"
# Used share from which a claim counts as nearly full (KubePersistentVolumeFillingUp
# warns at 85% used in kube-prometheus' rules).
NEARLY_FULL = 0.85
# What a thread about storage says: claims, volumes, a disk filling up.
VOLUME_TOPIC = re.compile(r"\bpvcs?\b|\bvolume|\bpersistentvolume|\bstorage\b|\bdisk\b|"
                          r"\bfilesystem\b|no space left|\bfilling\s*up\b", re.IGNORECASE)


class ListVolumeClaimsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")


class VolumeArgs(Args):
    volume: K8sName = Field(description="PersistentVolume name (a claim's VOLUME column)")


class ListStorageClassesArgs(Args):
    pass


def _no_blast(_args: Args, _inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _nearly_full(output: VolumeClaimList) -> list[str]:
    full = [f"{c.name} {c.used_fraction:.0%}" for c in output.claims
            if c.used_fraction is not None and c.used_fraction >= NEARLY_FULL]
    return [f"volume claims nearly full: {', '.join(full[:3])}"] if full else []


def _volume_trouble(output: VolumeDescription) -> list[str]:
    """A volume that lost its claim or failed to reclaim; Bound and Available are well."""
    if output.phase in ("Bound", "Available"):
        return []
    why = ": ".join(filter(None, (output.reason, output.message)))
    return [f"persistentvolume {output.name} {output.phase}" + (f" ({why})" if why else "")]


def used_bytes_query(namespace: str) -> str:
    return f'{USED_BYTES}{{namespace="{namespace}"}}'


def with_usage(namespace: str, claims: list[VolumeClaimRow],
               used: list[Series] | None, why_not: str | None = None) -> VolumeClaimList:
    """The claims with the latest used bytes of each from the kubelet's series; ``used``
    None means the series could not be read (``why_not`` says why)."""
    latest = {s.labels.get("persistentvolumeclaim"): s.points[-1][1]
              for s in used or [] if s.points}
    rows = []
    for claim in claims:
        value = latest.get(claim.name)
        if value is None:
            rows.append(claim)
            continue
        share = (round(value / claim.capacity_bytes, 4) if claim.capacity_bytes else None)
        rows.append(claim.model_copy(update={"used_bytes": int(value), "used_fraction": share}))
    note = why_not if used is None else (
        f"no {USED_BYTES} series for: {', '.join(r.name for r in rows if r.used_bytes is None)}"
        if any(r.used_bytes is None for r in rows) else None)
    return VolumeClaimList(namespace=namespace, claims=rows,
                           **({"usage_note": note} if note else {}))


def list_claims_form(command: Any) -> dict[str, Any] | None:
    for kind in ("persistentvolumeclaim", "pvc"):
        for verb in ("get", "describe"):
            rest = _kubectl(command, verb, kind)
            if rest is not None and len(rest) <= 1 and "all-namespaces" not in command.options:
                return {"namespace": _namespace(command)}
    return None


def describe_volume_form(command: Any) -> dict[str, Any] | None:
    """``describe pv X``, and ``get pv X -o yaml`` which shows the same object."""
    rest = described(command, "persistentvolume")
    return {"volume": rest[0]} if rest is not None and len(rest) == 1 else None


def storage_classes_form(command: Any) -> dict[str, Any] | None:
    """Every class, or one by name: the list shows that one among the others."""
    for verb in ("get", "describe"):
        rest = _kubectl(command, verb, "storageclass")
        if rest is not None and len(rest) <= 1 and set(command.options) <= {"output"}:
            return {}
    return None


VOLUME_TOOLS = (
    ToolSpec(
        name="list_pvcs",
        description="PersistentVolumeClaims of a namespace: phase, capacity, storage class, "
                    "and used bytes and share from kubelet_volume_stats_* metrics.",
        args_model=ListVolumeClaimsArgs, output_model=VolumeClaimList,
        tool_class=ToolClass.READ, risk=Risk.LOW, blast_radius=_no_blast,
        trouble=_nearly_full, implements=list_claims_form, topic=VOLUME_TOPIC),
    ToolSpec(
        name="describe_pv",
        description="One PersistentVolume: phase, bound claim, capacity, access modes, "
                    "reclaim policy, storage class and where its data lives.",
        args_model=VolumeArgs, output_model=VolumeDescription,
        tool_class=ToolClass.READ, risk=Risk.LOW, blast_radius=_no_blast,
        trouble=_volume_trouble, implements=describe_volume_form, topic=VOLUME_TOPIC),
    ToolSpec(
        name="list_storageclasses",
        description="Storage classes: provisioner, reclaim policy, binding mode, whether "
                    "their claims can be expanded, and which is the default.",
        args_model=ListStorageClassesArgs, output_model=StorageClassList,
        tool_class=ToolClass.READ, risk=Risk.LOW, blast_radius=_no_blast,
        implements=storage_classes_form, topic=VOLUME_TOPIC),
)
