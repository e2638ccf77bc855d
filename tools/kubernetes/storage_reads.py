"""PersistentVolumes and storage classes from the API, in the shapes the sandbox gives
them (tools/object_outputs.py). Both are cluster-scoped: no namespace limits them."""

from __future__ import annotations

from kubernetes import client as k8s
from kubernetes.utils.quantity import parse_quantity

from assistant.models import ToolOutput
from tools.kubernetes.cluster import Cluster
from tools.kubernetes.required import meta, name_of, spec_of
from tools.object_outputs import StorageClassList, StorageClassRow, VolumeDescription
from tools.object_render import storage_classes_text, volume_text
from tools.volume_tools import ListStorageClassesArgs, VolumeArgs

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _source(spec: k8s.V1PersistentVolumeSpec) -> str | None:
    """Where the data lives, in the words of ``kubectl describe pv``'s Source."""
    if spec.csi is not None:
        return f"CSI {spec.csi.driver} {spec.csi.volume_handle}"
    if spec.host_path is not None:
        return f"HostPath {spec.host_path.path}"
    if spec.local is not None:
        return f"LocalVolume {spec.local.path}"
    if spec.nfs is not None:
        return f"NFS {spec.nfs.server}:{spec.nfs.path}"
    # Another in-tree plugin: its field is the only volume source set on the spec.
    plugins = [k8s.V1PersistentVolumeSpec.attribute_map[attr] for attr in
               ("aws_elastic_block_store", "gce_persistent_disk", "azure_disk", "azure_file",
                "cephfs", "rbd", "iscsi", "fc", "cinder", "portworx_volume", "vsphere_volume")
               if getattr(spec, attr) is not None]
    return plugins[0] if plugins else None


def describe_pv(cluster: Cluster, args: VolumeArgs) -> ToolOutput:
    volume = cluster.persistent_volume(args.volume)
    spec = spec_of(volume)
    status = volume.status or k8s.V1PersistentVolumeStatus()
    storage = (spec.capacity or {}).get("storage")
    claim = spec.claim_ref
    data = VolumeDescription(
        name=name_of(volume), phase=status.phase or "Pending",
        capacity_bytes=int(parse_quantity(storage)) if storage else None,
        access_modes=list(spec.access_modes or []),
        reclaim_policy=spec.persistent_volume_reclaim_policy,
        storage_class=spec.storage_class_name or None,
        claim=f"{claim.namespace}/{claim.name}" if claim and claim.name else None,
        volume_mode=spec.volume_mode, source=_source(spec),
        reason=status.reason, message=status.message)
    return ToolOutput(text=volume_text(data), data=data)


def _row(sc: k8s.V1StorageClass) -> StorageClassRow:
    annotations = meta(sc).annotations or {}
    return StorageClassRow(
        name=name_of(sc), provisioner=sc.provisioner,
        # What the API server fills in when a class leaves them out.
        reclaim_policy=sc.reclaim_policy or "Delete",
        volume_binding_mode=sc.volume_binding_mode or "Immediate",
        allow_volume_expansion=bool(sc.allow_volume_expansion),
        default=annotations.get(DEFAULT_CLASS) == "true")


def list_storageclasses(cluster: Cluster, args: ListStorageClassesArgs) -> ToolOutput:
    rows = sorted((_row(sc) for sc in cluster.storage_classes()), key=lambda r: r.name)
    data = StorageClassList(storage_classes=rows)
    return ToolOutput(text=storage_classes_text(data), data=data)
