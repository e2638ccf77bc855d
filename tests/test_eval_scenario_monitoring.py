"""Rendering a scenario's monitoring data for Prometheus and Alertmanager, without the
binaries."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from assistant.evaluation.scenario_monitoring import (
    ALERT_LIFETIME,
    alertmanager_alerts,
    alertmanager_silences,
    scenario_openmetrics,
)
from tools.sandbox import SandboxBackend

WALL_NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


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

