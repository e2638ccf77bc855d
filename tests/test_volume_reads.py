"""describe_pv and list_storageclasses: the runbook commands they implement, the sandbox
world's volumes and classes, and the same reads through the official client against the
API stand-in (tests/k8s_standin.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from k8s_standin import PVS, STORAGECLASSES, K8sStandin
from kubernetes import client as k8s
from runbook_steps import step_of

from assistant.models import ToolCall
from assistant.retrieval.commands import derive_steps, find_commands
from tools.backend import ToolFailure, run_tool
from tools.catalog import CATALOG
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.object_outputs import StorageClassList, VolumeDescription
from tools.sandbox import SandboxBackend, Scenario, load_scenario
from tools.volume_tools import ListStorageClassesArgs, VolumeArgs

WORLD = "switchyard-charging-night"


@cache
def _scenario() -> Scenario:
    return load_scenario(WORLD)



# --- runbook commands ----------------------------------------------------------------------


@pytest.mark.parametrize(("command", "expected"), [
    ("kubectl describe pv $PV", ("describe_pv", {"volume": "{persistentvolume}"})),
    ("kubectl describe persistentvolume pvc-3f1c",
     ("describe_pv", {"volume": "pvc-3f1c"})),
    ("kubectl get pv pvc-3f1c -o yaml", ("describe_pv", {"volume": "pvc-3f1c"})),
    ("kubectl get storageclass", ("list_storageclasses", {})),
    ("kubectl get sc gp3 -o yaml", ("list_storageclasses", {})),
    ("kubectl describe storageclasses", ("list_storageclasses", {})),
])
def test_volume_commands_map_to_the_volume_reads(command: str,
                                                 expected: tuple[str, dict[str, Any]]) -> None:
    assert step_of(command) == expected


@pytest.mark.parametrize("command", [
    "kubectl get pv",  # every volume: no tool lists them
    "kubectl get pv pvc-3f1c",  # a row, not the description
    "kubectl get storageclass --watch",
])
def test_volume_commands_no_read_does_faithfully_stay_text(command: str) -> None:
    assert step_of(command) is None


def test_the_class_of_a_substituted_claim_is_read_among_every_class() -> None:
    # The corpus's KubePersistentVolumeFillingUp: the class comes out of jq.
    line = ("kubectl get storageclass `kubectl -n <my-namespace> get pvc <my-pvc> -ojson "
            "| jq -r '.spec.storageClassName'`")
    found = find_commands(f"```\n{line}\n```")
    assert [f.complete for f in found] == [False]
    steps, manual = derive_steps(found, CATALOG.values())
    assert [(s.tool, s.args) for s in steps] == [("list_storageclasses", {})] and not manual


def test_a_substituted_name_is_never_read_as_another_object() -> None:
    line = "kubectl -n shop describe pv $(kubectl -n shop get pvc data -o name)"
    assert derive_steps(find_commands(f"```\n{line}\n```"), CATALOG.values()) == ((), (line,))


# --- the sandbox ---------------------------------------------------------------------------


def _sandbox(tool: str, **args: Any) -> Any:
    backend = SandboxBackend.from_scenario(_scenario())
    return run_tool(backend, ToolCall(tool=tool, args=args))


def test_a_claims_volume_has_its_capacity_class_and_the_class_reclaim_policy() -> None:
    data = VolumeDescription.model_validate(
        _sandbox("describe_pv", volume="pvc-5d02a9e1").json_data())
    assert (data.phase, data.claim, data.capacity_bytes, data.reclaim_policy) == (
        "Bound", "charging/session-ledger-data-0", 50 * 2**30, "Retain")
    assert data.source is None  # where the data lives is not simulated


def test_a_missing_volume_names_the_volumes_there_are() -> None:
    with pytest.raises(ToolFailure, match="persistentvolumes: pvc-5d02a9e1, pvc-77b1c3f0"):
        _sandbox("describe_pv", volume="pvc-0000")


def test_the_storage_classes_say_which_can_expand_and_which_is_default() -> None:
    out = _sandbox("list_storageclasses")
    rows = StorageClassList.model_validate(out.json_data()).storage_classes
    assert [(r.name, r.allow_volume_expansion, r.default) for r in rows] == [
        ("ssd-retain", True, False), ("standard", False, True)]
    assert "standard (default)" in out.text and "ALLOWVOLUMEEXPANSION" in out.text


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.fixture
def kubernetes() -> Iterator[KubernetesTools]:
    with K8sStandin() as standin:
        standin.put(PVS, k8s.V1PersistentVolume(
            api_version="v1", kind="PersistentVolume",
            metadata=k8s.V1ObjectMeta(name="pvc-9e2", creation_timestamp=datetime.now(UTC)),
            spec=k8s.V1PersistentVolumeSpec(
                capacity={"storage": "20Gi"}, access_modes=["ReadWriteOnce"],
                persistent_volume_reclaim_policy="Retain", storage_class_name="gp3",
                volume_mode="Filesystem",
                csi=k8s.V1CSIPersistentVolumeSource(driver="ebs.csi.aws.com",
                                                    volume_handle="vol-0a1b"),
                claim_ref=k8s.V1ObjectReference(namespace="db", name="data-db-0")),
            status=k8s.V1PersistentVolumeStatus(phase="Released")))
        standin.put(STORAGECLASSES, k8s.V1StorageClass(
            api_version="storage.k8s.io/v1", kind="StorageClass",
            metadata=k8s.V1ObjectMeta(name="gp3", annotations={
                "storageclass.kubernetes.io/is-default-class": "true"}),
            provisioner="ebs.csi.aws.com", allow_volume_expansion=True,
            volume_binding_mode="WaitForFirstConsumer"))
        standin.put(STORAGECLASSES, k8s.V1StorageClass(
            api_version="storage.k8s.io/v1", kind="StorageClass",
            metadata=k8s.V1ObjectMeta(name="efs"), provisioner="efs.csi.aws.com"))
        cluster = Cluster(k8s.ApiClient(standin.configuration()), 5.0)
        yield KubernetesTools(cluster, lambda: datetime.now(UTC))
        cluster.close()


def test_a_volume_through_the_client_keeps_the_apis_fields(kubernetes: KubernetesTools) -> None:
    out = kubernetes.describe_pv(VolumeArgs(volume="pvc-9e2"))
    data = VolumeDescription.model_validate(out.json_data())
    assert (data.phase, data.claim, data.capacity_bytes, data.reclaim_policy,
            data.storage_class, data.volume_mode) == (
        "Released", "db/data-db-0", 20 * 2**30, "Retain", "gp3", "Filesystem")
    assert data.source == "CSI ebs.csi.aws.com vol-0a1b"
    assert CATALOG["describe_pv"].trouble is not None
    assert CATALOG["describe_pv"].trouble(data) == ["persistentvolume pvc-9e2 Released"]


def test_a_missing_volume_through_the_client_names_the_volumes(kubernetes: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="persistentvolume pvc-0 not found; "
                                          "persistentvolumes: pvc-9e2"):
        kubernetes.describe_pv(VolumeArgs(volume="pvc-0"))


def test_storage_classes_through_the_client_fill_the_api_servers_defaults(
        kubernetes: KubernetesTools) -> None:
    out = kubernetes.list_storageclasses(ListStorageClassesArgs())
    rows = StorageClassList.model_validate(out.json_data()).storage_classes
    assert [(r.name, r.reclaim_policy, r.volume_binding_mode, r.allow_volume_expansion,
             r.default) for r in rows] == [
        ("efs", "Delete", "Immediate", False, False),
        ("gp3", "Delete", "WaitForFirstConsumer", True, True)]
