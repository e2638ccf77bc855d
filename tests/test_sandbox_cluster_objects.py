"""Pods, nodes, Jobs/CronJobs and volume claims in the sandbox: what the reads report,
what each mutation previews and then does, and the scenario format's new parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.models import ToolCall
from tools.backend import AlreadyInPlace, ToolFailure, preview_call, run_tool
from tools.catalog import get_tool
from tools.sandbox import SandboxBackend, load_scenario

SCENARIO = """\
name: harbor-ops
description: two nodes, one tired; a search deployment; batch jobs; an index volume
environment: prod
clock:
  start: 2026-05-04T08:00:00Z
services:
  - {name: quay-search, slo_target: 0.99, error_budget: {remaining: 0.5}}
nodes:
  - {name: node-a, pressure: [MemoryPressure], roles: [worker]}
  - {name: node-b, roles: [worker]}
  - {name: node-c, ready: "Unknown"}
deployments:
  - namespace: harbor
    name: quay-search
    service: quay-search
    replicas: 2
    current_revision: 3
    startup_minutes: 2
    history:
      - {revision: 3, image: "quay-search:3", change: third, healthy: true,
         pod_template_hash: 8b7c6}
    pods:
      - {name: quay-search-8b7c6-aaaaa, node: node-a, ready: false,
         last_termination_reason: Error}
      - {name: quay-search-8b7c6-bbbbb, node: node-b, restarts: 1,
         last_termination_reason: Error}
cronjobs:
  - namespace: harbor
    name: tide-tables
    schedule: "0 * * * *"
    jobs:
      - {name: tide-tables-100, status: Complete, succeeded: 1}
      - {name: tide-tables-160, status: Failed, failed: 2, reason: BackoffLimitExceeded,
         container: tides, image: "tides:9",
         pods: [{name: tide-tables-160-zz9x1, phase: Failed, reason: Error, exit_code: 4,
                 node: node-b, logs: ["tides: loading harbour gauges",
                                      "tides: gauge feed answered 403"]}]}
      - {name: tide-tables-220, status: Running, active: 1}
volume_claims:
  - {namespace: harbor, name: search-index, capacity: 10Gi}
  - {namespace: harbor, name: scratch, capacity: 1Gi}
metrics:
  - name: kubelet_volume_stats_used_bytes
    labels: {namespace: harbor, persistentvolumeclaim: search-index}
    unit: bytes
    points: [[2026-05-04T07:00:00Z, 8589934592], [2026-05-04T08:00:00Z, 9663676416]]
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "harbor-ops.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture
def sandbox(scenario_file: Path) -> SandboxBackend:
    return SandboxBackend.load(scenario_file)


def _run(backend: SandboxBackend, tool: str, **args: object) -> dict:
    data = run_tool(backend, ToolCall(tool=tool, args=args)).json_data()
    assert data is not None
    return data


def test_list_nodes_reports_readiness_pressure_and_pods(sandbox: SandboxBackend) -> None:
    nodes = {n["name"]: n for n in _run(sandbox, "list_nodes")["nodes"]}
    assert nodes["node-a"]["pressure"] == ["MemoryPressure"]
    assert nodes["node-a"]["pods"] == 1
    assert nodes["node-c"]["ready"] == "Unknown"
    spec = get_tool("list_nodes")
    signs = spec.trouble(spec.read_output(_run(sandbox, "list_nodes")))  # type: ignore[misc]
    assert "node-a (MemoryPressure)" in signs[0] and "node-c (NotReady)" in signs[0]


def test_the_worst_node_is_the_one_not_ready(sandbox: SandboxBackend) -> None:
    spec = get_tool("list_nodes")
    output = spec.read_output(_run(sandbox, "list_nodes"))
    assert spec.bindings(output, {}) == {"node": "node-c"}  # type: ignore[misc]


def test_describe_node_shows_conditions_and_its_pods(sandbox: SandboxBackend) -> None:
    node = _run(sandbox, "describe_node", node="node-a")
    pressure = next(c for c in node["conditions"] if c["type"] == "MemoryPressure")
    assert pressure["status"] == "True" and pressure["reason"] == "KubeletHasMemoryPressure"
    assert [p["name"] for p in node["pods"]] == ["quay-search-8b7c6-aaaaa"]
    assert node["allocatable"] == node["capacity"]


