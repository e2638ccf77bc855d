"""Real Prometheus and Alertmanager for the backend tests, from Debian's packages.

The launchers live in assistant.evaluation.local_monitoring; here they fail the test
(naming the script that installs the binaries) instead of raising, so a missing binary
is a failure, not a skip.

The other backend test modules import the launchers and the shared data set from here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assistant.evaluation import local_monitoring
from assistant.evaluation.local_monitoring import (
    INSTALL_SCRIPT,
    Labels,
    MonitoringUnavailable,
    free_port,
    openmetrics,
)

__all__ = ["DataSet", "alertmanager", "free_port", "openmetrics", "post_alert", "prometheus",
           "require_binary", "shop_prometheus"]


@contextmanager
def _failing_the_test() -> Iterator[None]:
    try:
        yield
    except MonitoringUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


def require_binary(name: str) -> str:
    with _failing_the_test():
        return local_monitoring.require_binary(name)


@contextmanager
def prometheus(workdir: Path, metrics: str | None, rules: str | None = None, *,
               scrape: Sequence[str] = ()) -> Iterator[str]:
    with _failing_the_test(), local_monitoring.running_prometheus(workdir, metrics, rules,
                                                                  scrape=scrape) as url:
        yield url


@contextmanager
def alertmanager(workdir: Path) -> Iterator[str]:
    with _failing_the_test(), local_monitoring.running_alertmanager(workdir) as url:
        yield url


def post_alert(alertmanager_url: str, name: str, labels: Labels, summary: str) -> None:
    """What Prometheus does when a rule fires: push the alert to Alertmanager."""
    with _failing_the_test():
        local_monitoring.post_alerts(alertmanager_url, [{
            "labels": {"alertname": name, **labels},
            "annotations": {"summary": summary},
        }])


# --- the shared data set ---------------------------------------------------------------

STEP = 15.0
HISTORY = 3 * 3600.0


@dataclass(frozen=True)
class DataSet:
    now: float  # the newest sample's time
    metrics: str
    rules: str


def _series(now: float, value: float | None = None, *, until: float = 0.0,
            before: float | None = None, after: float | None = None,
            change_at: float = 0.0) -> list[tuple[float, float]]:
    """Samples every STEP s over HISTORY, ending ``until`` seconds before ``now``; either a
    constant ``value`` or ``before`` then ``after`` from ``change_at`` seconds ago."""
    points = []
    at = now - HISTORY
    while at <= now - until:
        if value is not None:
            points.append((at, value))
        else:
            assert before is not None and after is not None
            points.append((at, after if at >= now - change_at else before))
        at += STEP
    return points


def shop_data(now: float) -> DataSet:
    """checkout's error ratio jumps 30 minutes ago; budgets for five services: fresh,
    stale (last sample 2 h ago), two SLOs for one service, and one without a target."""
    budget = "slo:error_budget_remaining:ratio"
    target = "slo:objective:ratio"
    metrics = openmetrics({
        "http_requests_error_ratio": [
            ({"namespace": "shop", "deployment": "checkout", "service": "checkout"},
             _series(now, before=0.0015, after=0.21, change_at=1800)),
            ({"namespace": "shop", "deployment": "cart", "service": "cart"},
             _series(now, 0.002)),
        ],
        "container_memory_working_set_bytes": [
            ({"namespace": "shop", "deployment": "cart", "pod": "cart-1"},
             _series(now, before=300 * 2**20, after=500 * 2**20, change_at=3600)),
        ],
        budget: [
            ({"service": "checkout"}, _series(now, 0.41)),
            ({"service": "payments"}, _series(now, -0.12, until=7200)),
            ({"service": "search", "slo": "latency"}, _series(now, 0.7)),
            ({"service": "search", "slo": "availability"}, _series(now, 0.2)),
            ({"service": "cart"}, _series(now, 0.88)),
        ],
        target: [
            ({"service": "checkout"}, _series(now, 0.999)),
            ({"service": "payments"}, _series(now, 0.9995, until=7200)),
            ({"service": "search", "slo": "latency"}, _series(now, 0.99)),
            ({"service": "search", "slo": "availability"}, _series(now, 0.999)),
        ],
    })
    rules = """groups:
  - name: shop
    interval: 1s
    rules:
      - alert: CheckoutErrorRateHigh
        expr: http_requests_error_ratio{service="checkout"} > 0.05
        labels: {severity: critical}
        annotations: {summary: "checkout error ratio above 5%"}
"""
    return DataSet(now=now, metrics=metrics, rules=rules)


@contextmanager
def shop_prometheus(workdir: Path) -> Iterator[tuple[DataSet, str]]:
    """Prometheus serving shop_data as of now, with its alert rule; yields (data, URL)."""
    data = shop_data(time.time())
    with prometheus(workdir, data.metrics, data.rules) as url:
        yield data, url


# --- tests of the launchers themselves ----------------------------------------------


def test_a_missing_binary_fails_the_test_and_names_the_install_script(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception) as failed:
        require_binary("prometheus")
    assert INSTALL_SCRIPT in str(failed.value)


def test_openmetrics_text_is_backfilled_and_served(tmp_path: Path) -> None:
    now = time.time()
    text = openmetrics({"probe_value": [({"job": "t"}, [(now - 30, 1.0), (now - 15, 2.0)])]})
    with prometheus(tmp_path, text) as url:
        body = httpx.post(f"{url}/api/v1/query",
                          data={"query": "probe_value", "time": f"{now:.3f}"}).json()
    [sample] = body["data"]["result"]
    assert sample["metric"] == {"__name__": "probe_value", "job": "t"}
    assert float(sample["value"][1]) == 2.0


def test_label_values_needing_escapes_and_non_finite_values_survive_the_backfill(
        tmp_path: Path) -> None:
    now = time.time()
    labels = {"path": 'C:\\scratch "tmp"', "note": "two\nlines"}
    text = openmetrics({"probe_value": [(labels, [(now - 15, float("nan")), (now, -math.inf)])]})
    with prometheus(tmp_path, text) as url:
        body = httpx.post(f"{url}/api/v1/query_range", data={
            "query": "probe_value", "start": f"{now - 15:.3f}", "end": f"{now:.3f}",
            "step": "15"}).json()
    [series] = body["data"]["result"]
    assert series["metric"] == {"__name__": "probe_value", **labels}
    assert [value for _, value in series["values"]] == ["NaN", "-Inf"]


def test_text_promtool_cannot_read_fails_with_its_complaint(tmp_path: Path) -> None:
    with pytest.raises(MonitoringUnavailable, match="promtool could not backfill") as failed, \
            local_monitoring.running_prometheus(tmp_path, "not openmetrics\n"):
        pass
    assert "unsupported character" in str(failed.value)


def test_a_prometheus_that_cannot_start_fails_with_the_end_of_its_log(tmp_path: Path) -> None:
    with pytest.raises(MonitoringUnavailable, match="exited with") as failed, \
            local_monitoring.running_prometheus(tmp_path, openmetrics({}), rules="groups: ["):
        pass
    assert "rules.yml" in str(failed.value)
