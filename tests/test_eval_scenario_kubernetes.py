"""Every scenario's workloads loaded into the Kubernetes API stand-in read back, through the
real backend's KubernetesTools over the official client, as the sandbox serves them at the
scenario's now: pods, logs, deployments, rollout history and the inventory compare as data.

Where the real backend says more than the sandbox (fields only a real API has), the shared
keys are compared and the extra ones checked for what they must be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from k8s_scenario import kubernetes_tools, load_world
from k8s_standin import DEPLOYMENTS, ApiError, K8sStandin

from tools.backend import ToolFailure
from tools.catalog import (
    DeploymentArgs,
    GetPodLogsArgs,
    ListPodsArgs,
    RollbackDeploymentArgs,
)
from tools.job_tools import JobArgs, ListCronJobsArgs
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.objects import KubernetesObjects
from tools.node_tools import ListNodesArgs, NodeArgs
from tools.pod_tools import PodArgs
from tools.sandbox import SandboxBackend
from tools.sandbox.cluster_reads import object_events
from tools.sandbox.scenario import DEFAULT_SCENARIO_DIR
from tools.sandbox.world import World
from tools.volume_tools import ListVolumeClaimsArgs
from tools.workload_logs import GetWorkloadLogsArgs
from tools.workload_reads import ListEventsArgs

SCENARIOS = sorted(p.stem for p in DEFAULT_SCENARIO_DIR.glob("*.yaml"))
# What the real backend says of a revision when Kubernetes shows nothing against it.
_NO_EVIDENCE = re.compile(r"superseded with no failure recorded|all \d+ pods ready")
# What it says of a revision with a pod that is not ready.
_UNREADY_EVIDENCE = re.compile(r"below minimum availability|\d+/\d+ pods ready")


@dataclass(frozen=True)
class Loaded:
    sandbox: SandboxBackend
    kube: KubernetesTools

    def deployments(self) -> list[DeploymentArgs]:
        return [DeploymentArgs(namespace=d.namespace, deployment=d.name,
                               kind=d.kind)  # type: ignore[arg-type]
                for d in self.sandbox.inventory().deployments]


@pytest.fixture(scope="module", params=SCENARIOS)
def loaded(request: pytest.FixtureRequest) -> Iterator[Loaded]:
    """One stand-in per scenario, shared by its read-only tests."""
    sandbox = SandboxBackend.load(request.param)
    with K8sStandin() as standin:
        load_world(standin, sandbox)
        kube = kubernetes_tools(standin, sandbox.now)
        yield Loaded(sandbox, kube)
        kube.cluster.close()


def _by_name(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API lists pods by name; the sandbox in the order its world holds them."""
    return sorted(pods, key=lambda p: p["name"])


def test_list_pods_per_namespace_and_per_deployment_reads_back_as_the_sandbox_lists_them(
        loaded: Loaded) -> None:
    namespaces = sorted({d.namespace for d in loaded.deployments()})
    for args in [ListPodsArgs(namespace=n) for n in namespaces] + [
            ListPodsArgs(namespace=d.namespace, deployment=d.deployment, kind=d.kind)
            for d in loaded.deployments()]:
        sandbox = loaded.sandbox.list_pods(args).json_data()["pods"]
        real = loaded.kube.list_pods(args).json_data()["pods"]
        assert sandbox, args
        assert real == _by_name(sandbox), args


def test_every_pods_logs_and_previous_logs_read_back_as_the_sandbox_serves_them(
        loaded: Loaded) -> None:
    world = World.model_validate(loaded.sandbox.state())
    for dep in world.deployments:
        for pod in dep.pods:
            for previous in (False, True):
                for tail in (1, 50, 5000):
                    args = GetPodLogsArgs(namespace=dep.namespace, pod=pod.name,
                                          previous=previous, tail=tail)
                    try:
                        sandbox = loaded.sandbox.get_pod_logs(args).json_data()
                    except ToolFailure as missing:
                        # No previous container: both refuse, the real one quoting the API.
                        with pytest.raises(ToolFailure) as refused:
                            loaded.kube.get_pod_logs(args)
                        assert str(missing) in str(refused.value), args
                        continue
                    real = loaded.kube.get_pod_logs(args).json_data()
                    # Only the real backend names the container it read (the default one).
                    assert real.pop("container") == dep.container, args
                    assert real == sandbox, args
            # A container the pod lacks: both refuse in the API server's words.
            elsewhere = GetPodLogsArgs(namespace=dep.namespace, pod=pod.name,
                                       container=f"not-{dep.container}")
            with pytest.raises(ToolFailure) as sandbox_refused:
                loaded.sandbox.get_pod_logs(elsewhere)
            with pytest.raises(ToolFailure) as real_refused:
                loaded.kube.get_pod_logs(elsewhere)
            assert str(sandbox_refused.value) in str(real_refused.value)


