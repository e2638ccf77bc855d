"""Each catalog tool on the sandbox: the data shapes the planner reads, readable text, and
failures that say what does exist."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from assistant.models import ToolCall
from tools.backend import ToolFailure, run_tool
from tools.catalog import BUILT_IN_TOOLS, CATALOG
from tools.sandbox import SandboxBackend, Scenario, load_scenario
from tools.sandbox.selector import parse_selector


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(name)


def checkout() -> SandboxBackend:
    return SandboxBackend.from_scenario(scenario("checkout-bad-deploy"))


def run(backend: SandboxBackend, tool: str, **args: Any) -> Any:
    return run_tool(backend, ToolCall(tool=tool, args=args))


def test_the_backend_implements_every_built_in_tool() -> None:
    # Plugin tools bring their own implementations per backend kind (tools.plugins).
    backend = checkout()
    assert all(callable(getattr(backend, name, None)) for name in BUILT_IN_TOOLS)


def test_list_pods_shape_and_status() -> None:
    out = run(checkout(), "list_pods", namespace="shop", deployment="checkout")
    pods = out.json_data()["pods"]
    assert len(pods) == 3
    for pod in pods:
        assert {"name", "phase", "ready", "restarts", "reason", "deployment"} <= pod.keys()
        assert isinstance(pod["ready"], bool) and isinstance(pod["restarts"], int)
        assert pod["deployment"] == "checkout"
    crashing = next(p for p in pods if p["name"] == "checkout-6f7c9-x2k4q")
    assert crashing == crashing | {"ready": False, "reason": "CrashLoopBackOff", "restarts": 7}
    assert "CrashLoopBackOff" in out.text and "7 (2m ago)" in out.text


def test_list_pods_of_a_namespace_covers_every_deployment() -> None:
    pods = run(checkout(), "list_pods", namespace="shop").json_data()["pods"]
    assert {p["deployment"] for p in pods} == {"checkout", "checkout-worker", "cart", "frontend"}


def test_pod_logs_are_raw_because_redaction_happens_later() -> None:
    out = run(checkout(), "get_pod_logs", namespace="shop", pod="checkout-6f7c9-x2k4q", tail=500)
    assert out.json_data()["pod"] == "checkout-6f7c9-x2k4q"
    joined = "\n".join(out.json_data()["lines"])
    assert "postgres://checkout:hunter2@db.shop:5432/orders" in joined
    assert "Authorization: Bearer eyJ" in joined
    assert "SYSTEM NOTE TO AI ASSISTANT" in joined
    assert "hunter2" in out.text


def test_pod_logs_tail_and_previous_container() -> None:
    backend = checkout()
    tail = run(backend, "get_pod_logs", namespace="shop", pod="checkout-6f7c9-p8w2n", tail=2)
    assert len(tail.json_data()["lines"]) == 2
    previous = run(backend, "get_pod_logs", namespace="shop", pod="checkout-6f7c9-p8w2n",
                   previous=True)
    assert any("nil pointer dereference" in line for line in previous.json_data()["lines"])
    healthy = backend.inventory().deployment("shop", "cart")
    assert healthy is not None
    with pytest.raises(ToolFailure, match="previous terminated container"):
        run(backend, "get_pod_logs", namespace="shop", pod=healthy.pods[0], previous=True)


def test_pod_logs_of_a_named_container_are_its_workloads_one_container() -> None:
    backend = checkout()
    pod = "checkout-6f7c9-p8w2n"
    named = run(backend, "get_pod_logs", namespace="shop", pod=pod, container="checkout")
    assert named.json_data() == run(backend, "get_pod_logs", namespace="shop",
                                    pod=pod).json_data()
    with pytest.raises(ToolFailure, match=f"^container proxy is not valid for pod {pod}$"):
        run(backend, "get_pod_logs", namespace="shop", pod=pod, container="proxy")


def test_describe_deployment_shape() -> None:
    described = run(checkout(), "describe_deployment", namespace="shop", deployment="checkout")
    data = described.json_data()
    assert data | {"namespace": "shop", "name": "checkout", "service": "checkout",
                   "replicas": 3, "ready_replicas": 2, "revision": 42} == data
    assert data["image"].endswith(":2.15.0")
    by_type = {c["type"]: c for c in data["conditions"]}
    assert by_type["Progressing"]["reason"] == "ProgressDeadlineExceeded"
    assert by_type["Available"]["status"] == "False"


def test_rollout_history_shape() -> None:
    revisions = run(checkout(), "rollout_history", namespace="shop",
                    deployment="checkout").json_data()["revisions"]
    assert [r["revision"] for r in revisions] == [39, 40, 41, 42]
    assert [r["revision"] for r in revisions if r["current"]] == [42]
    assert [r["revision"] for r in revisions if r["healthy"]] == [39, 41]
    assert all({"image", "change"} <= r.keys() for r in revisions)


def test_query_metrics_selects_by_labels_and_window() -> None:
    backend = checkout()
    out = run(backend, "query_metrics", query='http_requests_error_ratio{deployment="checkout"}',
              minutes=30)
    (series,) = out.json_data()["series"]
    assert series["labels"]["deployment"] == "checkout" and series["unit"] == "ratio"
    assert len(series["points"]) == 31  # one a minute, both ends included
    time, value = series["points"][-1]
    assert time.startswith("2025-03-11T14:42:00") and value == pytest.approx(0.21)
    everything = run(backend, "query_metrics",
                     query="http_requests_error_ratio").json_data()["series"]
    assert len(everything) == 4
    regex = run(backend, "query_metrics",
                query='http_requests_error_ratio{deployment=~"checkout.*", namespace!="x"}')
    assert {s["labels"]["deployment"] for s in regex.json_data()["series"]} == {
        "checkout", "checkout-worker"}


def test_query_metrics_failures_name_what_is_known() -> None:
    backend = checkout()
    with pytest.raises(ToolFailure, match=r"unknown metric 'http_errors'; known metrics: .*"
                                          r"http_requests_error_ratio"):
        run(backend, "query_metrics", query="http_errors")
    with pytest.raises(ToolFailure, match="unsupported query"):
        run(backend, "query_metrics", query="rate(http_requests_total[5m])")
    empty = run(backend, "query_metrics", query='http_requests_error_ratio{deployment="nope"}')
    assert empty.json_data() == {"series": []} and "no series match" in empty.text


def test_list_alerts_shape_and_filters() -> None:
    backend = checkout()
    alerts = run(backend, "list_alerts").json_data()["alerts"]
    assert {a["name"] for a in alerts} == {"KubePodCrashLooping", "HighErrorRate"}
    for alert in alerts:
        assert {"name", "labels", "state", "since", "severity", "summary"} <= alert.keys()
        assert alert["state"] == "firing"
    assert run(backend, "list_alerts", namespace="payments").json_data() == {"alerts": []}


def test_silenced_alerts_are_listed_only_on_request() -> None:
    noisy = SandboxBackend.from_scenario(scenario("noisy-disk-alert"))
    default = run(noisy, "list_alerts").json_data()["alerts"]
    everything = run(noisy, "list_alerts", include_silenced=True).json_data()["alerts"]
    assert [a["state"] for a in default] == ["firing"]
    assert sorted(a["state"] for a in everything) == ["firing", "silenced"]


def test_error_budget_shape_live_stale_unknown_and_negative() -> None:
    out = run(checkout(), "get_error_budget", service="checkout")
    assert out.json_data() == {"service": "checkout", "slo_target": 0.999, "remaining": 0.41,
                        "as_of": "2025-03-11T14:42:00+00:00"}
    cart = SandboxBackend.from_scenario(scenario("cart-memory-leak"))
    stale = run(cart, "get_error_budget", service="checkout-worker")
    assert stale.json_data()["as_of"] == "2025-04-01T22:00:00+00:00" and "stale" in stale.text
    noisy = SandboxBackend.from_scenario(scenario("noisy-disk-alert"))
    assert run(noisy, "get_error_budget", service="checkout").json_data()["remaining"] is None
    payments = SandboxBackend.from_scenario(scenario("payments-budget-exhausted"))
    budget = payments.error_budget("payments")
    assert budget is not None and budget.remaining == pytest.approx(-0.18)
    assert payments.error_budget("nope") is None


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("list_pods", {"namespace": "shopp"}, "namespace 'shopp' not found; namespaces: "
                                              "payments, shop"),
        ("describe_deployment", {"namespace": "shop", "deployment": "checkot"},
         "deployment shop/checkot not found; deployments in shop: cart, checkout, "
         "checkout-worker, frontend"),
        ("get_pod_logs", {"namespace": "shop", "pod": "checkout-1"},
         "pod shop/checkout-1 not found; pods in shop: .*checkout-6f7c9-x2k4q"),
        ("get_error_budget", {"service": "billing"}, "service 'billing' has no SLO here"),
        ("list_alerts", {"namespace": "billing"}, "namespace 'billing' not found"),
        ("scale_deployment", {"namespace": "shop", "deployment": "api", "replicas": 2},
         "deployment shop/api not found"),
        ("rollback_deployment", {"namespace": "shop", "deployment": "checkout", "revision": 7},
         r"revision 7 is not in the history of shop/checkout \(revisions: 39, 40, 41, 42\)"),
        ("rollback_deployment", {"namespace": "shop", "deployment": "checkout", "revision": 42},
         "already at revision 42"),
        ("rollback_deployment", {"namespace": "shop", "deployment": "frontend"},
         "no healthy revision before 311"),
        ("silence_alert", {"alertname": "A", "matchers": {"alertname": "B"}},
         "matchers name alertname='B' but alertname is 'A'"),
    ],
)
def test_failures_say_what_exists(tool: str, args: dict[str, Any], message: str) -> None:
    backend = checkout()
    before = backend.state()
    with pytest.raises(ToolFailure, match=message):
        run(backend, tool, **args)
    if not CATALOG[tool].read_only:
        with pytest.raises(ToolFailure, match=message):
            backend.preview(ToolCall(tool=tool, args=args))
    assert backend.state() == before


def test_preview_shows_from_to_and_changes_nothing() -> None:
    backend = checkout()
    before = backend.state()
    rollback = backend.preview(ToolCall(tool="rollback_deployment",
                                        args={"namespace": "shop", "deployment": "checkout"}))
    assert "revision 42 -> 41" in rollback
    assert "Revert taxd v2 client" in rollback
    assert "checkout-6f7c9-x2k4q" in rollback
    search = SandboxBackend.from_scenario(scenario("search-traffic-spike"))
    scale = search.preview(ToolCall(tool="scale_deployment", args={
        "namespace": "search", "deployment": "search-api", "replicas": 8}))
    assert "replicas 4 -> 8" in scale and "95% -> 48%" in scale
    noisy = SandboxBackend.from_scenario(scenario("noisy-disk-alert"))
    silence = noisy.preview(ToolCall(tool="silence_alert", args={
        "alertname": "NodeFilesystemSpaceFillingUp", "matchers": {"mountpoint": "/mnt/scratch"},
        "duration_minutes": 90}))
    assert "mountpoint=/mnt/scratch" in silence and "until 2025-06-03T12:50:00Z" in silence
    assert "firing -> silenced" in silence
    restart = backend.preview(ToolCall(tool="restart_deployment",
                                       args={"namespace": "shop", "deployment": "cart"}))
    assert "3 pods restart" in restart
    assert "read-only" in backend.preview(ToolCall(tool="list_pods", args={"namespace": "shop"}))
    assert backend.state() == before


def test_mutating_tools_report_what_changed() -> None:
    backend = checkout()
    out = run(backend, "rollback_deployment", namespace="shop", deployment="checkout")
    changed = out.json_data()["changed"]
    assert changed["revision"] == {"from": 42, "to": 41}
    assert changed["pods_replaced"] == ["checkout-6f7c9-x2k4q", "checkout-6f7c9-p8w2n",
                                        "checkout-6f7c9-hz5mt"]
    assert len(changed["pods_created"]) == 3
    scaled = run(backend, "scale_deployment", namespace="shop", deployment="cart", replicas=5)
    assert scaled.json_data()["changed"]["replicas"] == {"from": 3, "to": 5}


def test_inventory_lists_deployments_alerts_and_services() -> None:
    inventory = checkout().inventory()
    assert inventory.environment == "prod"
    dep = inventory.deployment("shop", "checkout")
    assert dep is not None
    assert (dep.service, dep.replicas, dep.ready_replicas, dep.revision) == ("checkout", 3, 2, 42)
    assert "checkout-6f7c9-x2k4q" in dep.pods
    assert {a.name: a.state for a in inventory.alerts} == {
        "KubePodCrashLooping": "firing", "HighErrorRate": "firing"}
    assert inventory.services == ("cart", "checkout", "checkout-worker", "frontend", "payments")


@pytest.mark.parametrize(
    ("query", "labels", "hit"),
    [
        ("up", {}, True),
        ('up{job="api"}', {"job": "api"}, True),
        ('up{job="api"}', {"job": "db"}, False),
        ('up{job!="api"}', {"job": "db"}, True),
        ('up{job=~"a.*", env!~"dev|test"}', {"job": "api", "env": "prod"}, True),
        ('up{job=~"a.*", env!~"dev|test"}', {"job": "api", "env": "dev"}, False),
        ('up{path="a\\"b"}', {"path": 'a"b'}, True),
        ("up{missing=\"\"}", {}, True),
        ('{job="api"}', {"job": "api"}, True),
        ('{job="api"}', {"job": "db"}, False),
        ('{__name__=~"u.", job="api"}', {"job": "api"}, True),
        ('{__name__="down", job="api"}', {"job": "api"}, False),
    ],
)
def test_selector_matching(query: str, labels: dict[str, str], hit: bool) -> None:
    assert parse_selector(query).matches("up", labels) is hit


@pytest.mark.parametrize(
    ("query", "instances"),
    [
        ("up == 0", {"10.42.7.19:8080"}),
        ("up != 0", {"10.42.5.11:9400", "10.42.1.23:9093"}),
        ('up{namespace="monitoring"} >= 1', {"10.42.5.11:9400", "10.42.1.23:9093"}),
        ("up > 1", set()),
        ("up<1", {"10.42.7.19:8080"}),
    ],
)
def test_a_comparison_filters_the_series_as_promql_does(query: str,
                                                        instances: set[str]) -> None:
    backend = SandboxBackend.from_scenario(scenario("halden-research-cluster"))
    out = run(backend, "query_metrics", query=query)
    series = out.json_data()["series"]
    assert {s["labels"]["instance"] for s in series} == instances


def test_a_comparison_keeps_only_the_samples_it_holds_for() -> None:
    backend = SandboxBackend.from_scenario(scenario("halden-research-cluster"))
    out = run(backend, "query_metrics", query='up{job="slurm-exporter"} == 1', minutes=180)
    values = [p[1] for s in out.json_data()["series"] for p in s["points"]]
    assert values and set(values) == {1}
    zero = run(backend, "query_metrics", query='up{job="slurm-exporter"} == 0', minutes=180)
    assert {p[1] for s in zero.json_data()["series"] for p in s["points"]} == {0}


@pytest.mark.parametrize("query", ["sum(up)", 'up{job="a"', "up{job='a'}", 'up{job=~"("}',
                                   "", "{}", '{job=""}', '{job!="a"}'])
def test_selector_rejects_what_it_cannot_answer(query: str) -> None:
    with pytest.raises(ValueError):
        parse_selector(query)


def test_workload_evidence_reads_every_series_of_the_workload_whatever_its_name() -> None:
    backend = checkout()
    spec = CATALOG["query_metrics"]
    assert spec.evidence is not None
    names = {s["name"] for args in spec.evidence({"namespace": "shop", "deployment": "checkout"})
             for s in run(backend, "query_metrics", **args).json_data()["series"]}
    expected = {s.name for s in scenario("checkout-bad-deploy").metrics
                if s.labels.get("namespace") == "shop" and s.labels.get("deployment") == "checkout"}
    assert expected and names == expected


def test_workload_evidence_includes_series_labelled_only_by_its_pods() -> None:
    backend = SandboxBackend.from_scenario(scenario("fleetdb-replica-reseed"))
    spec = CATALOG["query_metrics"]
    assert spec.evidence is not None
    bound = {"namespace": "fleet-telematics", "deployment": "fleetdb", "kind": "StatefulSet",
             "service": "fleetdb"}
    pods = {s["labels"].get("pod") for args in spec.evidence(bound)
            for s in run(backend, "query_metrics", **args).json_data()["series"]}
    assert pods == {"fleetdb-1", "fleetdb-2"}


def test_describe_pod_lists_the_pods_own_events_as_kubectl_describe_does() -> None:
    backend = SandboxBackend.from_scenario(scenario("halden-research-cluster"))
    out = run(backend, "describe_pod", namespace="jupyter", pod="notebook-gateway-7c9d2-q8wzt")
    (event,) = out.json_data()["events"]
    assert (event["reason"], event["count"]) == ("Failed", 17)
    assert 'secret "gateway-oidc-client" not found' in out.text
    quiet = run(backend, "describe_pod", namespace="jupyter", pod="notebook-gateway-66b5c-hx2rn")
    assert quiet.json_data()["events"] == []
