"""The RBAC in deploy/ grants what opsbot's Kubernetes code calls, and nothing more.

What the code calls is derived from tools/ (tests/k8s_access.py), never listed here, so a
tool added later that makes a new call fails these tests until the Role (for calls inside
a namespace) and the read-only ClusterRole (for reads) grant it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import KUSTOMIZATIONS, REPO
from k8s_access import READ_VERBS, Access, accesses_of, methods_named_in
from k8s_standin import K8sStandin


@pytest.fixture(scope="module")
def called() -> Iterator[set[Access]]:
    with K8sStandin() as standin:
        yield set(accesses_of(methods_named_in(REPO / "tools"), standin).values())


def _granted(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    granted = set()
    for rule in role["rules"]:
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[field], f"{role['kind']} {role['metadata']['name']}: " \
                                           f"a wildcard in {field} grants more than is called"
        assert not rule.get("resourceNames"), "names are not known in advance"
        granted |= {(g, r, v) for g in rule["apiGroups"] for r in rule["resources"]
                    for v in rule["verbs"]}
    return granted


def _of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_role_grants_exactly_the_calls_made_inside_a_namespace(
        rendered_manifests: dict[str, list[dict[str, Any]]], called: set[Access],
        kustomization: str) -> None:
    roles = _of_kind(rendered_manifests[kustomization], "Role")
    assert roles, f"deploy/{kustomization} lets opsbot act nowhere"
    wanted = {a.rule for a in called if a.namespaced}
    for role in roles:
        granted = _granted(role)
        assert not wanted - granted, f"missing from the Role: {sorted(wanted - granted)}"
        assert not granted - wanted, f"granted but never called: {sorted(granted - wanted)}"


@pytest.mark.parametrize("kustomization", ["base", "overlays/cluster-wide"])
def test_the_cluster_role_grants_exactly_the_reads(
        rendered_manifests: dict[str, list[dict[str, Any]]], called: set[Access],
        kustomization: str) -> None:
    (reader,) = [r for r in _of_kind(rendered_manifests[kustomization], "ClusterRole")
                 if r["metadata"]["name"] == "opsbot-reader"]
    granted = _granted(reader)
    assert {verb for _, _, verb in granted} <= READ_VERBS, "the ClusterRole must not write"
    wanted = {a.rule for a in called if a.verb in READ_VERBS}
    assert granted == wanted, (f"missing: {sorted(wanted - granted)}; "
                               f"never called: {sorted(granted - wanted)}")


def test_the_cluster_wide_writes_are_exactly_the_node_operators_and_no_secret_is_touched(
        rendered_manifests: dict[str, list[dict[str, Any]]], called: set[Access]) -> None:
    # Cordoning a node is a write outside any namespace: neither the Role nor the reader
    # fits it, so it has a ClusterRole of its own, installed only by the cluster-wide overlay.
    docs = rendered_manifests["overlays/cluster-wide"]
    (operator,) = [r for r in _of_kind(docs, "ClusterRole")
                   if r["metadata"]["name"] == "opsbot-node-operator"]
    wanted = {a.rule for a in called if not a.namespaced and a.verb not in READ_VERBS}
    assert wanted and _granted(operator) == wanted
    assert "opsbot-node-operator" not in {r["metadata"]["name"] for r in
                                          _of_kind(rendered_manifests["base"], "ClusterRole")}
    assert not {a for a in called if a.resource.split("/")[0] == "secrets"}


def test_the_single_namespace_overlay_needs_no_cluster_wide_grant(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered_manifests["overlays/single-namespace"]
    assert not _of_kind(docs, "ClusterRole") and not _of_kind(docs, "ClusterRoleBinding")


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS[1:])
def test_each_binding_gives_an_existing_role_to_opsbots_service_account(
        rendered_manifests: dict[str, list[dict[str, Any]]], kustomization: str) -> None:
    docs = rendered_manifests[kustomization]
    (account,) = _of_kind(docs, "ServiceAccount")
    subject = {"kind": "ServiceAccount", "name": account["metadata"]["name"],
               "namespace": account["metadata"]["namespace"]}
    roles = {(r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"])
             for r in docs if r["kind"] in ("Role", "ClusterRole")}
    bindings = _of_kind(docs, "RoleBinding") + _of_kind(docs, "ClusterRoleBinding")
    assert bindings
    for binding in bindings:
        assert binding["subjects"] == [subject]
        ref = binding["roleRef"]
        scope = binding["metadata"].get("namespace") if ref["kind"] == "Role" else None
        assert (ref["kind"], scope, ref["name"]) in roles, f"{binding} names no role"
    (deployment,) = _of_kind(docs, "Deployment")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == subject["name"]


def test_a_client_call_added_under_tools_is_derived(tmp_path: Path) -> None:
    (tmp_path / "statefulsets.py").write_text(textwrap.dedent("""
        from kubernetes import client as k8s

        class Cluster:
            def __init__(self, api_client):
                self._apps = k8s.AppsV1Api(api_client)
                self._events = k8s.EventsV1Api(api_client)

            def statefulsets(self, namespace):
                return self._apps.list_namespaced_stateful_set(namespace)

            def events(self, namespace):
                return self._events.list_namespaced_event(namespace)
        """))
    with K8sStandin() as standin:
        found = accesses_of(methods_named_in(tmp_path), standin)
    assert found == {
        "AppsV1Api.list_namespaced_stateful_set": Access("apps", "statefulsets", "list", True),
        "EventsV1Api.list_namespaced_event": Access("events.k8s.io", "events", "list", True),
    }


def test_a_call_whose_api_class_cannot_be_told_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "events.py").write_text("def events(api, namespace):\n"
                                        "    return api.list_namespaced_event(namespace)\n")
    with pytest.raises(AssertionError, match="CoreV1Api, EventsV1Api"):
        methods_named_in(tmp_path)