def _same_logs(sandbox: dict[str, Any], real: dict[str, Any]) -> None:
    """Equal, except that the real backend's per-pod errors quote the API around the
    sandbox's words."""
    real_pods, sandbox_pods = real.pop("pods"), sandbox.pop("pods")
    assert real == sandbox
    assert len(real_pods) == len(sandbox_pods)
    for mine, theirs in zip(sandbox_pods, real_pods, strict=True):
        assert mine.pop("error", "") in theirs.pop("error", "")
        assert theirs == mine


def test_workload_logs_by_workload_and_by_selector_read_back_as_the_sandbox_serves_them(
        loaded: Loaded) -> None:
    for ref in loaded.deployments():
        service = loaded.sandbox.describe_deployment(ref).json_data()["service"]
        for previous in (False, True):
            for args in (
                    GetWorkloadLogsArgs(namespace=ref.namespace, deployment=ref.deployment,
                                        kind=ref.kind, previous=previous, tail=3),
                    GetWorkloadLogsArgs(namespace=ref.namespace, previous=previous,
                                        selector=f"app.kubernetes.io/name={service}")):
                _same_logs(loaded.sandbox.get_workload_logs(args).json_data(),
                           loaded.kube.get_workload_logs(args).json_data())


def test_describe_deployment_reads_back_as_the_sandbox_describes_it(loaded: Loaded) -> None:
    world = World.model_validate(loaded.sandbox.state())
    for args in loaded.deployments():
        sandbox = loaded.sandbox.describe_deployment(args).json_data()
        real = loaded.kube.describe_deployment(args).json_data()
        assert {k: real[k] for k in sandbox} == sandbox, args
        # Only a real API has these: the pod template's containers, a Deployment's paused
        # flag and events; the sandbox records no events, so none were loaded.
        paused = {"paused"} if args.kind == "Deployment" else set()
        assert set(real) - set(sandbox) == {"containers", "events"} | paused
        assert [c["image"] for c in real["containers"]] == [sandbox["image"]]
        assert real["containers"][0]["memory_limit_mib"] == sandbox["memory_limit_mib"]
        assert real.get("paused", False) is False
        assert real["events"] == [e.model_dump() for e in object_events(
            world, args.namespace, args.kind, args.deployment)]


def test_pods_events_and_a_namespaces_events_read_back_as_the_sandbox_has_them(
        loaded: Loaded) -> None:
    world = World.model_validate(loaded.sandbox.state())
    kube = KubernetesObjects(loaded.kube, loaded.sandbox.now)
    pods = [(d.namespace, p.name) for d in world.deployments for p in d.pods]
    pods += [(c.namespace, p.name) for c in world.cronjobs for j in c.jobs for p in j.pods]
    for namespace, pod in pods:
        args = PodArgs(namespace=namespace, pod=pod)
        assert kube.describe_pod(args).json_data()["events"] == loaded.sandbox.describe_pod(
            args).json_data()["events"], pod
    for namespace in sorted({e.namespace for e in world.events}):
        events = ListEventsArgs(namespace=namespace)
        assert loaded.kube.list_events(events).json_data() == loaded.sandbox.list_events(
            events).json_data()


