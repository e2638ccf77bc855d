"""The PersistentVolume and storage-class reads against the simulated world. A claim
with a ``volume`` is bound to a volume of that name, which the world knows only through
the claim: its capacity, access modes and class, and the reclaim policy of that class when
the scenario lists the class. Where the data lives is not simulated: it stays unset."""

from __future__ import annotations

from kubernetes.utils.quantity import parse_quantity

from assistant.models import ToolOutput
from tools.backend import ToolFailure
from tools.object_outputs import StorageClassList, StorageClassRow, VolumeDescription
from tools.object_render import storage_classes_text, volume_text
from tools.sandbox.world import World
from tools.volume_tools import ListStorageClassesArgs, VolumeArgs


def describe_pv(world: World, args: VolumeArgs) -> ToolOutput:
    bound = {c.volume: c for c in world.volume_claims if c.volume}
    claim = bound.get(args.volume)
    if claim is None:
        known = ", ".join(sorted(bound)) or "none"
        raise ToolFailure(f"persistentvolume {args.volume} not found; "
                          f"persistentvolumes: {known}")
    policy = next((c.reclaim_policy for c in world.storage_classes
                   if c.name == claim.storage_class), None)
    # A claim that lost its volume leaves it Released; otherwise it is the claim's.
    phase = "Released" if claim.phase == "Lost" else "Bound"
    data = VolumeDescription(
        name=args.volume, phase=phase, capacity_bytes=int(parse_quantity(claim.capacity)),
        access_modes=list(claim.access_modes), reclaim_policy=policy,
        storage_class=claim.storage_class, volume_mode="Filesystem",
        claim=f"{claim.namespace}/{claim.name}")
    return ToolOutput(text=volume_text(data), data=data)


def list_storageclasses(world: World, args: ListStorageClassesArgs) -> ToolOutput:
    data = StorageClassList(storage_classes=[
        StorageClassRow(name=c.name, provisioner=c.provisioner, reclaim_policy=c.reclaim_policy,
                        volume_binding_mode=c.volume_binding_mode,
                        allow_volume_expansion=c.allow_volume_expansion, default=c.default)
        for c in sorted(world.storage_classes, key=lambda c: c.name)])
    return ToolOutput(text=storage_classes_text(data), data=data)
