"""Volume claims with their capacity and, from kubelet metrics, how full they are."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from assistant.models import BlastRadius, Inventory, Risk, ToolClass, ToolSpec
from tools.args import Args, K8sName
from tools.command_forms import _kubectl, _namespace
from tools.object_outputs import VolumeClaimList

# The kubelet's per-claim series (labels namespace, persistentvolumeclaim).
USED_BYTES = "kubelet_volume_stats_used_bytes"
CAPACITY_BYTES = "kubelet_volume_stats_capacity_bytes"
# Used share from which a claim counts as nearly full (KubePersistentVolumeFillingUp
# warns at 85% used in kube-prometheus' rules).
NEARLY_FULL = 0.85


class ListVolumeClaimsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")


def _no_blast(_args: Args, _inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _nearly_full(output: VolumeClaimList) -> list[str]:
    full = [f"{c.name} {c.used_fraction:.0%}" for c in output.claims
            if c.used_fraction is not None and c.used_fraction >= NEARLY_FULL]
    return [f"volume claims nearly full: {', '.join(full[:3])}"] if full else []


def list_claims_form(command: Any) -> dict[str, Any] | None:
    for kind in ("persistentvolumeclaim", "pvc"):
        for verb in ("get", "describe"):
            rest = _kubectl(command, verb, kind)
            if rest is not None and len(rest) <= 1 and "all-namespaces" not in command.options:
                return {"namespace": _namespace(command)}
    return None


VOLUME_TOOLS = (
    ToolSpec(
        name="list_pvcs",
        description="PersistentVolumeClaims of a namespace: phase, capacity, storage class, "
                    "and used bytes and share from kubelet_volume_stats_* metrics.",
        args_model=ListVolumeClaimsArgs, output_model=VolumeClaimList,
        tool_class=ToolClass.READ, risk=Risk.LOW, blast_radius=_no_blast,
        trouble=_nearly_full, implements=list_claims_form),
)
