"""get_workload_logs on the sandbox, and the args and bounds every backend shares."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from assistant.models import ToolCall
from tools.backend import ToolFailure, run_tool
from tools.catalog import CATALOG
from tools.label_selector import parse_label_selector
from tools.sandbox import SandboxBackend
from tools.workload_logs import (
    LOG_BYTES,
    GetWorkloadLogsArgs,
    LogSource,
    LogUnavailable,
    collect_logs,
)


@pytest.fixture(scope="module")
def ledger() -> SandboxBackend:
    return SandboxBackend.load("ledger-journal-stuck-rollout")


def logs(backend: SandboxBackend, **args: Any) -> Any:
    return run_tool(backend, ToolCall(tool="get_workload_logs", args=args))


def test_a_statefulsets_halted_pod_comes_first_with_its_raw_lines(
        ledger: SandboxBackend) -> None:
    out = logs(ledger, namespace="ledger", deployment="journal-store", kind="StatefulSet",
               tail=2)
    data = out.json_data()
    assert data["workload"] == "StatefulSet/journal-store"
    assert data["selector"] == "app=journal-store"
    assert [p["pod"] for p in data["pods"]] == [
        "journal-store-2", "journal-store-0", "journal-store-1"]
    halted = data["pods"][0]
    # Raw: the pipeline redacts after the tool, so the planted password is still here.
    assert halted["lines"][-1].endswith("replica_password=Qp-journal-7f3e91c2d8a4")
    assert "journal replay failed" in out.text


def test_a_set_based_selector_spans_workloads_and_max_pods_names_the_rest(
        ledger: SandboxBackend) -> None:
    data = logs(ledger, namespace="ledger", max_pods=3,
                selector="app in (journal-api, journal-compactor)").json_data()
    assert data["pods_matched"] == 6
    assert len(data["pods"]) == 3 and len(data["pods_not_read"]) == 3
    read = {p["pod"] for p in data["pods"]} | set(data["pods_not_read"])
    assert read == {pod for d in ledger.inventory().deployments
                    if d.name in ("journal-api", "journal-compactor") for pod in d.pods}


def test_previous_logs_of_a_daemonsets_crashing_pods(ledger: SandboxBackend) -> None:
    data = logs(ledger, namespace="telemetry", deployment="log-forwarder", kind="DaemonSet",
                previous=True, tail=1).json_data()
    assert data["previous"] is True and data["pods_matched"] == 4
    assert {p["lines"][0] for p in data["pods"]} == {
        "[error] configuration file contains errors, aborting"}


def test_a_container_the_pods_do_not_run_is_said_per_pod(ledger: SandboxBackend) -> None:
    data = logs(ledger, namespace="ledger", selector="app=journal-compactor",
                container="istio-proxy").json_data()
    assert [p["error"] for p in data["pods"]] == [
        f"container istio-proxy is not valid for pod journal-compactor-{i}" for i in (0, 1)]


def test_unknown_workloads_and_namespaces_say_what_exists(ledger: SandboxBackend) -> None:
    with pytest.raises(ToolFailure, match=r"statefulset ledger/journal-api not found; .*"
                                          r"journal-api is a Deployment"):
        logs(ledger, namespace="ledger", deployment="journal-api", kind="StatefulSet")
    with pytest.raises(ToolFailure, match="namespace 'billing' not found"):
        logs(ledger, namespace="billing", selector="app=journal-api")


@pytest.mark.parametrize(("args", "complaint"), [
    ({"namespace": "ledger"}, "give either selector"),
    ({"namespace": "ledger", "selector": "app=x", "deployment": "x"}, "give either selector"),
    ({"namespace": "ledger", "selector": "app in journal"}, "cannot parse 'app in journal'"),
    ({"namespace": "ledger", "selector": " "}, "label selector is empty"),
    ({"namespace": "ledger", "selector": "app=x", "max_pods": 50}, "max_pods"),
    ({"namespace": "ledger", "selector": "app=x", "tail": 5000}, "tail"),
])
def test_bad_args_are_refused_before_any_read(args: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        CATALOG["get_workload_logs"].validate_args(args)


def test_label_selector_grammar_matches_as_the_api_server_does() -> None:
    selector = parse_label_selector("tier=web,track!=canary,zone in (a, b),!legacy,owner")
    assert selector.matches({"tier": "web", "zone": "b", "owner": "team-x"})
    assert not selector.matches({"tier": "web", "zone": "c", "owner": "team-x"})
    assert not selector.matches({"tier": "web", "zone": "a", "owner": "x", "legacy": "1"})
    assert not selector.matches({"tier": "web", "zone": "a"})
    assert parse_label_selector("zone notin (a)").matches({})


def test_the_byte_budget_keeps_the_newest_lines_and_stops_reading() -> None:
    line = "y" * 999  # 1000 bytes with its newline
    sources = [LogSource(pod=f"p{i}", default_container="c", troubled=False) for i in range(4)]
    per_pod = LOG_BYTES // 1000 * 2 // 3  # two pods overflow the budget

    def read(source: LogSource, container: str) -> list[str]:
        if source.pod == "p0":
            raise LogUnavailable("gone")
        return [f"{source.pod}:{n}:" + line[len(source.pod) + 6:] for n in range(per_pod)]

    args = GetWorkloadLogsArgs(namespace="ns", selector="a=b", tail=500, max_pods=4)
    out = collect_logs(args, "a=b", sources, read)
    assert [(p.pod, p.error, p.truncated) for p in out.pods] == [
        ("p0", "gone", False), ("p1", None, False), ("p2", None, True)]
    assert out.pods[2].lines[-1].startswith(f"p2:{per_pod - 1}:")
    assert out.pods_not_read == ["p3"]
    assert sum(len(x) + 1 for p in out.pods for x in p.lines) <= LOG_BYTES
