"""The real backend as the engine sees it: opened from environment variables, over the
Kubernetes stand-in, a real Prometheus and a real Alertmanager, answering the catalog in
the sandbox's shapes so runbooks, the planner and the policy facts work unchanged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from k8s_standin import NODES, K8sStandin
from kubernetes import client as k8s
from monitoring_services import post_alert

from assistant.config import REPO_ROOT
from assistant.config.reading import load_config
from assistant.facts import gather_facts
from assistant.models import RetrievalHit, ToolCall
from assistant.planning.entities import link_entities
from assistant.planning.offline import Observation, plan_offline
from assistant.retrieval.loading import load_runbooks
from tools.backend import AlreadyInPlace, ToolFailure, run_tool
from tools.real.backend import INVENTORY_TTL_SECONDS, RealBackend, open_backend
from tools.sandbox import SandboxBackend


def _kubeconfig(path: Path, standin: K8sStandin) -> Path:
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
  - name: standin
    cluster: {{server: "{standin.url}"}}
users:
  - name: opsbot
    user: {{token: {standin.token}}}
contexts:
  - name: standin
    context: {{cluster: standin, user: opsbot}}
current-context: standin
""")
    return path


@pytest.fixture
def env(tmp_path: Path, standin: K8sStandin, prometheus_url: str,
        alertmanager_url: str) -> dict[str, str]:
    return {
        "OPSBOT_BACKEND": "kubernetes",
        "OPSBOT_ENVIRONMENT": "prod",
        "KUBECONFIG": str(_kubeconfig(tmp_path / "kubeconfig", standin)),
        "PROMETHEUS_URL": prometheus_url,
        "ALERTMANAGER_URL": alertmanager_url,
    }


@pytest.fixture
def backend(env: dict[str, str]) -> Iterator[RealBackend]:
    with open_backend(load_config(env).tree.kubernetes) as opened:
        yield opened


def _crashing_pod(backend: RealBackend) -> str:
    checkout = backend.inventory().deployment("shop", "checkout")
    assert checkout is not None
    return checkout.pods[0]


def test_the_inventory_joins_cluster_and_alertmanager(backend: RealBackend,
                                                      alertmanager_url: str) -> None:
    pod = _crashing_pod(backend)
    post_alert(alertmanager_url, "KubePodCrashLooping",
               {"namespace": "shop", "pod": pod, "severity": "warning"}, "Pod is crash looping.")
    inventory = backend.inventory()
    assert inventory.environment == "prod"
    assert inventory.services == ("cart", "checkout")
    checkout = inventory.deployment("shop", "checkout")
    assert checkout is not None
    assert (checkout.replicas, checkout.ready_replicas, checkout.revision) == (3, 0, 42)
    [alert] = [a for a in inventory.alerts if a.labels.get("pod") == pod]
    assert alert.name == "KubePodCrashLooping" and alert.state == "firing"
    assert "alertname" not in alert.labels


def _keys(value: Any) -> Any:
    """The shape of a tool's data: dict keys, and the shape of list items."""
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items() if isinstance(v, (dict, list))} | {
            k: None for k, v in value.items() if not isinstance(v, (dict, list))}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_keys(value[0])]
    return None


def _covers(real: Any, sandbox: Any, where: str) -> None:
    if isinstance(sandbox, dict):
        assert isinstance(real, dict), where
        missing = set(sandbox) - set(real)
        assert not missing, f"{where}: missing {sorted(missing)}"
        for key, shape in sandbox.items():
            if shape is not None and key not in ("labels", "annotations"):
                _covers(real[key], shape, f"{where}.{key}")
    elif isinstance(sandbox, list) and sandbox:
        assert isinstance(real, list) and real, f"{where}: no items to compare"
        _covers(real[0], sandbox[0], f"{where}[]")


def test_every_read_only_tool_answers_in_the_sandbox_shape(
        backend: RealBackend, alertmanager_url: str) -> None:
    sandbox = SandboxBackend.load("checkout-bad-deploy")
    sandbox_checkout = sandbox.inventory().deployment("shop", "checkout")
    assert sandbox_checkout is not None
    sandbox_pod = sandbox_checkout.pods[0]
    pod = _crashing_pod(backend)
    post_alert(alertmanager_url, "KubePodCrashLooping",
               {"namespace": "shop", "pod": pod, "severity": "warning"}, "Pod is crash looping.")
    calls = [
        ("list_pods", {"namespace": "shop", "deployment": "checkout"}),
        ("describe_deployment", {"namespace": "shop", "deployment": "checkout"}),
        ("rollout_history", {"namespace": "shop", "deployment": "checkout"}),
        ("query_metrics", {"query": 'http_requests_error_ratio{service="checkout"}',
                           "minutes": 60}),
        ("list_alerts", {"namespace": "shop"}),
        ("get_error_budget", {"service": "checkout"}),
    ]
    for tool, args in calls:
        real = run_tool(backend, ToolCall(tool=tool, args=args))
        expected = run_tool(sandbox, ToolCall(tool=tool, args=args))
        _covers(_keys(real.json_data()), _keys(expected.json_data()), tool)
    logs = {"namespace": "shop", "previous": True}
    real = run_tool(backend, ToolCall(tool="get_pod_logs", args={**logs, "pod": pod}))
    expected = run_tool(sandbox, ToolCall(tool="get_pod_logs", args={**logs, "pod": sandbox_pod}))
    _covers(_keys(real.json_data()), _keys(expected.json_data()), "get_pod_logs")


