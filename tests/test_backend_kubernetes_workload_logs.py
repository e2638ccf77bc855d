"""get_workload_logs on the Kubernetes backend, through the official client over real HTTP
against the API stand-in: pods chosen by label selector or by a workload's own selector,
the three bounds, per-pod failures kept per pod, and refusals (403) and absences (404)
that say what happened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from k8s_shop import PANIC
from k8s_standin import K8sStandin
from kubernetes import client as k8s

from tools.backend import ToolFailure
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.workload_logs import LOG_BYTES, GetWorkloadLogsArgs

VAULT_IMAGE = "registry.acme.dev/ops/vault:1.15.2"


def _tools(standin: K8sStandin) -> KubernetesTools:
    return KubernetesTools(Cluster(k8s.ApiClient(standin.configuration()), 5.0),
                           lambda: datetime.now(UTC))


@pytest.fixture
def kube(standin: K8sStandin) -> KubernetesTools:
    return _tools(standin)


def _sidecar_pod(standin: K8sStandin, name: str, labels: dict[str, str],
                 default: str | None = None) -> None:
    """A bare pod with an app container and a proxy sidecar, each with its own log."""
    standin.create_pod("shop", name, {"proxy": [f"{name} proxy up"],
                                      "search": [f"{name} index warm"]},
                       labels=labels, default=default)


def test_a_selector_reads_each_matching_pod_troubled_first(kube: KubernetesTools) -> None:
    out = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", selector="app in (cart, checkout)", previous=True, tail=1))
    data = out.json_data()
    assert data["pods_matched"] == 5 and data["workload"] is None
    crashed, healthy = data["pods"][:3], data["pods"][3:]
    assert all(p["pod"].startswith("checkout-") for p in crashed)
    assert all(p["lines"] == [PANIC[-1]] and "error" not in p for p in crashed)
    # A cart container never crashed: that pod says so, the read goes on.
    assert all(p["pod"].startswith("cart-") and p["lines"] == [] for p in healthy)
    assert all('previous terminated container "cart"' in p["error"] for p in healthy)
    assert PANIC[-1] in out.text and "5 of 5 pods read" in out.text


def test_a_statefulset_is_read_through_its_own_selector(standin: K8sStandin,
                                                        kube: KubernetesTools) -> None:
    standin.create_set("StatefulSet", "shop", "vault", image=VAULT_IMAGE, change="Seal",
                       replicas=2)
    standin.logs_by_image[VAULT_IMAGE] = (["core: vault is unsealed", "core: standby"], [])
    out = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", deployment="vault", kind="StatefulSet", container="vault"))
    data = out.json_data()
    assert data["selector"] == "app=vault" and data["workload"] == "StatefulSet/vault"
    assert [p["pod"] for p in data["pods"]] == ["vault-0", "vault-1"]
    assert all(p["lines"] == ["core: vault is unsealed", "core: standby"]
               for p in data["pods"])


def test_each_pod_reads_its_default_container_unless_one_is_named(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    _sidecar_pod(standin, "search-a", {"app": "search"}, default="search")
    _sidecar_pod(standin, "search-b", {"app": "search"})
    mixed = kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", selector="app=search"))
    assert {(p["pod"], p["container"], p["lines"][0]) for p in mixed.json_data()["pods"]} == {
        ("search-a", "search", "search-a index warm"), ("search-b", "proxy", "search-b proxy up")}
    named = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", selector="app=search", container="search"))
    assert [p["lines"] for p in named.json_data()["pods"]] == [
        ["search-a index warm"], ["search-b index warm"]]


def test_a_container_some_pods_lack_is_an_error_of_those_pods(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    _sidecar_pod(standin, "search-a", {"app": "search", "tier": "web"})
    out = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", selector="tier=web,app", container="proxy"))
    assert out.json_data()["pods"][0]["lines"] == ["search-a proxy up"]
    other = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", selector="app notin (search)", container="proxy", max_pods=1))
    excerpt = other.json_data()["pods"][0]
    assert "container proxy is not valid for pod" in excerpt["error"]


def test_max_pods_and_the_byte_budget_bound_the_read(standin: K8sStandin,
                                                     kube: KubernetesTools) -> None:
    # Three pods of 200 lines of ~300 bytes: 60 KB each, 180 KB together.
    for i in range(3):
        _sidecar_pod(standin, f"noisy-{i}", {"app": "noisy"})
        standin.container_logs[("shop", f"noisy-{i}", "proxy")] = (
            [f"noisy-{i} line {n:03d} " + "x" * 280 for n in range(200)], [])
    out = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", selector="app=noisy", tail=500, max_pods=3)).json_data()
    first, second = out["pods"]
    assert len(first["lines"]) == 200 and not first["truncated"]
    assert second["truncated"] and second["lines"][-1].startswith("noisy-1 line 199")
    assert out["pods_not_read"] == ["noisy-2"]
    kept = sum(len(line) + 1 for p in out["pods"] for line in p["lines"])
    assert kept <= LOG_BYTES
    fewer = kube.get_workload_logs(GetWorkloadLogsArgs(
        namespace="shop", selector="app=noisy", tail=2, max_pods=1)).json_data()
    assert [len(p["lines"]) for p in fewer["pods"]] == [2]
    assert fewer["pods_not_read"] == ["noisy-1", "noisy-2"]


def test_a_selector_matching_nothing_is_an_empty_read(kube: KubernetesTools) -> None:
    out = kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", selector="app=ghost"))
    assert out.json_data()["pods_matched"] == 0 and out.json_data()["pods"] == []
    assert "no pods in shop match app=ghost" in out.text


def test_missing_workloads_and_namespaces_are_404s_naming_what_exists(
        kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="deployment shop/ghost not found; deployments in "
                                          "shop: cart, checkout"):
        kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", deployment="ghost"))
    with pytest.raises(ToolFailure, match="statefulset shop/checkout not found"):
        kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", deployment="checkout",
                                                   kind="StatefulSet"))
    with pytest.raises(ToolFailure, match="namespace 'nowhere' not found"):
        kube.get_workload_logs(GetWorkloadLogsArgs(namespace="nowhere", selector="app=x"))


def test_refused_pod_listing_or_log_reading_fails_the_read_with_the_api_message(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.forbid("get", "pods/log", "shop")
    with pytest.raises(ToolFailure, match=r'forbidden while reading logs of shop/checkout-.*'
                                          r'cannot get resource "pods/log"'):
        kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", selector="app=checkout"))
    standin.forbid("list", "pods", "shop")
    with pytest.raises(ToolFailure, match='cannot list resource "pods"'):
        kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", deployment="cart"))


def test_only_pods_workloads_and_logs_are_requested_never_secrets(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", deployment="checkout"))
    paths = standin.paths()
    assert not [p for p in paths if "secret" in p]
    assert {p.rsplit("/", 1)[-1] for p in paths if "/pods/" in p} == {"log"}


def test_the_api_server_cuts_each_pods_log_at_the_per_pod_byte_limit(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    kube.get_workload_logs(GetWorkloadLogsArgs(namespace="shop", selector="app=cart"))
    limits = {r.query.get("limitBytes") for r in standin.requests if r.path.endswith("/log")}
    assert limits == {str(4 * LOG_BYTES)}
