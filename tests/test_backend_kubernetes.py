"""The Kubernetes half of the real backend, through the official client over real HTTP,
against the API stand-in (tests/k8s_standin.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from k8s_shop import BAD_IMAGE, PANIC
from k8s_standin import DEPLOYMENTS, Fault, K8sStandin
from kubernetes import client as k8s

from assistant.evaluation.local_monitoring import free_port
from assistant.models import ToolCall
from assistant.planning.offline import derive_bindings
from tools.backend import ToolFailure
from tools.catalog import (
    DeploymentArgs,
    GetPodLogsArgs,
    ListPodsArgs,
    RollbackDeploymentArgs,
    ScaleDeploymentArgs,
)
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster

CHECKOUT = DeploymentArgs(namespace="shop", deployment="checkout")


def _tools(config: k8s.Configuration, timeout: float = 5.0,
           namespaces: tuple[str, ...] = ()) -> KubernetesTools:
    return KubernetesTools(Cluster(k8s.ApiClient(config), timeout),
                           lambda: datetime.now(UTC), namespaces=namespaces)


@pytest.fixture
def kube(standin: K8sStandin) -> KubernetesTools:
    return _tools(standin.configuration())


def _deployment(standin: K8sStandin) -> dict:
    return standin.get(DEPLOYMENTS, "shop", "checkout")


# --- reads -------------------------------------------------------------------------------


def test_list_pods_has_the_sandbox_fields_and_the_crash_reason(kube: KubernetesTools) -> None:
    out = kube.list_pods(ListPodsArgs(namespace="shop", deployment="checkout"))
    pods = out.json_data()["pods"]
    assert len(pods) == 3
    for pod in pods:
        assert set(pod) >= {"name", "phase", "ready", "restarts", "reason", "deployment"}
        assert pod["deployment"] == "checkout" and pod["revision"] == 42
        assert pod["ready"] is False and pod["restarts"] == 6
        assert pod["reason"] == "CrashLoopBackOff"
        assert pod["last_termination_reason"] == "Error"
    assert "CrashLoopBackOff" in out.text and "0/1" in out.text


def test_list_pods_of_a_namespace_maps_each_pod_to_its_deployment(
        kube: KubernetesTools) -> None:
    pods = kube.list_pods(ListPodsArgs(namespace="shop")).json_data()["pods"]
    assert sorted({p["deployment"] for p in pods}) == ["cart", "checkout"]
    assert [p["ready"] for p in pods if p["deployment"] == "cart"] == [True, True]


def test_a_missing_namespace_or_deployment_names_what_exists(kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="namespace 'nope' not found"):
        kube.list_pods(ListPodsArgs(namespace="nope"))
    with pytest.raises(ToolFailure) as failed:
        kube.describe_deployment(DeploymentArgs(namespace="shop", deployment="chekout"))
    assert str(failed.value) == ("deployment shop/chekout not found; deployments in shop: "
                                 "cart, checkout")
    assert not failed.value.transient


def test_pod_logs_tail_and_previous_container(kube: KubernetesTools) -> None:
    listed = kube.list_pods(ListPodsArgs(namespace="shop", deployment="checkout"))
    pod = listed.json_data()["pods"][0]
    previous = kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod=pod["name"],
                                                previous=True, tail=1))
    assert previous.json_data() == {"pod": pod["name"], "lines": [PANIC[-1]], "previous": True,
                             "container": "checkout"}
    assert "previous container checkout" in previous.text


def test_pod_logs_read_the_container_named_else_the_default_one(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.create_pod("shop", "ledger-0", {"proxy": ["proxy up"], "ledger": ["ledger up"]},
                       default="ledger")
    default = kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod="ledger-0"))
    named = kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod="ledger-0",
                                             container="proxy"))
    assert (default.json_data()["container"], default.json_data()["lines"]) == (
        "ledger", ["ledger up"])
    assert (named.json_data()["container"], named.json_data()["lines"]) == (
        "proxy", ["proxy up"])
    assert "(container proxy)" in named.text
    reads = [r.query.get("container") for r in standin.requests if r.path.endswith("/log")]
    assert reads == ["ledger", "proxy"]


def test_pod_logs_of_a_container_the_pod_lacks_fail_with_the_api_reason(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.create_pod("shop", "ledger-0", {"proxy": ["proxy up"], "ledger": ["ledger up"]})
    with pytest.raises(ToolFailure) as failed:
        kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod="ledger-0", container="migrate"))
    assert "(400): container migrate is not valid for pod ledger-0" in str(failed.value)
    assert not failed.value.transient


def test_previous_logs_of_a_container_that_never_crashed_fail_with_the_api_reason(
        kube: KubernetesTools) -> None:
    pod = kube.list_pods(ListPodsArgs(namespace="shop", deployment="cart")).json_data()["pods"][0]
    with pytest.raises(ToolFailure) as failed:
        kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod=pod["name"], previous=True))
    assert 'previous terminated container "cart"' in str(failed.value)
    assert not failed.value.transient
    with pytest.raises(ToolFailure, match="pod shop/ghost not found; pods in shop: cart-"):
        kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod="ghost"))


def test_describe_deployment_has_sandbox_fields_conditions_and_events(
        kube: KubernetesTools) -> None:
    out = kube.describe_deployment(CHECKOUT)
    data = out.json_data()
    assert set(data) >= {"namespace", "name", "service", "replicas", "ready_replicas",
                         "revision", "image", "conditions"}
    assert (data["replicas"], data["ready_replicas"], data["revision"]) == (3, 0, 42)
    assert data["image"] == BAD_IMAGE and data["service"] == "checkout"
    assert data["memory_limit_mib"] == 512
    progressing = next(c for c in data["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "ProgressDeadlineExceeded"
    assert data["events"] and all(e["reason"] == "ScalingReplicaSet" for e in data["events"])
    assert "Gift-card pricing" in out.text


def test_events_the_credentials_may_not_list_do_not_fail_the_description(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.forbid("list", "events")
    out = kube.describe_deployment(CHECKOUT)
    assert out.json_data()["events"] == []
    assert "unavailable: forbidden while listing events" in out.text


def test_rollout_history_judges_revisions_and_feeds_the_planner(kube: KubernetesTools) -> None:
    out = kube.rollout_history(CHECKOUT)
    revisions = out.json_data()["revisions"]
    assert [r["revision"] for r in revisions] == [39, 40, 41, 42]
    assert all(set(r) >= {"revision", "image", "change", "healthy", "current"}
               for r in revisions)
    current = revisions[-1]
    assert current["current"] and not current["healthy"]
    assert current["health"] == "pods failing: CrashLoopBackOff"
    assert [r["healthy"] for r in revisions[:3]] == [True, True, True]
    assert revisions[2]["change"] == "Revert taxd v2 client"
    call = ToolCall(tool="rollout_history", args=CHECKOUT.model_dump())
    assert derive_bindings(call, out.data, {}) == {"healthy_revision": 41}


# --- rollback ---------------------------------------------------------------------------


def test_rollback_restores_the_last_healthy_template_like_kubectl_undo(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    before = _deployment(standin)
    out = kube.rollback(RollbackDeploymentArgs(**CHECKOUT.model_dump()), dry_run=False).output()
    changed = out.json_data()["changed"]
    assert changed["revision"] == {"from": 42, "to": 41}
    assert changed["image"]["to"] == "registry.acme.dev/shop/checkout:2.14.1"
    assert changed["target_healthy"] is True and len(changed["pods_replaced"]) == 3
    [patch] = [r for r in standin.requests if r.method == "PATCH"]
    assert patch.content_type == "application/json-patch+json"
    assert patch.query == {}
    assert {"op": "replace", "path": "/metadata/resourceVersion",
            "value": before["metadata"]["resourceVersion"]} in patch.body
    template = next(op["value"] for op in patch.body if op["path"] == "/spec/template")
    assert "pod-template-hash" not in template["metadata"]["labels"]
    annotations = next(op["value"] for op in patch.body if op["path"] == "/metadata/annotations")
    assert annotations["kubernetes.io/change-cause"] == "Revert taxd v2 client"
    assert annotations["deployment.kubernetes.io/revision"] == "42"  # the controller's to set

    history = kube.rollout_history(CHECKOUT).json_data()["revisions"]
    assert [(r["revision"], r["healthy"], r["current"]) for r in history] == [
        (39, True, False), (40, True, False), (42, False, False), (43, True, True)]
    assert history[2]["health"] == "rolled back from"
    pods = kube.list_pods(ListPodsArgs(namespace="shop", deployment="checkout")).json_data()["pods"]
    assert [p["ready"] for p in pods] == [True, True, True]


def test_rollback_to_a_named_revision(standin: K8sStandin, kube: KubernetesTools) -> None:
    change = kube.rollback(RollbackDeploymentArgs(**CHECKOUT.model_dump(), revision=39),
                           dry_run=False)
    assert change.output().json_data()["changed"]["revision"] == {"from": 42, "to": 39}
    container = _deployment(standin)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.acme.dev/shop/checkout:2.13.4"


@pytest.mark.parametrize(("revision", "words"), [
    (7, "revision 7 is not in the history of shop/checkout (revisions: 39, 40, 41, 42)"),
    (42, "shop/checkout is already at revision 42"),
])
def test_rollback_to_an_impossible_revision_fails_before_any_write(
        standin: K8sStandin, kube: KubernetesTools, revision: int, words: str) -> None:
    with pytest.raises(ToolFailure) as failed:
        kube.rollback(RollbackDeploymentArgs(**CHECKOUT.model_dump(), revision=revision),
                      dry_run=False)
    assert str(failed.value) == words
    assert not [r for r in standin.requests if r.method == "PATCH"]


def test_the_dry_run_preview_asks_the_server_and_changes_nothing(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    before = _deployment(standin)
    preview = kube.rollback(RollbackDeploymentArgs(**CHECKOUT.model_dump()), dry_run=True)
    scaled = kube.scale(ScaleDeploymentArgs(**CHECKOUT.model_dump(), replicas=6), dry_run=True)
    restarted = kube.restart(CHECKOUT, dry_run=True)
    patches = [r for r in standin.requests if r.method == "PATCH"]
    assert len(patches) == 3 and all(r.query == {"dryRun": "All"} for r in patches)
    assert _deployment(standin) == before
    assert preview.render().startswith("rollback shop/checkout: revision 42 -> 41")
    assert "server-side dry run (dryRun=All) accepted" in preview.render()
    assert scaled.summary == "scale shop/checkout: replicas 3 -> 6"
    assert restarted.summary == "rolling restart of shop/checkout: 3 pods restart"


def test_a_concurrent_change_is_a_409_conflict_that_a_retry_gets_past(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.before_patch = lambda s: s.touch("shop", "checkout")
    args = RollbackDeploymentArgs(**CHECKOUT.model_dump())
    with pytest.raises(ToolFailure) as failed:
        kube.rollback(args, dry_run=False)
    assert failed.value.transient and failed.value.retry_after is not None
    assert "the object has been modified" in str(failed.value)
    assert _deployment(standin)["metadata"]["annotations"][
        "deployment.kubernetes.io/revision"] == "42"
    standin.before_patch = None
    assert kube.rollback(args, dry_run=False).changed.revision.after == 41


def test_a_forbidden_patch_is_permanent_and_quotes_rbac(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.forbid("patch", "deployments", "shop")
    with pytest.raises(ToolFailure) as failed:
        kube.restart(CHECKOUT, dry_run=False)
    assert not failed.value.transient
    assert ('cannot patch resource "deployments" in API group "apps" in the namespace "shop"'
            in str(failed.value))


# --- restart and scale ------------------------------------------------------------------


def test_restart_stamps_the_pod_template_and_replaces_the_pods(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    cart = DeploymentArgs(namespace="shop", deployment="cart")
    old = {p["name"] for p in kube.list_pods(ListPodsArgs(namespace="shop",
                                                         deployment="cart")).json_data()["pods"]}
    out = kube.restart(cart, dry_run=False).output()
    stamp = out.json_data()["changed"]["restarted_at"]
    template = standin.get(DEPLOYMENTS, "shop", "cart")["spec"]["template"]
    assert template["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": stamp}
    assert datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    new = {p["name"] for p in kube.list_pods(ListPodsArgs(namespace="shop",
                                                         deployment="cart")).json_data()["pods"]}
    assert len(new) == 2 and not new & old
    assert set(out.json_data()["changed"]["pods_restarted"]) == old


def test_scale_uses_the_scale_subresource(standin: K8sStandin, kube: KubernetesTools) -> None:
    out = kube.scale(ScaleDeploymentArgs(**CHECKOUT.model_dump(), replicas=5),
                     dry_run=False).output()
    assert out.json_data() == {"changed": {"replicas": {"from": 3, "to": 5}}}
    [patch] = [r for r in standin.requests if r.method == "PATCH"]
    assert patch.path.endswith("/deployments/checkout/scale")
    assert patch.body == {"spec": {"replicas": 5}}
    assert _deployment(standin)["spec"]["replicas"] == 5
    down = kube.scale(ScaleDeploymentArgs(**CHECKOUT.model_dump(), replicas=1), dry_run=False)
    assert down.output().json_data()["changed"]["replicas"] == {"from": 5, "to": 1}
    assert "removes 4 pods" in down.render()


# --- inventory, scope and the API's failure modes ---------------------------------------


def test_inventory_counts_come_from_the_live_objects(kube: KubernetesTools) -> None:
    infos = {d.name: d for d in kube.deployment_infos()}
    assert (infos["checkout"].replicas, infos["checkout"].ready_replicas) == (3, 0)
    assert infos["checkout"].revision == 42 and len(infos["checkout"].pods) == 3
    assert infos["cart"].service == "cart" and infos["cart"].ready_replicas == 2


def test_namespaces_outside_the_configured_scope_are_refused(standin: K8sStandin) -> None:
    scoped = _tools(standin.configuration(), namespaces=("payments",))
    with pytest.raises(ToolFailure, match="outside this opsbot's scope"):
        scoped.rollback(RollbackDeploymentArgs(**CHECKOUT.model_dump()), dry_run=True)
    assert scoped.deployment_infos() == []


def test_bad_credentials_are_a_401_that_points_at_the_kubeconfig(standin: K8sStandin) -> None:
    wrong = _tools(standin.configuration(token="stolen"))
    with pytest.raises(ToolFailure) as failed:
        wrong.describe_deployment(CHECKOUT)
    assert "401 Unauthorized" in str(failed.value) and "KUBECONFIG" in str(failed.value)
    assert not failed.value.transient


def test_throttling_and_server_errors_are_transient(standin: K8sStandin,
                                                   kube: KubernetesTools) -> None:
    standin.fault(Fault(path="/deployments/checkout", status=429, headers={"Retry-After": "2"},
                        body=b'{"kind":"Status","message":"too many requests","code":429}'))
    with pytest.raises(ToolFailure) as throttled:
        kube.describe_deployment(CHECKOUT)
    assert throttled.value.transient and throttled.value.retry_after == 2.0
    standin.fault(Fault(path="/deployments/checkout", status=503, body=b"etcd unavailable",
                        content_type="text/plain"))
    with pytest.raises(ToolFailure) as unavailable:
        kube.describe_deployment(CHECKOUT)
    assert unavailable.value.transient and "503" in str(unavailable.value)
    assert kube.describe_deployment(CHECKOUT).json_data()["revision"] == 42  # faults were one-off


@pytest.mark.parametrize("body", [b"{not json", json.dumps({"items": "nope"}).encode()])
def test_a_malformed_answer_is_a_permanent_failure(standin: K8sStandin, kube: KubernetesTools,
                                                   body: bytes) -> None:
    standin.fault(Fault(path="/api/v1/namespaces/shop/pods", body=body))
    with pytest.raises(ToolFailure) as failed:
        kube.list_pods(ListPodsArgs(namespace="shop"))
    assert "malformed response from the Kubernetes API" in str(failed.value)
    assert not failed.value.transient


def test_a_slow_api_times_out_transiently(standin: K8sStandin) -> None:
    impatient = _tools(standin.configuration(), timeout=0.2)
    standin.fault(Fault(path="/deployments/checkout", delay=1.0))
    with pytest.raises(ToolFailure) as failed:
        impatient.describe_deployment(CHECKOUT)
    assert failed.value.transient and "timed out" in str(failed.value)


def test_an_unreachable_api_is_transient() -> None:
    config = k8s.Configuration(host=f"http://127.0.0.1:{free_port()}")
    config.retries = False
    with pytest.raises(ToolFailure) as failed:
        _tools(config).describe_deployment(CHECKOUT)
    assert failed.value.transient and "unreachable" in str(failed.value)


def test_no_tool_ever_calls_the_secrets_api(standin: K8sStandin,
                                            kube: KubernetesTools) -> None:
    listed = kube.list_pods(ListPodsArgs(namespace="shop", deployment="checkout"))
    pod = listed.json_data()["pods"][0]
    kube.get_pod_logs(GetPodLogsArgs(namespace="shop", pod=pod["name"], previous=True))
    kube.describe_deployment(CHECKOUT)
    kube.rollout_history(CHECKOUT)
    kube.deployment_infos()
    kube.rollback(RollbackDeploymentArgs(**CHECKOUT.model_dump()), dry_run=False)
    kube.restart(CHECKOUT, dry_run=False)
    kube.scale(ScaleDeploymentArgs(**CHECKOUT.model_dump(), replicas=4), dry_run=False)
    assert len(standin.requests) > 20
    assert not [p for p in standin.paths() if "secret" in p]