def test_rollout_history_reads_back_and_judges_health_only_from_what_kubernetes_shows(
        loaded: Loaded) -> None:
    for args in loaded.deployments():
        sandbox = loaded.sandbox.rollout_history(args).json_data()["revisions"]
        real = loaded.kube.rollout_history(args).json_data()["revisions"]
        pods = loaded.sandbox.list_pods(ListPodsArgs(
            namespace=args.namespace, deployment=args.deployment,
            kind=args.kind)).json_data()["pods"]
        assert [r["revision"] for r in real] == [r["revision"] for r in sandbox], args
        for mine, theirs in zip(sandbox, real, strict=True):
            shared = set(mine) - {"healthy"}
            assert {k: theirs[k] for k in shared} == {k: mine[k] for k in shared}, args
            # Kubernetes keeps no verdict on a revision: the real backend judges the current
            # one from its pods and conditions and an old one from what a rollback leaves
            # behind. It can miss what the cluster does not show (errors while every pod is
            # ready, an old revision replaced by a forward fix), never invent a failure. A
            # healthy revision with one wedged pod shows that pod unready: evidence, which
            # the real backend reads as the revision's and the sandbox knows is the pod's.
            unready = sum(not p["ready"] for p in pods if p["revision"] == mine["revision"])
            if theirs["healthy"] != mine["healthy"]:
                shown = unready and _UNREADY_EVIDENCE.fullmatch(theirs["health"])
                assert shown or (theirs["healthy"]
                                 and _NO_EVIDENCE.fullmatch(theirs["health"])), (args, theirs)
            # A ReplicaSet names its pods; a StatefulSet's or DaemonSet's pods are named by
            # the workload, and their revision was read from their own label.
            assert args.kind != "Deployment" or all(
                p["name"].startswith(f"{theirs['replica_set']}-") for p in pods
                if p["revision"] == theirs["revision"]), (args, theirs)


def test_the_inventorys_deployments_equal_the_sandboxs(loaded: Loaded) -> None:
    # RealBackend.inventory's deployments are these; the API lists them in namespace and
    # name order and the pods by name, the sandbox in its world's order.
    sandbox = sorted((d.model_copy(update={"pods": tuple(sorted(d.pods))})
                      for d in loaded.sandbox.inventory().deployments),
                     key=lambda d: (d.namespace, d.name))
    assert loaded.kube.deployment_infos() == sandbox


# --- the loaded objects behave like the API's own -----------------------------------


def test_a_rollback_on_a_loaded_world_goes_through_the_stand_ins_controller() -> None:
    sandbox = SandboxBackend.load("checkout-bad-deploy")
    checkout = DeploymentArgs(namespace="shop", deployment="checkout")
    with K8sStandin() as standin:
        load_world(standin, sandbox)
        kube = kubernetes_tools(standin, sandbox.now)
        before = kube.rollout_history(checkout).json_data()["revisions"]
        change = kube.rollback(RollbackDeploymentArgs(**checkout.model_dump()), dry_run=False)
        after = kube.rollout_history(checkout).json_data()["revisions"]
        kube.cluster.close()
    assert change.output().json_data()["changed"]["revision"] == {"from": 42, "to": 41}
    # Like kubectl's undo: revision 41's ReplicaSet is re-used as revision 43.
    assert [(r["revision"], r["current"], r["health"]) for r in after][-2:] == [
        (42, False, "rolled back from"), (43, True, "all 3 pods ready")]
    assert after[-1]["replica_set"] == next(
        r["replica_set"] for r in before if r["revision"] == 41)


def test_stored_objects_get_the_apis_not_found_and_already_exists_refusals() -> None:
    sandbox = SandboxBackend.load("noisy-disk-alert")
    with K8sStandin() as standin:
        load_world(standin, sandbox)
        deployment = standin.get(DEPLOYMENTS, "batch", "report-renderer")
        with pytest.raises(ApiError) as exists:
            standin.put(DEPLOYMENTS, deployment)
        assert (exists.value.code, exists.value.reason) == (409, "AlreadyExists")
        deployment["metadata"]["namespace"] = "nowhere"
        with pytest.raises(ApiError) as missing:
            standin.put(DEPLOYMENTS, deployment)
        assert (missing.value.code, missing.value.message) == (
            404, 'namespaces "nowhere" not found')


def test_a_finished_pod_is_refused_by_name_rather_than_given_made_up_terminations() -> None:
    state = SandboxBackend.load("noisy-disk-alert").state()
    state["deployments"][0]["pods"][0]["phase"] = "Succeeded"
    with K8sStandin() as standin, pytest.raises(ValueError) as refused:
        load_world(standin, SandboxBackend.from_state(state))
    assert str(refused.value).startswith("pod batch/report-renderer-69db7-9wqfx: phase "
                                         "Succeeded cannot be loaded")


