"""Real Prometheus and Alertmanager for the backend tests, from Debian's packages.

The launchers live in assistant.evaluation.local_monitoring; here they fail the test
(naming the script that installs the binaries) instead of raising, so a missing binary
is a failure, not a skip. tests/conftest.py starts the session's shared instances with
them; tests that need a world of their own start one here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.evaluation import local_monitoring
from assistant.evaluation.local_monitoring import (
    Labels,
    MonitoringUnavailable,
    openmetrics,
)


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