def test_a_jobs_pod_counts_among_the_pods_of_its_node(sandbox: SandboxBackend) -> None:
    nodes = {n["name"]: n for n in _run(sandbox, "list_nodes")["nodes"]}
    assert nodes["node-b"]["pods"] == 2
    pods = _run(sandbox, "describe_node", node="node-b")["pods"]
    assert {(p["namespace"], p["name"]) for p in pods} == {
        ("harbor", "quay-search-8b7c6-bbbbb"), ("harbor", "tide-tables-160-zz9x1")}


def test_unknown_node_names_the_nodes_there_are(sandbox: SandboxBackend) -> None:
    with pytest.raises(ToolFailure, match="node-a, node-b, node-c"):
        _run(sandbox, "describe_node", node="node-z")


def test_cordon_previews_without_changing_then_replacements_avoid_the_node(
        sandbox: SandboxBackend) -> None:
    preview = preview_call(sandbox, ToolCall(tool="cordon_node", args={"node": "node-a"}))
    assert "unschedulable False -> True" in preview and "harbor/quay-search-8b7c6-aaaaa" in preview
    assert not _run(sandbox, "describe_node", node="node-a")["unschedulable"]
    out = run_tool(sandbox, ToolCall(tool="cordon_node", args={"node": "node-a"}),
                   approved_by="U1")
    node = _run(sandbox, "describe_node", node="node-a")
    assert node["unschedulable"]
    assert any(t["key"] == "node.kubernetes.io/unschedulable" for t in node["taints"])
    created = _run(sandbox, "delete_pod", namespace="harbor",
                   pod="quay-search-8b7c6-aaaaa")["changed"]["pods_created"]
    assert _run(sandbox, "describe_pod", namespace="harbor", pod=created[0])["node"] == "node-b"
    undo = get_tool("cordon_node").inverse(  # type: ignore[misc]
        get_tool("cordon_node").validate_args({"node": "node-a"}), out.data)
    assert undo == ToolCall(tool="uncordon_node", args={"node": "node-a"})


def test_a_preview_of_cordoning_a_cordoned_node_says_it_changes_nothing(
        sandbox: SandboxBackend) -> None:
    run_tool(sandbox, ToolCall(tool="cordon_node", args={"node": "node-b"}))
    with pytest.raises(ToolFailure, match="already cordoned: cordon would change nothing"):
        preview_call(sandbox, ToolCall(tool="cordon_node", args={"node": "node-b"}))
    with pytest.raises(ToolFailure, match="not cordoned: uncordon would change nothing"):
        preview_call(sandbox, ToolCall(tool="uncordon_node", args={"node": "node-a"}))


@pytest.mark.parametrize(("tool", "node", "state"), [
    ("cordon_node", "node-b", "already cordoned"), ("uncordon_node", "node-a", "not cordoned")])
def test_running_a_cordon_whose_effect_is_in_place_sends_nothing_saying_so(
        sandbox: SandboxBackend, tool: str, node: str, state: str) -> None:
    call = ToolCall(tool=tool, args={"node": node})
    if tool == "cordon_node":
        run_tool(sandbox, call, approved_by="U1")  # the first attempt, its answer lost
    with pytest.raises(AlreadyInPlace) as in_place:
        run_tool(sandbox, call, approved_by="U1")
    out = in_place.value.done
    assert out.text.startswith(f"{tool.removesuffix('_node')} node {node}: it is {state}, "
                               "as asked; nothing changed")
    flag = out.json_data()["changed"]["unschedulable"]  # type: ignore[index]
    assert flag["from"] == flag["to"] == (tool == "cordon_node")
    assert _run(sandbox, "describe_node", node=node)["unschedulable"] == (tool == "cordon_node")
    # Nothing moved here, so there is nothing for a worse verdict to undo.
    spec = get_tool(tool)
    assert spec.inverse(spec.validate_args(call.args), out.data) is None  # type: ignore[misc]


def test_cordon_blast_radius_is_the_pods_on_the_node(sandbox: SandboxBackend) -> None:
    spec = get_tool("cordon_node")
    blast = spec.blast_radius(spec.validate_args({"node": "node-b"}), sandbox.inventory())
    # The search pod and the failed Job's pod: the node's pod list, as a cluster gives it.
    assert blast.pods_affected == 2 and blast.namespaces == ()


