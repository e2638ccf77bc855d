"""The shipped eval suites' read-only cases pass against Debian's Prometheus and Alertmanager
loaded with each scenario, and the worlds they run in really read those services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from monitoring_services import alertmanager, post_alert, prometheus
from shipped_suite_checks import shipped_read_only_cases_pass

from assistant.evaluation.backends import RealMonitoringWorlds
from assistant.evaluation.local_monitoring import openmetrics
from assistant.models import ToolCall
from tools.alertmanager.client import AlertmanagerClient
from tools.backend import run_tool
from tools.prometheus.client import PrometheusClient
from tools.real.http import HttpApi
from tools.real.monitored_sandbox import MonitoredSandbox
from tools.real.monitoring import Monitoring
from tools.real.settings import HttpEndpoint, SloQueries
from tools.sandbox import SandboxBackend


def _endpoint(name: str, url: str) -> HttpEndpoint:
    return HttpEndpoint(name=name, url=url, timeout_seconds=5)


@pytest.fixture
def monitored(tmp_path: Path) -> Iterator[MonitoredSandbox]:
    """checkout-bad-deploy's workloads beside services holding data the sandbox has not."""
    sandbox = SandboxBackend.load("checkout-bad-deploy")
    at = sandbox.now().timestamp()
    metrics = openmetrics({"only_in_prometheus_ratio": [
        ({"namespace": "shop", "deployment": "checkout"}, [(at - 120, 0.5), (at - 60, 0.75)])]})
    (tmp_path / "p").mkdir()
    (tmp_path / "a").mkdir()
    with prometheus(tmp_path / "p", metrics) as prom_url, alertmanager(tmp_path / "a") as am_url:
        post_alert(am_url, "OnlyInAlertmanager", {"namespace": "shop", "severity": "page"},
                   "posted by the test")
        monitoring = Monitoring(PrometheusClient(HttpApi(_endpoint("Prometheus", prom_url))),
                                SloQueries(),
                                AlertmanagerClient(HttpApi(_endpoint("Alertmanager", am_url))),
                                sandbox.now)
        yield MonitoredSandbox(sandbox, monitoring)
        monitoring.close()


def test_alerts_come_from_alertmanager_and_workloads_from_the_sandbox(
        monitored: MonitoredSandbox) -> None:
    inventory = monitored.inventory()
    assert [a.name for a in inventory.alerts] == ["OnlyInAlertmanager"]
    assert inventory.deployment("shop", "checkout") is not None
    pods = run_tool(monitored, ToolCall(tool="list_pods", args={"namespace": "shop"}))
    assert "checkout" in pods.text


def test_metrics_come_from_prometheus_at_the_sandbox_clock(monitored: MonitoredSandbox) -> None:
    query = ToolCall(tool="query_metrics",
                     args={"query": "only_in_prometheus_ratio", "minutes": 5})
    out = run_tool(monitored, query)
    [series] = out.json_data()["series"]
    assert series["points"][-1][1] == 0.75
    monitored.wait(timedelta(hours=1).total_seconds())  # later than the data: nothing there
    later = run_tool(monitored, query)
    assert later.json_data()["series"] == []


@pytest.mark.slow
def test_shipped_suites_read_only_cases_pass_against_real_monitoring(tmp_path: Path) -> None:
    shipped_read_only_cases_pass(RealMonitoringWorlds(tmp_path), tmp_path)
