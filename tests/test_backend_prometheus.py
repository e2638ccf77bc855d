"""Prometheus half of the real backend, against a real Prometheus with backfilled data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from monitoring_services import DataSet

from assistant.evaluation.local_monitoring import free_port
from tools.backend import ToolFailure
from tools.catalog import ListAlertsArgs, QueryMetricsArgs
from tools.prometheus.budget import budget_output, read_error_budget
from tools.prometheus.client import PrometheusClient
from tools.prometheus.series import query_metrics
from tools.real.alerts import alerts_output, from_rules
from tools.real.http import HttpApi
from tools.real.settings import HttpEndpoint, SloQueries

STEP_TOLERANCE = 15.0  # backfilled samples are this far apart


@pytest.fixture(scope="module")
def data(shop_monitoring: tuple[DataSet, str]) -> DataSet:
    return shop_monitoring[0]


@pytest.fixture
def client(prometheus_url: str) -> Iterator[PrometheusClient]:
    api = HttpApi(HttpEndpoint(name="Prometheus", url=prometheus_url, timeout_seconds=5))
    yield PrometheusClient(api)
    api.close()


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_range_query_returns_sandbox_shaped_series_with_unit_from_the_name(
        client: PrometheusClient, data: DataSet) -> None:
    args = QueryMetricsArgs(query='http_requests_error_ratio{service="checkout"}', minutes=90)
    out = query_metrics(client, args, _now())
    [series] = out.json_data()["series"]
    assert set(series) == {"name", "labels", "unit", "points"}
    assert series["name"] == "http_requests_error_ratio"
    assert series["labels"] == {"namespace": "shop", "deployment": "checkout",
                                "service": "checkout"}
    assert series["unit"] == "ratio"
    times = [datetime.fromisoformat(t) for t, _ in series["points"]]
    assert times == sorted(times)
    assert times[0] >= _now() - timedelta(minutes=91)
    values = [v for _, v in series["points"]]
    assert values[0] == pytest.approx(0.0015)
    assert values[-1] == pytest.approx(0.21)
    assert "now 21.00%" in out.text and "min 0.15%" in out.text


def test_bytes_series_are_rendered_in_binary_units(client: PrometheusClient) -> None:
    out = query_metrics(client, QueryMetricsArgs(
        query='container_memory_working_set_bytes{deployment="cart"}', minutes=120), _now())
    assert out.json_data()["series"][0]["unit"] == "bytes"
    assert "now 500Mi" in out.text and "min 300Mi" in out.text


def test_an_expression_without_a_metric_name_is_named_by_its_query(
        client: PrometheusClient) -> None:
    query = 'max by (service) (http_requests_error_ratio)'
    out = query_metrics(client, QueryMetricsArgs(query=query, minutes=10), _now())
    assert {s["name"] for s in out.json_data()["series"]} == {query}
    assert {s["labels"]["service"] for s in out.json_data()["series"]} == {"checkout", "cart"}


def test_a_query_matching_nothing_says_so(client: PrometheusClient) -> None:
    out = query_metrics(client, QueryMetricsArgs(query="no_such_metric", minutes=5), _now())
    assert out.json_data() == {"series": []}
    assert "no series returned for no_such_metric" in out.text


def test_invalid_promql_is_a_permanent_failure_with_prometheus_reason(
        client: PrometheusClient) -> None:
    with pytest.raises(ToolFailure) as failed:
        query_metrics(client, QueryMetricsArgs(query="rate(foo{", minutes=5), _now())
    assert not failed.value.transient
    assert "Prometheus rejected" in str(failed.value) and "parse error" in str(failed.value)


def test_error_budget_comes_from_the_recording_rule_with_the_sample_time(
        client: PrometheusClient, data: DataSet) -> None:
    budget = read_error_budget(client, SloQueries(), "checkout", _now())
    assert budget is not None
    assert budget.remaining == pytest.approx(0.41)
    assert budget.slo_target == pytest.approx(0.999)
    assert budget.as_of is not None
    assert abs(budget.as_of.timestamp() - data.now) < STEP_TOLERANCE
    out = budget_output(budget, _now())
    assert set(out.json_data()) >= {"service", "slo_target", "remaining", "as_of"}
    assert "41.0% left" in out.text and "stale" not in out.text



def test_a_budget_whose_rule_stopped_two_hours_ago_is_reported_stale(
        client: PrometheusClient, data: DataSet) -> None:
    budget = read_error_budget(client, SloQueries(), "payments", _now())
    assert budget is not None and budget.as_of is not None
    age = data.now - budget.as_of.timestamp()
    assert 7200 - STEP_TOLERANCE <= age <= 7200 + 60 + STEP_TOLERANCE
    assert budget.remaining == pytest.approx(-0.12)
    assert budget.slo_target == pytest.approx(0.9995)
    out = budget_output(budget, _now())
    assert out.json_data()["stale"] is True
    assert "(stale: last computed 2h" in out.text and "exhausted" in out.text


def test_several_slos_of_one_service_report_the_least_budget_and_strictest_target(
        client: PrometheusClient) -> None:
    budget = read_error_budget(client, SloQueries(), "search", _now())
    assert budget is not None
    assert budget.remaining == pytest.approx(0.2)
    assert budget.slo_target == pytest.approx(0.999)


def test_a_service_without_budget_data_has_none(client: PrometheusClient) -> None:
    assert read_error_budget(client, SloQueries(), "no-such-service", _now()) is None


def test_a_missing_target_falls_back_to_the_fixed_one_or_fails_saying_what_to_set(
        client: PrometheusClient) -> None:
    fixed = read_error_budget(client, SloQueries(fixed_slo_target=0.995), "cart", _now())
    assert fixed is not None and fixed.slo_target == 0.995 and fixed.remaining == 0.88
    with pytest.raises(ToolFailure, match="OPSBOT_SLO_TARGET"):
        read_error_budget(client, SloQueries(), "cart", _now())


def test_a_custom_budget_query_template_is_filled_with_the_service(
        client: PrometheusClient) -> None:
    queries = SloQueries(error_budget='1 - max(http_requests_error_ratio{service="%s"}) * 10',
                         fixed_slo_target=0.99)
    budget = read_error_budget(client, queries, "cart", _now())
    assert budget is not None and budget.remaining == pytest.approx(0.98)


def _rule_alerts(client: PrometheusClient) -> list:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        firing = from_rules(client.alerts())
        if firing:
            return firing
        time.sleep(0.2)
    pytest.fail("the CheckoutErrorRateHigh rule never fired")


def test_firing_rule_alerts_list_like_the_sandbox_without_alertmanager(
        client: PrometheusClient) -> None:
    [alert] = _rule_alerts(client)
    out = alerts_output([alert], ListAlertsArgs(namespace="shop"), _now())
    [shown] = out.json_data()["alerts"]
    assert set(shown) >= {"name", "labels", "state", "since", "severity", "summary"}
    assert shown["name"] == "CheckoutErrorRateHigh"
    assert "alertname" not in shown["labels"]
    assert shown["state"] == "firing" and shown["severity"] == "critical"
    assert shown["summary"] == "checkout error ratio above 5%"
    elsewhere = alerts_output([alert], ListAlertsArgs(namespace="payments"), _now())
    assert elsewhere.json_data() == {"alerts": []}
    assert "no firing alerts in payments" in elsewhere.text


def test_an_unreachable_prometheus_is_a_transient_failure() -> None:
    api = HttpApi(HttpEndpoint(name="Prometheus", url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ToolFailure) as failed:
        PrometheusClient(api).instant("up", _now())
    assert failed.value.transient
    assert "unreachable" in str(failed.value)