def test_the_crashloop_runbook_runs_unchanged_and_its_rollback_heals(
        backend: RealBackend) -> None:
    pod = _crashing_pod(backend)
    [book] = load_runbooks([REPO_ROOT / "runbooks" / "k8s-crashloop-after-deploy.md"]).runbooks
    inventory = backend.inventory()
    linking = link_entities("why does checkout keep restarting?",
                            {"alertname": "KubePodCrashLooping", "namespace": "shop",
                             "pod": pod}, inventory)

    def run_read_only(call: ToolCall) -> Observation:
        out = run_tool(backend, call)
        return Observation(call=call, ok=True, text=out.text, data=out.json_data())

    hit = RetrievalHit(runbook_id=book.id, title=book.title, score=1.0, path=book.path)
    plan = plan_offline(linking, [hit], {book.id: book}, inventory, run_read_only)
    # The runbook's reads, in its order; then what the troubled pods call for next (their
    # descriptions and previous logs), which the real backend serves as the sandbox does.
    tools = [o.call.tool for o in plan.observations]
    assert tools[:4] == ["list_pods", "get_pod_logs", "rollout_history", "describe_deployment"]
    assert set(tools[4:]) <= {"describe_pod", "get_pod_logs"} and all(
        o.ok for o in plan.observations)
    assert "nil pointer" in plan.observations[1].text
    [candidate] = plan.candidates
    assert candidate.call.args == {"namespace": "shop", "deployment": "checkout",
                                   "revision": 41}
    preview = backend.preview(candidate.call)
    assert preview.startswith("rollback shop/checkout: revision 42 -> 41")
    assert "dryRun=All" in preview
    unchanged = backend.inventory().deployment("shop", "checkout")
    assert unchanged is not None and unchanged.revision == 42
    run_tool(backend, candidate.call)
    healed = backend.inventory().deployment("shop", "checkout")
    assert healed is not None and healed.ready_replicas == 3 and healed.revision == 43


def test_a_cordon_already_in_place_is_refused_as_a_preview_and_sends_nothing_as_a_run(
        backend: RealBackend, standin: K8sStandin) -> None:
    standin.put(NODES, k8s.V1Node(api_version="v1", kind="Node",
                                  metadata=k8s.V1ObjectMeta(name="node-1", uid="uid-node-1"),
                                  spec=k8s.V1NodeSpec(unschedulable=True)))
    call = ToolCall(tool="cordon_node", args={"node": "node-1"})
    with pytest.raises(ToolFailure, match="already cordoned: cordon would change nothing"):
        backend.preview(call)
    with pytest.raises(AlreadyInPlace) as in_place:
        run_tool(backend, call)
    assert in_place.value.done.text == ("cordon node node-1: it is already cordoned, as "
                                        "asked; nothing changed")
    assert not [r for r in standin.requests if r.method == "PATCH"]


class _NoHistory:
    def count_mutations(self, service: str, since: datetime) -> int:
        return 0

    def in_flight(self, resource_key: str) -> bool:
        return False


def test_policy_facts_come_from_live_counts_and_the_prometheus_budget(
        backend: RealBackend) -> None:
    call = ToolCall(tool="scale_deployment",
                    args={"namespace": "shop", "deployment": "checkout", "replicas": 6})
    facts = gather_facts(backend, _NoHistory(), timedelta(hours=1), call)
    blast = facts.blast_radius
    assert (blast.service, blast.replicas_before, blast.replicas_after,
            blast.pods_affected) == ("checkout", 3, 6, 3)
    assert facts.error_budget is not None
    assert facts.error_budget.remaining == pytest.approx(0.41)
    assert facts.error_budget.slo_target == pytest.approx(0.999)
    assert facts.environment == "prod"


