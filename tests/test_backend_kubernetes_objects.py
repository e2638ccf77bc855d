"""Pods, nodes, Jobs/CronJobs and volume claims through the official client over real
HTTP, against the API stand-in (tests/k8s_standin.py): each call, its dry run, and the
API's 403, 404 and 409 answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from k8s_shop import seed_shop
from k8s_standin import CRONJOBS, JOBS, NODES, PODS, PVCS, Fault, K8sStandin
from kubernetes import client as k8s

from tools.backend import ToolFailure
from tools.job_tools import CronJobArgs, JobArgs, ListCronJobsArgs
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.kubernetes.objects import KubernetesObjects
from tools.node_tools import NodeArgs
from tools.pod_tools import PodArgs
from tools.volume_tools import with_usage

STARTED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _node(name: str, *, pressure: str | None = None, cordoned: bool = False) -> k8s.V1Node:
    conditions = [k8s.V1NodeCondition(type=kind, status=str(kind == pressure),
                                      reason=f"KubeletHas{'' if kind == pressure else 'No'}"
                                             f"{kind}")
                  for kind in ("MemoryPressure", "DiskPressure", "PIDPressure")]
    conditions.append(k8s.V1NodeCondition(type="Ready", status="True", reason="KubeletReady",
                                          message="kubelet is posting ready status"))
    taints = [k8s.V1Taint(key="node.kubernetes.io/disk-pressure", effect="NoSchedule")] \
        if pressure == "DiskPressure" else None
    return k8s.V1Node(
        api_version="v1", kind="Node",
        metadata=k8s.V1ObjectMeta(name=name, uid=f"uid-{name}", creation_timestamp=STARTED,
                                  labels={"node-role.kubernetes.io/worker": ""}),
        spec=k8s.V1NodeSpec(unschedulable=cordoned or None, taints=taints),
        status=k8s.V1NodeStatus(
            conditions=conditions, capacity={"cpu": "8", "ephemeral-storage": "100Gi"},
            allocatable={"cpu": "7910m", "ephemeral-storage": "4Gi"},
            node_info=k8s.V1NodeSystemInfo(
                kubelet_version="v1.30.2", architecture="amd64", boot_id="b",
                container_runtime_version="containerd://1.7", kernel_version="6.1",
                kube_proxy_version="v1.30.2", machine_id="m", operating_system="linux",
                os_image="Debian", system_uuid="s")))


def _owned(kind: str, name: str, uid: str, group: str = "batch/v1") -> list[k8s.V1OwnerReference]:
    return [k8s.V1OwnerReference(api_version=group, kind=kind, name=name, uid=uid,
                                 controller=True)]


def _job(name: str, status: str, cronjob: str | None = None, *,
         created: int = 0) -> k8s.V1Job:
    conditions = [k8s.V1JobCondition(
        type=status, status="True", reason="BackoffLimitExceeded" if status == "Failed" else None,
        message="Job has reached the specified backoff limit" if status == "Failed" else None,
        last_transition_time=STARTED)] if status in ("Failed", "Complete") else None
    return k8s.V1Job(
        api_version="batch/v1", kind="Job",
        metadata=k8s.V1ObjectMeta(
            name=name, namespace="batch", uid=f"uid-{name}",
            creation_timestamp=STARTED.replace(minute=created),
            owner_references=_owned("CronJob", cronjob, f"uid-{cronjob}") if cronjob else None),
        spec=k8s.V1JobSpec(template=k8s.V1PodTemplateSpec(spec=k8s.V1PodSpec(
            containers=[k8s.V1Container(name="run", image="tally:1")]))),
        status=k8s.V1JobStatus(failed=3 if status == "Failed" else None,
                               succeeded=1 if status == "Complete" else None,
                               active=1 if status == "Running" else None,
                               start_time=STARTED, conditions=conditions))


def _job_pod(job: str, suffix: str, exit_code: int) -> k8s.V1Pod:
    return k8s.V1Pod(
        api_version="v1", kind="Pod",
        metadata=k8s.V1ObjectMeta(name=f"{job}-{suffix}", namespace="batch",
                                  uid=f"uid-{job}-{suffix}",
                                  owner_references=_owned("Job", job, f"uid-{job}")),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="run", image="tally:1")],
                           node_name="node-disk"),
        status=k8s.V1PodStatus(phase="Failed", container_statuses=[k8s.V1ContainerStatus(
            name="run", image="tally:1", image_id="i", ready=False, restart_count=0,
            state=k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
                exit_code=exit_code, reason="Error")))]))


def seed_batch(standin: K8sStandin) -> None:
    standin.add_namespace("batch")
    standin.put(NODES, _node("node-disk", pressure="DiskPressure"))
    standin.put(NODES, _node("node-calm"))
    standin.put(CRONJOBS, k8s.V1CronJob(
        api_version="batch/v1", kind="CronJob",
        metadata=k8s.V1ObjectMeta(name="tally", namespace="batch", uid="uid-tally"),
        spec=k8s.V1CronJobSpec(schedule="15 3 * * *", job_template=k8s.V1JobTemplateSpec()),
        status=k8s.V1CronJobStatus(last_schedule_time=STARTED)))
    standin.put(JOBS, _job("tally-100", "Complete", "tally", created=1))
    standin.put(JOBS, _job("tally-200", "Failed", "tally", created=2))
    standin.put(JOBS, _job("reindex", "Running"))
    standin.put(PODS, _job_pod("tally-200", "a1b2c", 7))
    standin.put(PODS, _job_pod("tally-200", "d3e4f", 7))
    standin.put(PVCS, k8s.V1PersistentVolumeClaim(
        api_version="v1", kind="PersistentVolumeClaim",
        metadata=k8s.V1ObjectMeta(name="ledger", namespace="batch"),
        spec=k8s.V1PersistentVolumeClaimSpec(access_modes=["ReadWriteOnce"],
                                             storage_class_name="gp3", volume_name="pvc-1"),
        status=k8s.V1PersistentVolumeClaimStatus(phase="Bound", capacity={"storage": "8Gi"})))


@pytest.fixture
def standin() -> Iterator[K8sStandin]:
    with K8sStandin() as running:
        seed_shop(running)
        seed_batch(running)
        yield running


@pytest.fixture
def objects(standin: K8sStandin) -> KubernetesObjects:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    tools = KubernetesTools(Cluster(k8s.ApiClient(standin.configuration()), 5.0), clock)
    return KubernetesObjects(tools, clock)


def _a_checkout_pod(standin: K8sStandin) -> str:
    return next(p["metadata"]["name"] for p in standin.items(PODS, "shop")
                if p["metadata"]["name"].startswith("checkout-"))


def _writes(standin: K8sStandin) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.path, r.query) for r in standin.requests
            if r.method in ("PATCH", "DELETE")]


# --- pods --------------------------------------------------------------------------------


def test_describe_pod_reads_states_owner_deployment_and_events(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    pod = _a_checkout_pod(standin)
    data = objects.describe_pod(PodArgs(namespace="shop", pod=pod)).json_data()
    assert data is not None and data["deployment"] == "checkout"
    assert data["owner"].startswith("ReplicaSet/checkout-") and data["reason"] == "CrashLoopBackOff"
    (container,) = data["containers"]
    assert (container["state"], container["reason"]) == ("waiting", "CrashLoopBackOff")
    assert (container["last_termination_reason"], container["last_exit_code"]) == ("Error", 2)
    assert data["events"] == []
    listed = [r for r in standin.requests if r.path.endswith("/events")]
    assert listed[-1].query["fieldSelector"] == f"involvedObject.kind=Pod,involvedObject.name={pod}"


def test_delete_pod_previews_server_side_then_the_replica_set_replaces_it(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    pod = _a_checkout_pod(standin)
    preview = objects.delete_pod(PodArgs(namespace="shop", pod=pod), dry_run=True)
    assert "dryRun=All" in preview.render() and standin.get(PODS, "shop", pod)
    change = objects.delete_pod(PodArgs(namespace="shop", pod=pod), dry_run=False)
    assert change.changed.replaced_by == "Deployment/checkout"  # type: ignore[attr-defined]
    (dry, real) = [r for r in standin.requests if r.method == "DELETE"]
    assert dry.query == {"dryRun": "All"} and real.query == {}
    assert real.body["preconditions"]["resourceVersion"]
    names = [p["metadata"]["name"] for p in standin.items(PODS, "shop")
             if p["metadata"]["name"].startswith("checkout-")]
    assert pod not in names and len(names) == 3


def test_a_pod_changed_since_it_was_read_is_a_409_and_stays(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    pod = _a_checkout_pod(standin)
    standin.before_write = lambda s: s.touch_object(PODS, "shop", pod)
    with pytest.raises(ToolFailure, match="conflict while deleting pod") as caught:
        objects.delete_pod(PodArgs(namespace="shop", pod=pod), dry_run=False)
    assert caught.value.transient and standin.get(PODS, "shop", pod)


def test_a_forbidden_delete_is_permanent_and_quotes_rbac(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    standin.forbid("delete", "pods", "shop")
    with pytest.raises(ToolFailure, match='cannot delete resource "pods"') as caught:
        objects.delete_pod(PodArgs(namespace="shop", pod=_a_checkout_pod(standin)),
                           dry_run=True)
    assert not caught.value.transient


def test_a_missing_pod_names_the_pods_there_are(objects: KubernetesObjects) -> None:
    with pytest.raises(ToolFailure, match=r"pod shop/gone not found; pods in shop: cart-"):
        objects.describe_pod(PodArgs(namespace="shop", pod="gone"))


def test_a_pod_without_a_controller_is_not_deleted(standin: K8sStandin,
                                                    objects: KubernetesObjects) -> None:
    standin.put(PODS, k8s.V1Pod(api_version="v1", kind="Pod",
                                metadata=k8s.V1ObjectMeta(name="debug", namespace="shop"),
                                spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="sh")])))
    with pytest.raises(ToolFailure, match="no controller"):
        objects.delete_pod(PodArgs(namespace="shop", pod="debug"), dry_run=True)
    assert not _writes(standin)


# --- nodes -------------------------------------------------------------------------------


def test_list_nodes_reports_pressure_roles_and_pods(standin: K8sStandin,
                                                    objects: KubernetesObjects) -> None:
    data = objects.list_nodes().json_data()
    assert data is not None
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["node-disk"]["pressure"] == ["DiskPressure"]
    assert nodes["node-disk"]["roles"] == ["worker"] and nodes["node-disk"]["pods"] == 2
    assert nodes["node-calm"]["kubelet_version"] == "v1.30.2"


def test_describe_node_lists_taints_allocatable_and_pods(objects: KubernetesObjects) -> None:
    data = objects.describe_node(NodeArgs(node="node-disk")).json_data()
    assert data is not None
    assert data["taints"] == [{"key": "node.kubernetes.io/disk-pressure", "value": None,
                               "effect": "NoSchedule"}]
    assert data["allocatable"]["ephemeral-storage"] == "4Gi"
    assert sorted(p["name"] for p in data["pods"]) == ["tally-200-a1b2c", "tally-200-d3e4f"]


def test_a_missing_node_names_the_nodes(objects: KubernetesObjects) -> None:
    with pytest.raises(ToolFailure, match="node nope not found; nodes: node-calm, node-disk"):
        objects.describe_node(NodeArgs(node="nope"))


def test_cordon_dry_run_then_real_then_uncordon(standin: K8sStandin,
                                                objects: KubernetesObjects) -> None:
    objects.cordon(NodeArgs(node="node-disk"), True, dry_run=True)
    assert not standin.get(NODES, "", "node-disk")["spec"].get("unschedulable")
    change = objects.cordon(NodeArgs(node="node-disk"), True, dry_run=False)
    assert change.changed.unschedulable.after is True  # type: ignore[attr-defined]
    assert standin.get(NODES, "", "node-disk")["spec"]["unschedulable"] is True
    objects.cordon(NodeArgs(node="node-disk"), False, dry_run=False)
    assert "unschedulable" not in standin.get(NODES, "", "node-disk")["spec"]
    patches = [r for r in standin.requests if r.method == "PATCH"]
    assert [r.content_type for r in patches] == ["application/merge-patch+json"] * 3
    assert patches[1].body["spec"] == {"unschedulable": True}
    assert patches[1].body["metadata"]["resourceVersion"]
    unchanged = objects.cordon(NodeArgs(node="node-disk"), False, dry_run=True)
    assert unchanged.unchanged == "node node-disk is not cordoned: uncordon would change nothing"
    assert len([r for r in standin.requests if r.method == "PATCH"]) == 3


def test_a_cordon_retried_after_its_answer_was_lost_succeeds_without_a_second_patch(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    standin.fault(Fault(path="/api/v1/nodes/node-calm", method="PATCH", status=504,
                        body=b"upstream timed out", content_type="text/plain", applied=True))
    with pytest.raises(ToolFailure) as lost:
        objects.cordon(NodeArgs(node="node-calm"), True, dry_run=False)
    assert lost.value.transient
    assert standin.get(NODES, "", "node-calm")["spec"]["unschedulable"] is True
    retried = objects.cordon(NodeArgs(node="node-calm"), True, dry_run=False)
    assert retried.render() == ("cordon node node-calm: it is already cordoned, as asked; "
                                "nothing changed")
    assert retried.changed.unschedulable.after is True  # type: ignore[attr-defined]
    assert retried.changed.unschedulable.before is True  # type: ignore[attr-defined]
    assert len([r for r in standin.requests if r.method == "PATCH"]) == 1


def test_a_node_changed_since_it_was_read_is_a_409(standin: K8sStandin,
                                                   objects: KubernetesObjects) -> None:
    standin.before_write = lambda s: s.touch_object(NODES, "", "node-calm")
    with pytest.raises(ToolFailure, match="conflict while patching node node-calm"):
        objects.cordon(NodeArgs(node="node-calm"), True, dry_run=False)
    assert not standin.get(NODES, "", "node-calm")["spec"].get("unschedulable")


def test_cordon_without_the_cluster_role_is_a_403(standin: K8sStandin,
                                                  objects: KubernetesObjects) -> None:
    standin.forbid("patch", "nodes")
    with pytest.raises(ToolFailure, match='cannot patch resource "nodes"'):
        objects.cordon(NodeArgs(node="node-calm"), True, dry_run=True)


def test_credentials_that_may_not_list_nodes_leave_the_inventory_without_nodes(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    assert {n.name: len(n.pods) for n in objects.node_infos()} == {"node-calm": 0,
                                                                   "node-disk": 2}
    standin.forbid("list", "nodes")
    assert objects.node_infos() == []


# --- Jobs and CronJobs -------------------------------------------------------------------


def test_describe_job_reads_the_failure_and_its_pods(objects: KubernetesObjects) -> None:
    data = objects.describe_job(JobArgs(namespace="batch", job="tally-200")).json_data()
    assert data is not None
    assert (data["status"], data["reason"], data["cronjob"]) == (
        "Failed", "BackoffLimitExceeded", "tally")
    assert {(p["name"], p["exit_code"]) for p in data["pods"]} == {
        ("tally-200-a1b2c", 7), ("tally-200-d3e4f", 7)}


def test_list_cronjobs_orders_runs_and_reports_the_last(objects: KubernetesObjects) -> None:
    data = objects.list_cronjobs(ListCronJobsArgs(namespace="batch")).json_data()
    assert data is not None
    (tally,) = data["cronjobs"]
    assert tally["jobs"] == ["tally-100", "tally-200"] and tally["last_job_status"] == "Failed"


def test_suspend_and_resume_patch_the_flag(standin: K8sStandin,
                                           objects: KubernetesObjects) -> None:
    args = CronJobArgs(namespace="batch", cronjob="tally")
    objects.suspend(args, True, dry_run=True)
    assert not standin.get(CRONJOBS, "batch", "tally")["spec"].get("suspend")
    objects.suspend(args, True, dry_run=False)
    assert standin.get(CRONJOBS, "batch", "tally")["spec"]["suspend"] is True
    assert objects.suspend(args, True, dry_run=True).unchanged == (
        "cronjob batch/tally is already suspended: suspend would change nothing")
    objects.suspend(args, False, dry_run=False)
    assert standin.get(CRONJOBS, "batch", "tally")["spec"]["suspend"] is False


def test_a_suspend_retried_after_its_answer_was_lost_succeeds_without_a_second_patch(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    args = CronJobArgs(namespace="batch", cronjob="tally")
    standin.fault(Fault(path="/cronjobs/tally", method="PATCH", status=504,
                        body=b"upstream timed out", content_type="text/plain", applied=True))
    with pytest.raises(ToolFailure) as lost:
        objects.suspend(args, True, dry_run=False)
    assert lost.value.transient
    retried = objects.suspend(args, True, dry_run=False)
    assert retried.render() == ("suspend cronjob batch/tally: it is already suspended, as "
                                "asked; nothing changed")
    assert standin.get(CRONJOBS, "batch", "tally")["spec"]["suspend"] is True
    assert len([r for r in standin.requests if r.method == "PATCH"]) == 1


def test_a_cronjob_changed_since_it_was_read_is_a_409(standin: K8sStandin,
                                                      objects: KubernetesObjects) -> None:
    standin.before_write = lambda s: s.touch_object(CRONJOBS, "batch", "tally")
    with pytest.raises(ToolFailure, match="conflict while patching cronjob batch/tally"):
        objects.suspend(CronJobArgs(namespace="batch", cronjob="tally"), True, dry_run=False)


def test_a_missing_cronjob_names_the_cronjobs(objects: KubernetesObjects) -> None:
    with pytest.raises(ToolFailure, match="cronjob batch/nightly not found; cronjobs in "
                                          "batch: tally"):
        objects.suspend(CronJobArgs(namespace="batch", cronjob="nightly"), True, dry_run=True)


def test_delete_failed_job_takes_its_pods_in_the_background(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    args = JobArgs(namespace="batch", job="tally-200")
    objects.delete_failed_job(args, dry_run=True)
    assert standin.get(JOBS, "batch", "tally-200")
    change = objects.delete_failed_job(args, dry_run=False)
    assert change.changed.pods_deleted == [  # type: ignore[attr-defined]
        "tally-200-a1b2c", "tally-200-d3e4f"]
    real = [r for r in standin.requests if r.method == "DELETE"][-1]
    assert real.body["propagationPolicy"] == "Background"
    assert not [p for p in standin.items(PODS, "batch")]
    with pytest.raises(ToolFailure, match="job batch/tally-200 not found"):
        objects.describe_job(args)


@pytest.mark.parametrize(("job", "status"), [("tally-100", "Complete"), ("reindex", "Running")])
def test_a_job_that_did_not_fail_is_refused_before_any_write(
        standin: K8sStandin, objects: KubernetesObjects, job: str, status: str) -> None:
    with pytest.raises(ToolFailure, match=f"is {status}, not Failed"):
        objects.delete_failed_job(JobArgs(namespace="batch", job=job), dry_run=False)
    assert not _writes(standin)


def test_deleting_jobs_without_the_grant_is_a_403(standin: K8sStandin,
                                                  objects: KubernetesObjects) -> None:
    standin.forbid("delete", "jobs", "batch")
    with pytest.raises(ToolFailure, match='cannot delete resource "jobs" in API group "batch"'):
        objects.delete_failed_job(JobArgs(namespace="batch", job="tally-200"), dry_run=True)


def test_a_job_changed_since_it_was_read_is_a_409(standin: K8sStandin,
                                                  objects: KubernetesObjects) -> None:
    standin.before_write = lambda s: s.touch_object(JOBS, "batch", "tally-200")
    with pytest.raises(ToolFailure, match="conflict while deleting job batch/tally-200"):
        objects.delete_failed_job(JobArgs(namespace="batch", job="tally-200"), dry_run=False)
    assert standin.get(JOBS, "batch", "tally-200")


# --- volume claims -----------------------------------------------------------------------


def test_volume_claims_capacity_and_missing_usage_says_why(
        objects: KubernetesObjects) -> None:
    (claim,) = objects.volume_claims("batch")
    assert (claim.capacity_bytes, claim.storage_class, claim.phase) == (8 * 2**30, "gp3",
                                                                        "Bound")
    listed = with_usage("batch", [claim], None, "Prometheus is unreachable")
    assert listed.usage_note == "Prometheus is unreachable" and listed.claims[0].used_bytes is None


def test_no_object_tool_reads_secrets(standin: K8sStandin, objects: KubernetesObjects) -> None:
    objects.describe_pod(PodArgs(namespace="shop", pod=_a_checkout_pod(standin)))
    objects.list_nodes()
    objects.describe_job(JobArgs(namespace="batch", job="tally-200"))
    objects.list_cronjobs(ListCronJobsArgs(namespace="batch"))
    objects.volume_claims("batch")
    assert not [p for p in standin.paths() if "secrets" in p]


def test_a_claim_answered_without_its_spec_is_a_malformed_response(
        standin: K8sStandin, objects: KubernetesObjects) -> None:
    standin.put(PVCS, k8s.V1PersistentVolumeClaim(
        api_version="v1", kind="PersistentVolumeClaim",
        metadata=k8s.V1ObjectMeta(name="scratch", namespace="batch")))
    with pytest.raises(ToolFailure, match="a V1PersistentVolumeClaim without a spec"):
        objects.volume_claims("batch")