def test_deleted_pod_is_replaced_and_the_replacement_becomes_ready(
        sandbox: SandboxBackend) -> None:
    spec = get_tool("delete_pod")
    args = spec.validate_args({"namespace": "harbor", "pod": "quay-search-8b7c6-aaaaa"})
    blast = spec.blast_radius(args, sandbox.inventory())
    assert (blast.pods_affected, blast.service_pods, blast.service) == (1, 2, "quay-search")
    assert spec.watched(args).deployment == "quay-search"
    _run(sandbox, "delete_pod", namespace="harbor", pod="quay-search-8b7c6-aaaaa")
    dep = sandbox.inventory().deployment("harbor", "quay-search")
    assert dep is not None and "quay-search-8b7c6-aaaaa" not in dep.pods
    assert (dep.ready_replicas, dep.replicas) == (1, 2)
    sandbox.advance(3)
    dep = sandbox.inventory().deployment("harbor", "quay-search")
    assert dep is not None and dep.ready_replicas == 2


def test_describe_pod_shows_why_it_is_not_ready(sandbox: SandboxBackend) -> None:
    pod = _run(sandbox, "describe_pod", namespace="harbor", pod="quay-search-8b7c6-aaaaa")
    assert pod["owner"] == "ReplicaSet/quay-search-8b7c6" and not pod["ready"]
    ready = next(c for c in pod["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"


def test_only_a_failed_job_may_be_deleted(sandbox: SandboxBackend) -> None:
    for job, status in (("tide-tables-100", "Complete"), ("tide-tables-220", "Running")):
        with pytest.raises(ToolFailure, match=f"is {status}, not Failed"):
            run_tool(sandbox, ToolCall(tool="delete_failed_job",
                                       args={"namespace": "harbor", "job": job}))
    gone = _run(sandbox, "delete_failed_job", namespace="harbor", job="tide-tables-160")
    assert gone["changed"]["pods_deleted"] == ["tide-tables-160-zz9x1"]
    with pytest.raises(ToolFailure, match="not found; jobs in harbor: tide-tables-100"):
        _run(sandbox, "describe_job", namespace="harbor", job="tide-tables-160")


def test_failed_run_of_a_cronjob_is_bound_for_the_next_steps(sandbox: SandboxBackend) -> None:
    spec = get_tool("list_cronjobs")
    listed = spec.read_output(_run(sandbox, "list_cronjobs", namespace="harbor"))
    assert listed.cronjobs[0].active == 1  # type: ignore[attr-defined]
    # The latest run is still going, so the failed one is not "the last run".
    assert spec.bindings(listed, {}) == {}  # type: ignore[misc]
    job = _run(sandbox, "describe_job", namespace="harbor", job="tide-tables-160")
    assert job["status"] == "Failed" and job["cronjob"] == "tide-tables"


def test_a_failed_job_binds_its_last_failed_pod_for_the_runbook_s_pod_reads(
        sandbox: SandboxBackend) -> None:
    spec = get_tool("describe_job")
    job = spec.read_output(_run(sandbox, "describe_job", namespace="harbor",
                                job="tide-tables-160"))
    assert spec.bindings(job, {}) == {  # type: ignore[misc]
        "job_name": "tide-tables-160", "pod": "tide-tables-160-zz9x1"}
    assert spec.bindings(job, {"pod": "from-the-alert"}) == {  # type: ignore[misc]
        "job_name": "tide-tables-160"}


def test_a_running_job_binds_the_pod_it_runs_for_a_thread_about_it_not_completing() -> None:
    spec = get_tool("describe_job")
    backend = SandboxBackend.load("halden-research-cluster")
    job = spec.read_output(_run(backend, "describe_job", namespace="climate",
                                job="ensemble-regrid-29936760"))
    assert spec.bindings(job, {}) == {"pod": "ensemble-regrid-29936760-fz6kp"}  # type: ignore[misc]
    done = spec.read_output(_run(backend, "describe_job", namespace="climate",
                                 job="ensemble-regrid-29935320"))
    assert spec.bindings(done, {}) == {}  # type: ignore[misc]


def test_a_job_s_pod_is_described_and_its_logs_read_like_any_pod(
        sandbox: SandboxBackend) -> None:
    pod = _run(sandbox, "describe_pod", namespace="harbor", pod="tide-tables-160-zz9x1")
    assert pod["owner"] == "Job/tide-tables-160" and pod["phase"] == "Failed"
    assert pod["containers"][0]["image"] == "tides:9"
    assert pod["containers"][0]["last_exit_code"] == 4
    logs = _run(sandbox, "get_pod_logs", namespace="harbor", pod="tide-tables-160-zz9x1")
    assert logs["lines"][-1] == "tides: gauge feed answered 403"
    with pytest.raises(ToolFailure, match='previous terminated container "tides"'):
        _run(sandbox, "get_pod_logs", namespace="harbor", pod="tide-tables-160-zz9x1",
             previous=True)
    with pytest.raises(ToolFailure, match="tide-tables-160-zz9x1"):  # listed among the pods
        _run(sandbox, "describe_pod", namespace="harbor", pod="tide-tables-999-aaaaa")


def test_suspend_and_resume_undo_each_other(sandbox: SandboxBackend) -> None:
    args = {"namespace": "harbor", "cronjob": "tide-tables"}
    out = run_tool(sandbox, ToolCall(tool="suspend_cronjob", args=args))
    assert out.json_data()["changed"]["active_jobs"] == ["tide-tables-220"]  # type: ignore[index]
    assert _run(sandbox, "list_cronjobs", namespace="harbor")["cronjobs"][0]["suspended"]
    spec = get_tool("suspend_cronjob")
    undo = spec.inverse(spec.validate_args(args), out.data)  # type: ignore[misc]
    assert undo == ToolCall(tool="resume_cronjob", args=args)
    run_tool(sandbox, undo)
    with pytest.raises(ToolFailure, match="already running on its schedule: resume would "
                                          "change nothing"):
        preview_call(sandbox, undo)


def test_suspending_a_suspended_cronjob_again_sends_nothing_saying_so(
        sandbox: SandboxBackend) -> None:
    call = ToolCall(tool="suspend_cronjob", args={"namespace": "harbor", "cronjob": "tide-tables"})
    run_tool(sandbox, call)  # the first attempt, its answer lost
    with pytest.raises(AlreadyInPlace) as in_place:
        run_tool(sandbox, call)
    again = in_place.value.done
    assert again.text.startswith("suspend cronjob harbor/tide-tables: it is already suspended, "
                                 "as asked; nothing changed")
    changed = again.json_data()["changed"]  # type: ignore[index]
    assert changed["suspended"] == {"from": True, "to": True}
    assert changed["active_jobs"] == ["tide-tables-220"]
    assert _run(sandbox, "list_cronjobs", namespace="harbor")["cronjobs"][0]["suspended"]
    with pytest.raises(ToolFailure, match="already suspended: suspend would change nothing"):
        preview_call(sandbox, call)


def test_volume_usage_comes_from_kubelet_metrics(sandbox: SandboxBackend) -> None:
    listed = _run(sandbox, "list_pvcs", namespace="harbor")
    claims = {c["name"]: c for c in listed["claims"]}
    assert claims["search-index"]["used_fraction"] == 0.9
    assert claims["search-index"]["capacity_bytes"] == 10 * 2**30
    assert claims["scratch"].get("used_bytes") is None
    assert "kubelet_volume_stats_used_bytes" in listed["usage_note"]
    spec = get_tool("list_pvcs")
    assert spec.trouble(spec.read_output(listed)) == [  # type: ignore[misc]
        "volume claims nearly full: search-index 90%"]


def test_a_pod_on_an_undeclared_node_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "harbor-ops.yaml"
    path.write_text(SCENARIO.replace("node: node-b, restarts: 1", "node: node-q, restarts: 1"))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert "node-q" in str(caught.value) and "deployments.0.pods.1.node" in str(caught.value)
    assert f"{path}:" in str(caught.value)


def test_state_survives_a_round_trip(sandbox: SandboxBackend) -> None:
    run_tool(sandbox, ToolCall(tool="cordon_node", args={"node": "node-a"}))
    again = SandboxBackend.from_state(sandbox.state())
    assert _run(again, "describe_node", node="node-a")["unschedulable"]


def test_a_ready_pod_after_an_old_crash_lists_as_running_with_the_crash_kept(
        sandbox: SandboxBackend) -> None:
    rows = {p["name"]: p for p in _run(sandbox, "list_pods", namespace="harbor")["pods"]}
    assert rows["quay-search-8b7c6-bbbbb"]["reason"] is None
    assert rows["quay-search-8b7c6-bbbbb"]["last_termination_reason"] == "Error"
    assert rows["quay-search-8b7c6-aaaaa"]["reason"] == "Error"  # not ready: still explained
