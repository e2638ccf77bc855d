"""Real Prometheus and Alertmanager for the backend tests, from Debian's packages.

Each is started on a free loopback port with a temporary data directory. Prometheus gets
its samples by backfill (promtool writes TSDB blocks from OpenMetrics text before it
starts), so the history is exact and nothing waits for scrapes. When a binary is missing
the tests fail and name the script that installs them; they do not skip.

The other backend test modules import the launchers and the shared data set from here.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

INSTALL_SCRIPT = "scripts/install-monitoring.sh"
START_TIMEOUT_SECONDS = 30.0

Labels = Mapping[str, str]
Points = Sequence[tuple[float, float]]  # (unix seconds, value)


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed. The backend tests run Debian's Prometheus and "
            f"Alertmanager: run {INSTALL_SCRIPT} (test.sh does) and try again.",
            pytrace=False,
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _running(argv: list[str], url: str, log: Path) -> Iterator[str]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"{argv[0]} exited with {process.returncode}:\n"
                            f"{log.read_text()[-2000:]}", pytrace=False)
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{argv[0]} not ready after {START_TIMEOUT_SECONDS:g}s:\n"
                            f"{log.read_text()[-2000:]}", pytrace=False)
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def openmetrics(families: Mapping[str, Sequence[tuple[Labels, Points]]]) -> str:
    """OpenMetrics text for promtool: one gauge family per name, samples in time order."""
    lines = []
    for name, series in families.items():
        lines.append(f"# TYPE {name} gauge")
        for labels, points in series:
            rendered = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines.extend(f"{name}{{{rendered}}} {value} {at:.3f}" for at, value in points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@contextmanager
def prometheus(workdir: Path, metrics: str, rules: str | None = None) -> Iterator[str]:
    """Prometheus serving ``metrics`` (OpenMetrics text, backfilled) and evaluating
    ``rules`` every second; yields its base URL."""
    binary = require_binary("prometheus")
    promtool = require_binary("promtool")
    data = workdir / "prometheus-data"
    source = workdir / "backfill.om"
    source.write_text(metrics)
    done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                           str(source), str(data)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"promtool backfill failed: {done.stderr or done.stdout}", pytrace=False)
    config = workdir / "prometheus.yml"
    rule_files = ""
    if rules is not None:
        (workdir / "rules.yml").write_text(rules)
        rule_files = "rule_files: [rules.yml]\n"
    config.write_text(f"global:\n  evaluation_interval: 1s\n{rule_files}")
    port = free_port()
    with _running([binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
                   f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                  f"http://127.0.0.1:{port}", workdir / "prometheus.log") as url:
        yield url


@contextmanager
def alertmanager(workdir: Path) -> Iterator[str]:
    binary = require_binary("prometheus-alertmanager")
    config = workdir / "alertmanager.yml"
    config.write_text("route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
    port = free_port()
    with _running([binary, f"--config.file={config}",
                   f"--storage.path={workdir / 'alertmanager-data'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                   "--log.level=warn"],
                  f"http://127.0.0.1:{port}", workdir / "alertmanager.log") as url:
        yield url


def post_alert(alertmanager_url: str, name: str, labels: Labels, summary: str) -> None:
    """What Prometheus does when a rule fires: push the alert to Alertmanager."""
    response = httpx.post(f"{alertmanager_url}/api/v2/alerts", json=[{
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": summary},
    }])
    response.raise_for_status()


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