def test_a_silence_through_the_catalog_suppresses_the_alert_until_expired(
        backend: RealBackend, alertmanager_url: str) -> None:
    labels = {"namespace": "ops", "mountpoint": "/mnt/scratch", "severity": "warning"}
    post_alert(alertmanager_url, "NodeFilesystemAlmostFull", labels, "Disk almost full.")
    call = ToolCall(tool="silence_alert", args={
        "alertname": "NodeFilesystemAlmostFull", "matchers": {"mountpoint": "/mnt/scratch"},
        "duration_minutes": 90, "comment": "scratch disk, cleaned nightly"})
    preview = backend.preview(call)
    assert "NodeFilesystemAlmostFull{mountpoint=/mnt/scratch, namespace=ops, " \
           "severity=warning} (firing -> silenced)" in preview
    assert "by the approver" in preview
    out = run_tool(backend, call, approved_by="U01ALICE")
    silence_id = out.json_data()["changed"]["silence_id"]
    [silence] = [s for s in backend.silences() if s.id == silence_id]
    assert silence.created_by == "U01ALICE" and silence.comment == "scratch disk, cleaned nightly"
    assert timedelta(minutes=89) < silence.ends_at - silence.starts_at <= timedelta(minutes=90)

    def state() -> str:
        shown = run_tool(backend, ToolCall(tool="list_alerts", args={
            "namespace": "ops", "include_silenced": True})).json_data()["alerts"]
        return next(a["state"] for a in shown if a["name"] == "NodeFilesystemAlmostFull")

    _eventually(lambda: state() == "silenced")
    backend.expire_silence(silence_id)
    _eventually(lambda: state() == "firing")


def test_a_silence_without_an_approver_is_created_by_the_configured_author(
        env: dict[str, str]) -> None:
    author = load_config({**env, "OPSBOT_SILENCE_AUTHOR": "opsbot-prod"}).tree.kubernetes
    with open_backend(author) as backend:
        out = run_tool(backend, ToolCall(tool="silence_alert", args={
            "alertname": "NodeFilesystemAlmostFull", "matchers": {"mountpoint": "/mnt/other"}}))
        silence_id = out.json_data()["changed"]["silence_id"]
        [silence] = [s for s in backend.silences() if s.id == silence_id]
        assert silence.created_by == "opsbot-prod"
        backend.expire_silence(silence_id)


def _eventually(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.1)


def test_without_alertmanager_alerts_come_from_prometheus_and_silences_fail_clearly(
        env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "ALERTMANAGER_URL"}
    with open_backend(load_config(env).tree.kubernetes) as backend:
        def firing() -> list[dict[str, Any]]:
            return run_tool(backend, ToolCall(tool="list_alerts", args={})).json_data()["alerts"]

        _eventually(lambda: bool(firing()))
        assert [a["name"] for a in firing()] == ["CheckoutErrorRateHigh"]
        call = ToolCall(tool="silence_alert", args={"alertname": "CheckoutErrorRateHigh"})
        with pytest.raises(ToolFailure, match="set ALERTMANAGER_URL"):
            run_tool(backend, call)
        with pytest.raises(ToolFailure, match="set ALERTMANAGER_URL"):
            backend.preview(call)


def test_a_service_without_budget_data_names_the_query(backend: RealBackend) -> None:
    assert backend.error_budget("ghost") is None
    with pytest.raises(ToolFailure) as failed:
        run_tool(backend, ToolCall(tool="get_error_budget", args={"service": "ghost"}))
    assert 'slo:error_budget_remaining:ratio{service="ghost"}' in str(failed.value)


def _deployment_lists(standin: K8sStandin) -> int:
    return sum(1 for path in standin.paths() if path.endswith("/deployments"))


def test_workloads_are_reused_briefly_and_dropped_by_any_change_or_wait(
        backend: RealBackend, standin: K8sStandin, alertmanager_url: str) -> None:
    ticks = [100.0]
    backend._monotonic = lambda: ticks[0]
    backend.inventory()
    post_alert(alertmanager_url, "CacheProbe", {"namespace": "shop"}, "posted just now")
    second = backend.inventory()  # one question reads it several times
    assert _deployment_lists(standin) == 1
    assert "CacheProbe" in {a.name for a in second.alerts}  # alerts are always fresh
    ticks[0] += INVENTORY_TTL_SECONDS
    backend.inventory()  # too old: read again
    assert _deployment_lists(standin) == 2
    run_tool(backend, ToolCall(tool="scale_deployment",
                               args={"namespace": "shop", "deployment": "cart", "replicas": 3}),
             approved_by="U01ALICE")
    cart = backend.inventory().deployment("shop", "cart")
    assert cart is not None and cart.replicas == 3  # the change is seen at once
    backend.wait(0)
    backend.inventory()
    assert _deployment_lists(standin) == 4