def test_nodes_jobs_and_volume_claims_read_back_as_the_sandbox_has_them(
        loaded: Loaded) -> None:
    kube = KubernetesObjects(loaded.kube, loaded.sandbox.now)
    world = World.model_validate(loaded.sandbox.state())
    listed = loaded.sandbox.list_nodes(ListNodesArgs()).json_data()["nodes"]
    # The scenario format keeps no roles label, version or age the real node list derives.
    derived = {"roles", "kubelet_version", "age"}
    assert [{k: v for k, v in n.items() if k not in derived}
            for n in kube.list_nodes().json_data()["nodes"]] == [
        {k: v for k, v in n.items() if k not in derived}
        for n in sorted(listed, key=lambda n: n["name"])]
    for node in world.nodes:
        mine = loaded.sandbox.describe_node(NodeArgs(node=node.name)).json_data()
        theirs = kube.describe_node(NodeArgs(node=node.name)).json_data()
        mine.pop("kubelet_version")
        theirs.pop("kubelet_version", None)
        assert theirs == {**mine, "pods": sorted(mine["pods"],
                                                 key=lambda p: (p["namespace"], p["name"]))}
    jobs = [(c.namespace, j.name) for c in world.cronjobs for j in c.jobs]
    for namespace, name in jobs + [(j.namespace, j.name) for j in world.jobs]:
        args = JobArgs(namespace=namespace, job=name)
        assert kube.describe_job(args).json_data() == loaded.sandbox.describe_job(
            args).json_data()
    for namespace in sorted({c.namespace for c in world.cronjobs}):
        args = ListCronJobsArgs(namespace=namespace)
        theirs = kube.list_cronjobs(args).json_data()
        mine = loaded.sandbox.list_cronjobs(args).json_data()
        assert theirs == {**mine, "cronjobs": sorted(mine["cronjobs"], key=lambda c: c["name"])}
    for namespace in sorted({v.namespace for v in world.volume_claims}):
        usage = {"used_bytes", "used_fraction"}
        mine = loaded.sandbox.list_pvcs(ListVolumeClaimsArgs(namespace=namespace)).json_data()
        assert [c.model_dump(exclude=usage, exclude_unset=True)
                for c in kube.volume_claims(namespace)] == [
            {k: v for k, v in c.items() if k not in usage}
            for c in sorted(mine["claims"], key=lambda c: c["name"])]


def test_the_inventorys_jobs_and_cronjobs_equal_the_sandboxs(loaded: Loaded) -> None:
    # The API lists them in namespace and name order, each Job's pods by name.
    jobs, cronjobs = KubernetesObjects(loaded.kube, loaded.sandbox.now).batch_infos()
    inventory = loaded.sandbox.inventory()

    def ordered(infos: Any) -> list[Any]:
        return sorted(infos, key=lambda i: (i.namespace, i.name))

    assert ordered(jobs) == ordered(j.model_copy(update={"pods": tuple(sorted(j.pods))})
                                    for j in inventory.jobs)
    assert ordered(cronjobs) == ordered(inventory.cronjobs)


def test_a_job_pods_readiness_is_one_answer_in_its_description_node_and_pod_list(
        loaded: Loaded) -> None:
    kube = KubernetesObjects(loaded.kube, loaded.sandbox.now)
    world = World.model_validate(loaded.sandbox.state())
    runs = [(c.namespace, j) for c in world.cronjobs for j in c.jobs]
    for namespace, job in runs + [(j.namespace, j) for j in world.jobs]:
        listed = {p["name"]: p["ready"] for p in loaded.sandbox.list_pods(
            ListPodsArgs(namespace=namespace)).json_data()["pods"]}
        for pod in job.pods:
            args = PodArgs(namespace=namespace, pod=pod.name)
            said = {
                "description": loaded.sandbox.describe_pod(args).json_data()["ready"],
                "stand-in description": kube.describe_pod(args).json_data()["ready"],
                "pod list": listed[pod.name],
            }
            if pod.node is not None:
                for backend, described in (("sandbox", loaded.sandbox), ("stand-in", kube)):
                    on_node = described.describe_node(NodeArgs(node=pod.node)).json_data()
                    said[f"{backend} node"] = next(
                        p["ready"] for p in on_node["pods"] if p["name"] == pod.name)
            assert set(said.values()) == {pod.phase == "Running"}, (namespace, pod.name, said)
