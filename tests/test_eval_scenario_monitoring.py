"""Scenario monitoring data loaded into real Prometheus and Alertmanager reads back, through
the real backend's own clients, exactly as the sandbox serves it at the scenario's now.

Values are compared exactly, with no tolerance: OpenMetrics carries each float as Python's
shortest round-trip text, Prometheus parses and prints float64 without loss, and every
sample sits on a whole-millisecond timestamp of the scenario's step grid. A difference is
therefore a loading bug, not rounding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from monitoring_services import alertmanager, prometheus

from assistant.evaluation.local_monitoring import create_silences, post_alerts
from assistant.evaluation.scenario_monitoring import (
    ALERT_LIFETIME,
    alertmanager_alerts,
    alertmanager_silences,
    scenario_openmetrics,
)
from tools.alertmanager.client import AlertmanagerClient
from tools.catalog import GetErrorBudgetArgs, ListAlertsArgs, QueryMetricsArgs
from tools.prometheus.budget import budget_output, read_error_budget
from tools.prometheus.client import PrometheusClient
from tools.prometheus.series import query_metrics, step_for
from tools.real.alerts import from_alertmanager
from tools.real.http import HttpApi
from tools.real.settings import HttpEndpoint, SloQueries
from tools.sandbox import SandboxBackend, load_scenario
from tools.sandbox.scenario import DEFAULT_SCENARIO_DIR

SCENARIOS = sorted(p.stem for p in DEFAULT_SCENARIO_DIR.glob("*.yaml"))
WALL_NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Loaded:
    scenario: str
    sandbox: SandboxBackend
    prometheus: PrometheusClient
    alertmanager: AlertmanagerClient


@pytest.fixture(scope="module", params=SCENARIOS)
def loaded(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """One Prometheus and one Alertmanager per scenario, shared by its tests."""
    name: str = request.param
    sandbox = SandboxBackend.load(name)
    workdir = tmp_path_factory.mktemp(name)
    (workdir / "prometheus").mkdir()
    (workdir / "alertmanager").mkdir()
    wall_now = datetime.now(UTC)
    with prometheus(workdir / "prometheus", scenario_openmetrics(sandbox)) as prometheus_url, \
            alertmanager(workdir / "alertmanager") as alertmanager_url:
        post_alerts(alertmanager_url, alertmanager_alerts(sandbox, wall_now))
        create_silences(alertmanager_url, alertmanager_silences(sandbox, wall_now))
        prometheus_client = PrometheusClient(
            HttpApi(HttpEndpoint(name="Prometheus", url=prometheus_url)))
        alertmanager_client = AlertmanagerClient(
            HttpApi(HttpEndpoint(name="Alertmanager", url=alertmanager_url)))
        try:
            yield Loaded(name, sandbox, prometheus_client, alertmanager_client)
        finally:
            prometheus_client.close()
            alertmanager_client.close()


def _selector(name: str, labels: dict[str, str]) -> str:
    matchers = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{matchers}}}"


def _without_units(output_data: dict[str, Any]) -> list[dict[str, Any]]:
    """Prometheus has no units (the real backend guesses them from the name): compare the
    rest."""
    return sorted(({k: v for k, v in s.items() if k != "unit"} for s in output_data["series"]),
                  key=lambda s: sorted(s["labels"].items()))


def _points_at(data: list[dict[str, Any]], stamps: set[str]) -> list[dict[str, Any]]:
    return [{**s, "points": [p for p in s["points"] if p[0] in stamps]} for s in data]


def test_every_series_reads_back_as_the_sandbox_serves_it(loaded: Loaded) -> None:
    step_minutes = load_scenario(loaded.scenario).clock.step_minutes
    # The real query_metrics picks its step from the window: 120 steps of the scenario's
    # own step put a real sample on every sandbox sample; a whole day (the tool's longest
    # window) covers all the history at a coarser step.
    every_sample = round(120 * step_minutes)
    assert step_for(every_sample) == step_minutes * 60
    now = loaded.sandbox.now()
    for spec in load_scenario(loaded.scenario).metrics:
        query = _selector(spec.name, spec.labels)
        for minutes in (every_sample, 1440):
            args = QueryMetricsArgs(query=query, minutes=minutes)
            sandbox = _without_units(loaded.sandbox.query_metrics(args).json_data())
            real = _without_units(query_metrics(loaded.prometheus, args, now).json_data())
            assert real, f"{query}: Prometheus has no samples in the last {minutes} min"
            stamps = {p[0] for s in real for p in s["points"]}
            assert real == _points_at(sandbox, stamps), f"{query} over {minutes} min"
            if minutes == every_sample:
                assert real == sandbox, query


def test_each_error_budget_reads_back_as_the_sandbox_reports_it(loaded: Loaded) -> None:
    now = loaded.sandbox.now()
    for service in loaded.sandbox.inventory().services:
        sandbox = loaded.sandbox.error_budget(service)
        assert sandbox is not None
        real = read_error_budget(loaded.prometheus, SloQueries(), service, now)
        if sandbox.remaining is None:
            # Prometheus cannot hold "unknown": no sample, which the real backend reports
            # as having no error-budget data.
            assert real is None, service
            continue
        assert real == sandbox, service
        # The same text, so age and staleness read the same too.
        args = GetErrorBudgetArgs(service=service)
        assert budget_output(real, now).text == loaded.sandbox.get_error_budget(args).text


def _by_name_and_labels(alert: tuple[Any, ...]) -> tuple[str, list[tuple[str, str]]]:
    """Alerts in one order whatever order their labels were written in (two alerts may
    share a name and differ only by labels)."""
    return alert[0], sorted(alert[1].items())


def test_alertmanager_holds_the_sandbox_firing_and_silenced_alerts(loaded: Loaded) -> None:
    listed = loaded.sandbox.list_alerts(ListAlertsArgs(include_silenced=True)).json_data()["alerts"]
    expected = sorted((
        (a["name"], {**a["labels"], "severity": a["severity"]}, a["state"],
         datetime.fromisoformat(a["since"]), a["annotations"])
        for a in listed
    ), key=_by_name_and_labels)
    records = [from_alertmanager(a) for a in loaded.alertmanager.alerts()]
    real = sorted(((r.name, r.labels, r.state, r.since, r.annotations) for r in records),
                  key=_by_name_and_labels)
    assert real == expected
    inventory = {(a.name, tuple(sorted(a.labels.items())), a.state)
                 for a in loaded.sandbox.inventory().alerts if a.state != "resolved"}
    assert {(r.name, tuple(sorted((k, v) for k, v in r.labels.items() if k != "severity")),
             r.state) for r in records} == inventory


# --- the rendering alone, without the binaries ----------------------------------------


def _samples(text: str, name: str, service: str) -> list[tuple[float, float]]:
    pattern = re.compile(rf'^{re.escape(name)}\{{service="{re.escape(service)}"\}} (\S+) (\S+)$',
                         re.MULTILINE)
    return [(float(at), float(value)) for value, at in pattern.findall(text)]


def test_a_stale_budget_renders_its_one_sample_at_its_as_of() -> None:
    sandbox = SandboxBackend.load("cart-memory-leak")
    text = scenario_openmetrics(sandbox)
    as_of = datetime(2025, 4, 1, 22, 0, tzinfo=UTC).timestamp()
    assert _samples(text, "slo:error_budget_remaining:ratio", "checkout-worker") == [
        (as_of, 0.9)]
    assert _samples(text, "slo:objective:ratio", "checkout-worker") == [(as_of, 0.995)]
    live = sandbox.now().timestamp()
    assert _samples(text, "slo:error_budget_remaining:ratio", "cart") == [(live, 0.71)]


def test_an_unknown_budget_renders_only_its_slo_target() -> None:
    text = scenario_openmetrics(SandboxBackend.load("noisy-disk-alert"))
    assert _samples(text, "slo:error_budget_remaining:ratio", "checkout") == []
    assert len(_samples(text, "slo:objective:ratio", "checkout")) == 1


def test_resolved_alerts_are_left_out_and_the_rest_stay_active_past_the_wall_clock() -> None:
    state = SandboxBackend.load("checkout-bad-deploy").state()
    resolved = state["alerts"][0]
    resolved["active"] = False
    sandbox = SandboxBackend.from_state(state)
    alerts = alertmanager_alerts(sandbox, WALL_NOW)
    names = [(a["labels"]["alertname"], a["labels"]) for a in alerts]
    assert (resolved["name"], {**resolved["labels"], "alertname": resolved["name"],
                               "severity": resolved["severity"]}) not in names
    assert len(alerts) == len(state["alerts"]) - 1
    for alert in alerts:
        assert datetime.fromisoformat(alert["endsAt"]) == WALL_NOW + ALERT_LIFETIME


def test_an_alert_set_after_the_wall_clock_ends_after_it_starts() -> None:
    sandbox = SandboxBackend.load("search-holiday-freeze")
    [alert] = alertmanager_alerts(sandbox, WALL_NOW)
    starts = datetime.fromisoformat(alert["startsAt"])
    assert starts > WALL_NOW
    assert datetime.fromisoformat(alert["endsAt"]) == starts + ALERT_LIFETIME


def test_active_silences_move_to_the_wall_clock_with_the_time_they_had_left() -> None:
    sandbox = SandboxBackend.load("noisy-disk-alert")
    [silence] = alertmanager_silences(sandbox, WALL_NOW)  # the other one ended the day before
    left = datetime(2025, 6, 3, 20, 0, tzinfo=UTC) - sandbox.now()
    assert datetime.fromisoformat(silence["startsAt"]) == WALL_NOW
    assert datetime.fromisoformat(silence["endsAt"]) == WALL_NOW + left
    assert {(m["name"], m["value"]) for m in silence["matchers"]} == {
        ("alertname", "NodeFilesystemSpaceFillingUp"),
        ("instance", "ip-10-20-3-18.eu-west-1.compute.internal:9100"),
        ("mountpoint", "/mnt/scratch")}
    assert all(not m["isRegex"] and m["isEqual"] for m in silence["matchers"])
    assert (silence["createdBy"], silence["comment"]) == (
        "U04DANA", "report-renderer scratch volume, emptied every 2h by scratch-janitor "
                   "(OPS-2291)")


def test_a_wall_clock_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        alertmanager_silences(SandboxBackend.load("noisy-disk-alert"), datetime(2026, 1, 5))


def test_scenario_times_stay_historic_in_the_metrics() -> None:
    sandbox = SandboxBackend.load("checkout-bad-deploy")
    stamps = [float(line.rsplit(" ", 1)[1])
              for line in scenario_openmetrics(sandbox).splitlines() if not line.startswith("#")]
    assert max(stamps) == sandbox.now().timestamp()

