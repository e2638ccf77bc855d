"""StatefulSets, DaemonSets, events and autoscalers on the Kubernetes backend, through the
official client over real HTTP against the API stand-in (tests/k8s_standin.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from k8s_standin import DAEMONSETS, EVENTS, HPAS, STATEFULSETS, K8sStandin
from kubernetes import client as k8s

from tools.backend import ToolFailure
from tools.catalog import (
    DeploymentArgs,
    ListPodsArgs,
    RollbackDeploymentArgs,
    ScaleDeploymentArgs,
)
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.workload_reads import ListEventsArgs, ListHpasArgs

JOURNAL = DeploymentArgs(namespace="ledger", deployment="journal", kind="StatefulSet")
SHIPPER = DeploymentArgs(namespace="ledger", deployment="shipper", kind="DaemonSet")
BROKEN = "registry.quill.dev/ledger/journal:5.3.0"
NOW = datetime(2026, 6, 16, 9, 40, tzinfo=UTC)


def _event(name: str, reason: str, kind: str, involved: str, count: int,
           minutes_ago: int, kind_of_event: str = "Warning") -> k8s.CoreV1Event:
    seen = NOW - timedelta(minutes=minutes_ago)
    return k8s.CoreV1Event(
        api_version="v1", kind="Event",
        metadata=k8s.V1ObjectMeta(name=name, namespace="ledger"),
        involved_object=k8s.V1ObjectReference(kind=kind, name=involved, namespace="ledger"),
        reason=reason, message=f"{reason} on {involved}", type=kind_of_event, count=count,
        first_timestamp=seen, last_timestamp=seen,
        source=k8s.V1EventSource(component="kubelet"))


def seed_ledger(standin: K8sStandin) -> None:
    """ledger/journal (StatefulSet, 3 replicas) halted at journal-2 on revision 3;
    ledger/shipper (DaemonSet on 3 nodes) healthy at revision 2; events; an autoscaler."""
    standin.crashing_images.add(BROKEN)
    standin.create_set("StatefulSet", "ledger", "journal",
                       image="registry.quill.dev/ledger/journal:5.2.3", change="Tune fsync")
    standin.deploy_set("StatefulSet", "ledger", "journal",
                       image="registry.quill.dev/ledger/journal:5.2.4", change="Ack timeout")
    standin.deploy_set("StatefulSet", "ledger", "journal", image=BROKEN,
                       change="Raise segment size")
    standin.create_set("DaemonSet", "ledger", "shipper",
                       image="registry.quill.dev/ledger/shipper:3.1.1", change="First")
    standin.deploy_set("DaemonSet", "ledger", "shipper",
                       image="registry.quill.dev/ledger/shipper:3.1.2", change="Drop debug")
    standin.put(EVENTS, _event("journal-2.1", "BackOff", "Pod", "journal-2", 31, 1))
    standin.put(EVENTS, _event("journal-2.2", "Unhealthy", "Pod", "journal-2", 12, 3))
    standin.put(EVENTS, _event("batch.1", "FailedScheduling", "Pod", "batch-x7k", 3, 10))
    standin.put(EVENTS, _event("journal.1", "SuccessfulCreate", "StatefulSet", "journal", 1,
                               28, "Normal"))
    standin.put(HPAS, k8s.V2HorizontalPodAutoscaler(
        api_version="autoscaling/v2", kind="HorizontalPodAutoscaler",
        metadata=k8s.V1ObjectMeta(name="journal-api", namespace="ledger"),
        spec=k8s.V2HorizontalPodAutoscalerSpec(
            scale_target_ref=k8s.V2CrossVersionObjectReference(
                api_version="apps/v1", kind="Deployment", name="journal-api"),
            min_replicas=3, max_replicas=8,
            metrics=[k8s.V2MetricSpec(type="Resource", resource=k8s.V2ResourceMetricSource(
                name="cpu", target=k8s.V2MetricTarget(type="Utilization",
                                                      average_utilization=70)))]),
        status=k8s.V2HorizontalPodAutoscalerStatus(
            current_replicas=8, desired_replicas=8,
            current_metrics=[k8s.V2MetricStatus(
                type="Resource", resource=k8s.V2ResourceMetricStatus(
                    name="cpu", current=k8s.V2MetricValueStatus(average_utilization=96)))],
            conditions=[k8s.V2HorizontalPodAutoscalerCondition(
                type="ScalingLimited", status="True", reason="TooManyReplicas",
                message="the desired replica count is more than the maximum replica count")])))


@pytest.fixture
def standin() -> Iterator[K8sStandin]:
    with K8sStandin() as running:
        seed_ledger(running)
        yield running


@pytest.fixture
def kube(standin: K8sStandin) -> KubernetesTools:
    return KubernetesTools(Cluster(k8s.ApiClient(standin.configuration()), 5.0), lambda: NOW)


# --- reads -------------------------------------------------------------------------------


def test_a_halted_statefulset_shows_its_pods_on_two_revisions(kube: KubernetesTools) -> None:
    pods = kube.list_pods(ListPodsArgs(namespace="ledger", deployment="journal",
                                       kind="StatefulSet")).json_data()["pods"]
    assert [(p["name"], p["revision"], p["ready"]) for p in pods] == [
        ("journal-0", 2, True), ("journal-1", 2, True), ("journal-2", 3, False)]
    assert pods[2]["reason"] == "CrashLoopBackOff"


def test_statefulset_history_comes_from_controller_revisions(kube: KubernetesTools) -> None:
    out = kube.rollout_history(JOURNAL)
    revisions = out.json_data()["revisions"]
    assert [(r["revision"], r["healthy"], r["current"]) for r in revisions] == [
        (1, True, False), (2, True, False), (3, False, True)]
    assert revisions[2]["health"] == "pods failing: CrashLoopBackOff"
    assert revisions[1]["change"] == "Ack timeout"
    assert out.text.startswith("statefulset.apps/journal in ledger")


def test_describe_a_statefulset_names_its_kind_and_counts(kube: KubernetesTools) -> None:
    out = kube.describe_deployment(JOURNAL)
    data = out.json_data()
    assert (data["kind"], data["replicas"], data["ready_replicas"], data["revision"]) == (
        "StatefulSet", 3, 2, 3)
    assert data["image"] == BROKEN
    assert "3 desired | 1 updated | 2 ready | 3 pods" in out.text


def test_a_daemonset_counts_its_nodes(kube: KubernetesTools) -> None:
    data = kube.describe_deployment(SHIPPER).json_data()
    assert (data["kind"], data["replicas"], data["ready_replicas"], data["revision"]) == (
        "DaemonSet", 3, 3, 2)


def test_inventory_lists_statefulsets_and_daemonsets_with_their_pods(
        kube: KubernetesTools) -> None:
    infos = {(i.kind, i.name): i for i in kube.deployment_infos()}
    journal = infos[("StatefulSet", "journal")]
    assert (journal.replicas, journal.ready_replicas) == (3, 2)
    assert journal.pods == ("journal-0", "journal-1", "journal-2")
    assert len(infos[("DaemonSet", "shipper")].pods) == 3


def test_the_wrong_kind_is_a_not_found_naming_that_kinds_objects(
        kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure) as failed:
        kube.describe_deployment(DeploymentArgs(namespace="ledger", deployment="shipper",
                                                kind="StatefulSet"))
    assert str(failed.value) == ("statefulset ledger/shipper not found; statefulsets in "
                                 "ledger: journal")


def test_history_without_access_to_controller_revisions_is_a_clear_403(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.forbid("list", "controllerrevisions")
    with pytest.raises(ToolFailure) as failed:
        kube.rollout_history(JOURNAL)
    assert "forbidden while listing controller revisions in ledger" in str(failed.value)
    assert 'cannot list resource "controllerrevisions" in API group "apps"' in str(failed.value)


def test_events_are_filtered_by_the_api_server(standin: K8sStandin,
                                               kube: KubernetesTools) -> None:
    out = kube.list_events(ListEventsArgs(namespace="ledger", kind="Pod", name="journal-2"))
    events = out.json_data()["events"]
    assert [(e["reason"], e["count"]) for e in events] == [("Unhealthy", 12), ("BackOff", 31)]
    listing = [r for r in standin.requests if r.path.endswith("/events")][-1]
    assert listing.query["fieldSelector"] == "involvedObject.kind=Pod,involvedObject.name=journal-2"
    warnings = kube.list_events(ListEventsArgs(namespace="ledger", warnings_only=True))
    assert {e["reason"] for e in warnings.json_data()["events"]} == {
        "BackOff", "Unhealthy", "FailedScheduling"}
    assert "1m" in out.text and "pod/journal-2" in out.text


def test_events_of_a_missing_namespace_fail_and_forbidden_ones_say_so(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="namespace 'nowhere' not found"):
        kube.list_events(ListEventsArgs(namespace="nowhere"))
    standin.forbid("list", "events", "ledger")
    with pytest.raises(ToolFailure, match="forbidden while listing events in ledger"):
        kube.list_events(ListEventsArgs(namespace="ledger"))


def test_an_autoscaler_at_its_maximum_is_reported_limited(kube: KubernetesTools) -> None:
    out = kube.list_hpas(ListHpasArgs(namespace="ledger"))
    [hpa] = out.json_data()["hpas"]
    assert hpa == {"name": "journal-api", "target_kind": "Deployment",
                   "target_name": "journal-api", "min_replicas": 3, "max_replicas": 8,
                   "current_replicas": 8, "desired_replicas": 8,
                   "metrics": ["cpu 96% (target 70%)"], "limited": True}
    assert "(limited by max)" in out.text


def test_a_missing_autoscaler_names_those_that_exist(standin: K8sStandin,
                                                     kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure) as failed:
        kube.list_hpas(ListHpasArgs(namespace="ledger", name="journal"))
    assert str(failed.value) == ("horizontalpodautoscaler ledger/journal not found; "
                                 "horizontalpodautoscalers in ledger: journal-api")
    standin.forbid("list", "horizontalpodautoscalers")
    with pytest.raises(ToolFailure, match='in API group "autoscaling"'):
        kube.list_hpas(ListHpasArgs(namespace="ledger"))


# --- changes -----------------------------------------------------------------------------


def test_a_statefulset_rollback_preview_is_a_server_side_dry_run(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    before = standin.get(STATEFULSETS, "ledger", "journal")
    change = kube.rollback(RollbackDeploymentArgs(**JOURNAL.model_dump()), dry_run=True)
    assert change.summary == "rollback StatefulSet ledger/journal: revision 3 -> 2"
    assert "server-side dry run (dryRun=All) accepted; nothing changed yet" in change.details
    [patch] = [r for r in standin.requests if r.method == "PATCH"]
    assert patch.query == {"dryRun": "All"}
    assert standin.get(STATEFULSETS, "ledger", "journal") == before


def test_a_statefulset_rollback_restores_the_revision_template(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    out = kube.rollback(RollbackDeploymentArgs(**JOURNAL.model_dump()), dry_run=False).output()
    changed = out.json_data()["changed"]
    assert changed["revision"] == {"from": 3, "to": 2}
    assert changed["image"]["to"] == "registry.quill.dev/ledger/journal:5.2.4"
    [patch] = [r for r in standin.requests if r.method == "PATCH"]
    assert patch.content_type == "application/json-patch+json"
    assert patch.path == "/apis/apps/v1/namespaces/ledger/statefulsets/journal"
    template = next(op["value"] for op in patch.body if op["path"] == "/spec/template")
    assert "$patch" not in template
    history = kube.rollout_history(JOURNAL).json_data()["revisions"]
    assert [(r["revision"], r["current"]) for r in history] == [
        (1, False), (3, False), (4, True)]
    assert history[2]["healthy"] is True
    pods = kube.list_pods(ListPodsArgs(namespace="ledger", deployment="journal",
                                       kind="StatefulSet")).json_data()["pods"]
    assert all(p["ready"] for p in pods)


def test_a_rollback_racing_another_writer_is_refused_with_409(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.before_patch = lambda s: s.touch("ledger", "journal", STATEFULSETS)
    with pytest.raises(ToolFailure) as failed:
        kube.rollback(RollbackDeploymentArgs(**JOURNAL.model_dump()), dry_run=False)
    assert "conflict while patching statefulset ledger/journal" in str(failed.value)
    assert failed.value.transient
    revisions = kube.rollout_history(JOURNAL).json_data()["revisions"]
    assert next(r for r in revisions if r["current"])["revision"] == 3


def test_a_rollback_to_a_revision_not_kept_names_those_kept(kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match=r"revision 7 is not in the history of StatefulSet "
                                          r"ledger/journal \(revisions: 1, 2, 3\)"):
        kube.rollback(RollbackDeploymentArgs(**JOURNAL.model_dump(), revision=7), dry_run=True)


def test_restarting_a_daemonset_stamps_its_template(standin: K8sStandin,
                                                    kube: KubernetesTools) -> None:
    out = kube.restart(SHIPPER, dry_run=False).output()
    changed = out.json_data()["changed"]
    assert len(changed["pods_restarted"]) == 3
    assert changed["restarted_at"] == "2026-06-16T09:40:00Z"
    template = standin.get(DAEMONSETS, "ledger", "shipper")["spec"]["template"]
    assert template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == \
        "2026-06-16T09:40:00Z"
    assert kube.rollout_history(SHIPPER).json_data()["revisions"][-1]["revision"] == 3


def test_restarting_a_missing_daemonset_is_a_404_naming_those_there(
        kube: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="daemonset ledger/ghost not found; daemonsets in "
                                          "ledger: shipper"):
        kube.restart(DeploymentArgs(namespace="ledger", deployment="ghost", kind="DaemonSet"),
                     dry_run=True)


def test_scaling_a_statefulset_goes_through_its_scale_subresource(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    args = ScaleDeploymentArgs(**JOURNAL.model_dump(), replicas=2)
    preview = kube.scale(args, dry_run=True)
    assert preview.summary == "scale StatefulSet ledger/journal: replicas 3 -> 2"
    assert preview.details[0].startswith("removes pods journal-2 (highest ordinal first")
    assert standin.get(STATEFULSETS, "ledger", "journal")["spec"]["replicas"] == 3
    kube.scale(args, dry_run=False)
    assert standin.get(STATEFULSETS, "ledger", "journal")["spec"]["replicas"] == 2
    patches = [r for r in standin.requests if r.method == "PATCH"]
    assert [p.path for p in patches] == ["/apis/apps/v1/namespaces/ledger/statefulsets/"
                                         "journal/scale"] * 2
    assert [p.query for p in patches] == [{"dryRun": "All"}, {}]


def test_a_forbidden_scale_is_a_403_naming_the_subresource(
        standin: K8sStandin, kube: KubernetesTools) -> None:
    standin.forbid("patch", "statefulsets/scale")
    with pytest.raises(ToolFailure, match='cannot patch resource "statefulsets/scale"'):
        kube.scale(ScaleDeploymentArgs(**JOURNAL.model_dump(), replicas=5), dry_run=True)


def test_no_request_touches_secrets(standin: K8sStandin, kube: KubernetesTools) -> None:
    kube.describe_deployment(JOURNAL)
    kube.rollout_history(SHIPPER)
    kube.list_events(ListEventsArgs(namespace="ledger"))
    kube.list_hpas(ListHpasArgs(namespace="ledger"))
    kube.deployment_infos()
    assert not any("secret" in path for path in standin.paths())
