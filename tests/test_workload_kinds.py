"""StatefulSets and DaemonSets behind the deployment tools, plus events and autoscalers:
args, command forms, entity linking, runbook steps and the sandbox backend."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from assistant.answer import quote
from assistant.errors import InputError
from assistant.models import DeploymentInfo, Inventory, ToolCall
from assistant.planning.entities import link_entities
from assistant.retrieval.commands import derive_steps, find_commands
from tools.backend import ToolFailure, run_tool
from tools.catalog import CATALOG
from tools.sandbox import SandboxBackend, Scenario, load_scenario

WORLD = "ledger-journal-stuck-rollout"
JOURNAL = {"namespace": "ledger", "deployment": "journal-store", "kind": "StatefulSet"}
FORWARDER = {"namespace": "telemetry", "deployment": "log-forwarder", "kind": "DaemonSet"}


@cache
def _scenario() -> Scenario:
    return load_scenario(WORLD)


def ledger() -> SandboxBackend:
    return SandboxBackend.from_scenario(_scenario())


def run(backend: SandboxBackend, tool: str, **args: Any) -> Any:
    return run_tool(backend, ToolCall(tool=tool, args=args))


# --- args ------------------------------------------------------------------------------


def test_a_daemonset_cannot_be_scaled_and_the_error_says_why() -> None:
    with pytest.raises(ValidationError) as info:
        CATALOG["scale_deployment"].validate_args({**FORWARDER, "replicas": 0})
    assert "DaemonSet telemetry/log-forwarder cannot be scaled" in str(info.value)
    assert "one pod on each eligible node" in str(info.value)


def test_calls_without_a_kind_still_mean_a_deployment() -> None:
    args = CATALOG["rollback_deployment"].validate_args(
        {"namespace": "shop", "deployment": "checkout"})
    assert args.kind == "Deployment"  # type: ignore[attr-defined]
    assert CATALOG["rollback_deployment"].resource_of(args) == "shop/deployment/checkout"


def test_a_statefulset_and_a_deployment_of_one_name_are_different_resources() -> None:
    spec = CATALOG["restart_deployment"]
    same_name = {"namespace": "ledger", "deployment": "journal-store"}
    assert spec.resource_of(spec.validate_args(same_name)) != spec.resource_of(
        spec.validate_args({**same_name, "kind": "StatefulSet"}))


def test_an_unknown_workload_kind_is_refused() -> None:
    with pytest.raises(ValidationError):
        CATALOG["describe_deployment"].validate_args({**JOURNAL, "kind": "ReplicaSet"})


def test_blast_radius_reads_the_workload_of_the_named_kind() -> None:
    inventory = Inventory(environment="prod", deployments=(
        DeploymentInfo(namespace="ledger", name="journal-store", service="journal-api",
                       replicas=9, ready_replicas=9),
        DeploymentInfo(namespace="ledger", name="journal-store", kind="StatefulSet",
                       service="journal-store", replicas=3, ready_replicas=2),
    ))
    spec = CATALOG["restart_deployment"]
    radius = spec.blast_radius(spec.validate_args(JOURNAL), inventory)
    assert (radius.pods_affected, radius.service, radius.workload_kind) == (
        3, "journal-store", "StatefulSet")


# --- command forms ---------------------------------------------------------------------


def _steps(command: str) -> list[tuple[str, dict[str, Any]]]:
    steps, _manual = derive_steps(find_commands(f"```\n{command}\n```"), CATALOG.values())
    return [(s.tool, s.args) for s in steps]


@pytest.mark.parametrize(("command", "tool", "args"), [
    ("kubectl -n ledger describe sts journal-store", "describe_deployment",
     {"namespace": "ledger", "deployment": "journal-store", "kind": "StatefulSet"}),
    ("kubectl describe daemonset $DAEMONSET -n $NAMESPACE", "describe_deployment",
     {"namespace": "{namespace}", "deployment": "{daemonset}", "kind": "DaemonSet"}),
    ("kubectl rollout history statefulset/journal-store -n ledger", "rollout_history",
     {"namespace": "ledger", "deployment": "journal-store", "kind": "StatefulSet"}),
    # A change keeps only what the thread binds: {daemonset} binds only in a thread about
    # a DaemonSet, whose kind the step's ``complete`` hook then adds.
    ("kubectl -n $NAMESPACE rollout undo ds $DAEMONSET", "rollback_deployment",
     {"namespace": "{namespace}", "deployment": "{daemonset}"}),
    ("kubectl rollout restart statefulset <statefulset> -n <namespace>", "restart_deployment",
     {"namespace": "{namespace}", "deployment": "{statefulset}"}),
    ("kubectl get events -n ledger", "list_events", {"namespace": "ledger"}),
    ("kubectl get ev --field-selector involvedObject.kind=Node", "list_events",
     {"namespace": "{namespace}", "kind": "Node"}),
    ("kubectl -n ledger get events --field-selector=involvedObject.name=journal-store-2,"
     "type=Warning", "list_events",
     {"namespace": "ledger", "name": "journal-store-2", "warnings_only": True}),
    ("kubectl -n ledger get hpa", "list_hpas", {"namespace": "ledger"}),
    ("kubectl -n ledger describe hpa journal-api", "list_hpas",
     {"namespace": "ledger", "name": "journal-api"}),
])
def test_workload_event_and_autoscaler_commands_map_to_their_tools(
        command: str, tool: str, args: dict[str, Any]) -> None:
    assert _steps(command) == [(tool, args)]


@pytest.mark.parametrize("command", [
    "kubectl -n $NAMESPACE scale daemonset $DAEMONSET --replicas=$REPLICAS",
    "kubectl get events --all-namespaces",
    "kubectl -n ledger get events --field-selector=type!=Normal",
    "kubectl -n ledger get events --field-selector=source=kubelet",
])
def test_commands_a_workload_tool_cannot_express_stay_text(command: str) -> None:
    assert _steps(command) == []


# --- linking and runbook steps ---------------------------------------------------------


def test_an_alert_about_a_statefulset_links_it_with_its_kind() -> None:
    inventory = ledger().inventory()
    linking = link_entities("is the journal ok?", {
        "alertname": "KubeStatefulSetUpdateNotRolledOut", "namespace": "ledger",
        "statefulset": "journal-store"}, inventory)
    bound = linking.entities.bindings()
    assert (bound["deployment"], bound["kind"], bound["statefulset"]) == (
        "journal-store", "StatefulSet", "journal-store")


def test_a_deployment_thread_binds_no_kind() -> None:
    linking = link_entities("is journal-api slow?", None, ledger().inventory())
    assert linking.entities.deployment == "journal-api"
    assert "kind" not in linking.entities.bindings()


def test_a_deployment_runbook_step_targets_the_threads_statefulset() -> None:
    bound = {"namespace": "ledger", "deployment": "journal-store", "kind": "StatefulSet"}
    complete = CATALOG["rollout_history"].complete
    assert complete is not None
    step = {"namespace": "ledger", "deployment": "journal-store"}
    assert complete(step, bound) == {**step, "kind": "StatefulSet"}
    other = {"namespace": "ledger", "deployment": "journal-api"}
    assert complete(other, bound) == other
    explicit = {**step, "kind": "Deployment"}
    assert complete(explicit, bound) == explicit


def test_the_scale_remedy_is_never_drafted_for_a_daemonset() -> None:
    draft = CATALOG["scale_deployment"].draft
    assert draft is not None
    assert draft({**FORWARDER, "replicas": 4}) is None
    assert draft({**JOURNAL, "replicas": 3}) == {**JOURNAL, "replicas": 6}


# --- the sandbox -----------------------------------------------------------------------


def test_describe_names_the_kind_and_reports_a_halted_statefulset_rollout() -> None:
    out = run(ledger(), "describe_deployment", **JOURNAL)
    data = out.json_data()
    assert data["kind"] == "StatefulSet" and data["conditions"] == []
    assert "1 of 3 pods on revision 12, 0 of them ready (halted)" in out.text


def test_an_answer_quotes_the_replicas_a_statefulset_is_short_of() -> None:
    # Its change note ("... timeout") would otherwise be the only line quoted.
    world = _scenario().model_copy(deep=True)
    store = next(d for d in world.deployments if d.name == "journal-store")
    history = tuple(r.model_copy(update={"change": "Shorter election timeout"})
                    for r in store.history)
    backend = SandboxBackend.from_scenario(world.model_copy(update={"deployments": tuple(
        d.model_copy(update={"history": history}) if d is store else d
        for d in world.deployments)}))
    quoted = quote(run(backend, "describe_deployment", **JOURNAL).text)
    assert any("3 desired | 2 ready | 3 pods | 1 unavailable" in line for line in quoted)


def test_a_deployment_description_keeps_its_shape() -> None:
    data = run(ledger(), "describe_deployment", namespace="ledger",
               deployment="journal-api").json_data()
    assert "kind" not in data
    assert {c["type"] for c in data["conditions"]} == {"Available", "Progressing"}


def test_the_wrong_kind_fails_naming_the_kind_that_exists() -> None:
    with pytest.raises(ToolFailure, match="journal-store is a StatefulSet: pass kind="):
        run(ledger(), "rollout_history", namespace="ledger", deployment="journal-store")


def test_rolling_back_a_statefulset_keeps_its_ordinal_pod_names() -> None:
    backend = ledger()
    out = run(backend, "rollback_deployment", **JOURNAL, revision=11)
    change = out.json_data()["changed"]
    assert change["revision"] == {"from": 12, "to": 11}
    assert change["pods_created"] == ["journal-store-0", "journal-store-1", "journal-store-2"]
    backend.advance(5)
    pods = run(backend, "list_pods", **JOURNAL).json_data()["pods"]
    assert [(p["name"], p["revision"], p["ready"]) for p in pods] == [
        ("journal-store-0", 11, True), ("journal-store-1", 11, True),
        ("journal-store-2", 11, True)]


def test_scaling_a_statefulset_adds_and_removes_the_highest_ordinals() -> None:
    backend = ledger()
    grown = run(backend, "scale_deployment", **JOURNAL, replicas=5).json_data()["changed"]
    assert grown["pods_created"] == ["journal-store-3", "journal-store-4"]
    shrunk = run(backend, "scale_deployment", **JOURNAL, replicas=2).json_data()["changed"]
    assert shrunk["pods_removed"] == ["journal-store-2", "journal-store-3", "journal-store-4"]


def test_restarting_a_daemonset_replaces_every_pod_without_a_template_hash() -> None:
    backend = ledger()
    preview = backend.preview(ToolCall(tool="restart_deployment", args=FORWARDER))
    assert preview.startswith("rolling restart of DaemonSet telemetry/log-forwarder: 4 pods")
    created = run(backend, "restart_deployment", **FORWARDER).json_data()["changed"]
    assert len(created["pods_created"]) == 4
    assert all(len(name.split("-")) == 3 for name in created["pods_created"])


def test_events_filter_by_object_reason_and_type() -> None:
    backend = ledger()
    everything = run(backend, "list_events", namespace="ledger").json_data()["events"]
    assert len(everything) == 4
    about_pod = run(backend, "list_events", namespace="ledger", kind="Pod",
                    name="journal-store-2").json_data()["events"]
    assert {e["reason"] for e in about_pod} == {"BackOff", "Unhealthy"}
    scheduling = run(backend, "list_events", namespace="ledger",
                     reason="FailedScheduling").json_data()["events"]
    assert [e["object_name"] for e in scheduling] == ["ledger-reconcile-28650420-qv7mz"]
    warnings = run(backend, "list_events", namespace="ledger", warnings_only=True)
    assert "SuccessfulDelete" not in warnings.text


def test_warning_events_are_a_sign_of_trouble() -> None:
    spec = CATALOG["list_events"]
    out = run(ledger(), "list_events", namespace="ledger", kind="Pod", name="journal-store-2")
    assert spec.trouble is not None
    assert spec.trouble(spec.read_output(out.json_data())) == [
        "warning events: BackOff x31, Unhealthy x12"]


def test_an_autoscaler_reports_current_desired_min_and_max() -> None:
    hpa = run(ledger(), "list_hpas", namespace="ledger").json_data()["hpas"][0]
    assert hpa == hpa | {"target_kind": "Deployment", "target_name": "journal-api",
                         "min_replicas": 3, "max_replicas": 8, "current_replicas": 4,
                         "desired_replicas": 4, "limited": False}


def test_an_unknown_autoscaler_fails_naming_the_ones_there() -> None:
    with pytest.raises(ToolFailure, match="in ledger: journal-api"):
        run(ledger(), "list_hpas", namespace="ledger", name="journal-store")


# --- scenario format -------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> InputError:
    text = (Path(__file__).parent.parent / "evals" / "scenarios" / f"{WORLD}.yaml").read_text()
    assert old in text
    path = tmp_path / f"{WORLD}.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return info.value


def test_an_autoscaler_over_a_missing_workload_names_its_line(tmp_path: Path) -> None:
    err = _broken(tmp_path, "target: journal-api,", "target: journal-apy,")
    assert err.field == "hpas.0.target" and "Deployment ledger/journal-apy not found" in err.message
    assert err.line is not None


def test_an_event_in_an_unknown_namespace_is_refused(tmp_path: Path) -> None:
    err = _broken(tmp_path, "{namespace: telemetry, kind: Pod",
                  "{namespace: telemetri, kind: Pod")
    assert err.field == "events.4.namespace" and "telemetri" in err.message


def test_a_statefulsets_signals_are_read_by_its_own_label() -> None:
    evidence = CATALOG["query_metrics"].evidence
    assert evidence is not None
    journal = [e["query"] for e in evidence(
        {"namespace": "ledger", "deployment": "journal-store", "kind": "StatefulSet"})]
    assert any('statefulset="journal-store"' in q for q in journal)
    assert not any("deployment=" in q for q in journal)
    api = [e["query"] for e in evidence({"namespace": "ledger", "deployment": "journal-api"})]
    assert any('deployment="journal-api"' in q for q in api)
    assert not any("statefulset=" in q for q in api)


def test_a_runbook_query_by_deployment_label_reads_the_threads_statefulset() -> None:
    complete = CATALOG["query_metrics"].complete
    assert complete is not None
    step = {"query": 'kube_pod_container_status_restarts_total{namespace="ledger", '
                     'deployment="journal-store"}', "minutes": 60}
    query = complete(step, JOURNAL)["query"]
    assert query == ('kube_pod_container_status_restarts_total{namespace="ledger", '
                     'statefulset="journal-store"}')
    assert run(ledger(), "query_metrics", query=query, minutes=60).data.series
    other = {"query": 'http_requests_per_second{deployment="journal-api"}', "minutes": 60}
    assert complete(other, JOURNAL) == other
    assert complete(step, {"namespace": "ledger", "deployment": "journal-store"}) == step


@pytest.mark.parametrize("backend", ["tools.sandbox:SandboxBackend",
                                     "tools.real.backend:RealBackend",
                                     "tools.real.monitored_sandbox:MonitoredSandbox"])
def test_every_backend_class_implements_every_built_in_tool(backend: str) -> None:
    import importlib

    from tools.catalog import BUILT_IN_TOOLS

    module, name = backend.split(":")
    cls = getattr(importlib.import_module(module), name)
    assert not {t for t in BUILT_IN_TOOLS if not callable(getattr(cls, t, None))}


def test_verification_watches_the_kind_the_call_names_when_two_workloads_share_a_name(
) -> None:
    from assistant.verification import snapshot
    from tools.catalog import get_tool

    inventory = Inventory(environment="prod", deployments=(
        DeploymentInfo(namespace="vault", name="ledger", service="ledger", replicas=4,
                       ready_replicas=4, pods=(), revision=3),
        DeploymentInfo(namespace="vault", name="ledger", kind="StatefulSet", service="ledger",
                       replicas=3, ready_replicas=1, pods=(), revision=7),
    ))
    spec = get_tool("rollback_deployment")
    for kind, ready, desired in (("StatefulSet", 1, 3), ("Deployment", 4, 4)):
        watch = spec.watched(spec.validate_args(
            {"namespace": "vault", "deployment": "ledger", "kind": kind}))
        seen = snapshot(inventory, watch)
        assert (seen.ready, seen.desired) == (ready, desired), kind
