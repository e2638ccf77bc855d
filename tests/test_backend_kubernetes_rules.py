"""The pure rules behind the Kubernetes tools: pod status, revision health, kubectl's
rollback annotations, selectors and the restart stamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kubernetes import client as k8s

from tools.kubernetes.history import rolled_back_from
from tools.kubernetes.pods import pod_state, selector_string
from tools.kubernetes.rollout import restart_patch, rollback_annotations, same_template

T0 = datetime(2025, 3, 11, 14, 0, tzinfo=UTC)


def _pod(status: k8s.V1PodStatus, deleting: bool = False) -> k8s.V1Pod:
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(
            name="p", namespace="shop", creation_timestamp=T0,
            deletion_timestamp=T0 if deleting else None,
            owner_references=[k8s.V1OwnerReference(api_version="apps/v1", kind="ReplicaSet",
                                                   name="web-abc", uid="u", controller=True)]),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="web", image="web:1")]),
        status=status,
    )


def _container(state: k8s.V1ContainerState, last: k8s.V1ContainerState | None = None,
               restarts: int = 0, ready: bool = False) -> k8s.V1ContainerStatus:
    return k8s.V1ContainerStatus(name="web", image="web:1", image_id="x", ready=ready,
                                 restart_count=restarts, state=state, last_state=last)


def test_a_running_ready_pod_has_no_reason() -> None:
    state = pod_state(_pod(k8s.V1PodStatus(
        phase="Running",
        conditions=[k8s.V1PodCondition(type="Ready", status="True")],
        container_statuses=[_container(k8s.V1ContainerState(
            running=k8s.V1ContainerStateRunning(started_at=T0)), ready=True)])))
    assert (state.ready, state.reason, state.status, state.failing) == (True, None,
                                                                       "Running", False)
    assert state.owner == "web-abc"


def test_an_oom_killed_crash_loop_reports_the_waiting_reason_and_the_last_termination(
        ) -> None:
    last = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
        exit_code=137, reason="OOMKilled", finished_at=T0 + timedelta(minutes=3)))
    state = pod_state(_pod(k8s.V1PodStatus(
        phase="Running",
        conditions=[k8s.V1PodCondition(type="Ready", status="False")],
        container_statuses=[_container(k8s.V1ContainerState(
            waiting=k8s.V1ContainerStateWaiting(reason="CrashLoopBackOff")), last, 4)])))
    assert state.reason == "CrashLoopBackOff" and state.failing
    assert state.last_termination_reason == "OOMKilled"
    assert state.restarts == 4 and state.last_restart_at == T0 + timedelta(minutes=3)


def test_pod_level_init_and_deletion_reasons_read_like_kubectl() -> None:
    evicted = pod_state(_pod(k8s.V1PodStatus(phase="Failed", reason="Evicted")))
    assert evicted.status == "Evicted" and not evicted.ready
    init = pod_state(_pod(k8s.V1PodStatus(phase="Pending", init_container_statuses=[
        k8s.V1ContainerStatus(name="migrate", image="m:1", image_id="", ready=False,
                              restart_count=0, state=k8s.V1ContainerState(
                                  waiting=k8s.V1ContainerStateWaiting(
                                      reason="ImagePullBackOff")))])))
    assert init.status == "Init:ImagePullBackOff"
    leaving = pod_state(_pod(k8s.V1PodStatus(phase="Running"), deleting=True))
    assert leaving.status == "Terminating"


def _rs(revision: int, history: str | None = None) -> k8s.V1ReplicaSet:
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if history:
        annotations["deployment.kubernetes.io/revision-history"] = history
    return k8s.V1ReplicaSet(
        metadata=k8s.V1ObjectMeta(name=f"rs-{revision}", annotations=annotations),
        spec=k8s.V1ReplicaSetSpec(selector=k8s.V1LabelSelector(match_labels={"app": "web"})))


def test_a_reused_template_marks_the_revision_before_each_reuse_as_rolled_back_from() -> None:
    # 41 was current when `rollout undo` re-used 40's template (now 42); later 39's
    # template came back as 44, replacing 43.
    sets = [_rs(44, "39"), _rs(42, "40"), _rs(41), _rs(43)]
    assert rolled_back_from(sets) == {41, 43}
    assert rolled_back_from([_rs(1), _rs(2), _rs(3)]) == set()


def test_rollback_annotations_follow_kubectl_undo() -> None:
    deployment = {"deployment.kubernetes.io/revision": "42",
                  "kubernetes.io/change-cause": "Gift-card pricing",
                  "team": "shop"}
    replica_set = {"deployment.kubernetes.io/revision": "41",
                   "deployment.kubernetes.io/desired-replicas": "3",
                   "deployment.kubernetes.io/max-replicas": "4",
                   "kubernetes.io/change-cause": "Revert taxd v2 client"}
    assert rollback_annotations(deployment, replica_set) == {
        "deployment.kubernetes.io/revision": "42",
        "kubernetes.io/change-cause": "Revert taxd v2 client",
    }


def test_templates_compare_without_the_pod_template_hash() -> None:
    a = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": {}}
    b = {"metadata": {"labels": {"app": "web"}}, "spec": {}}
    assert same_template(a, b)
    assert not same_template(a, {"metadata": {"labels": {"app": "api"}}, "spec": {}})
    assert a["metadata"]["labels"]["pod-template-hash"] == "abc"  # inputs untouched


def test_selectors_render_in_list_query_syntax() -> None:
    selector = k8s.V1LabelSelector(
        match_labels={"app": "web", "tier": "front"},
        match_expressions=[
            k8s.V1LabelSelectorRequirement(key="env", operator="In", values=["prod", "eu"]),
            k8s.V1LabelSelectorRequirement(key="canary", operator="DoesNotExist"),
        ])
    assert selector_string(selector) == "app=web,tier=front,env in (prod,eu),!canary"


def test_the_restart_stamp_is_utc_whatever_the_clock_zone() -> None:
    at = datetime(2025, 3, 11, 16, 30, tzinfo=timezone(timedelta(hours=2)))
    stamp = restart_patch(at)["spec"]["template"]["metadata"]["annotations"]
    assert stamp == {"kubectl.kubernetes.io/restartedAt": "2025-03-11T14:30:00Z"}
