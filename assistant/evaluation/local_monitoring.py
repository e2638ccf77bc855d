"""Local Prometheus and Alertmanager from Debian's packages, for tests and `opsbot eval`.

Each is started on a free loopback port with a data directory under ``workdir``.
Prometheus gets its samples by backfill (promtool writes TSDB blocks from OpenMetrics text
before it starts), so history is exact, may lie at any time, and nothing waits for scrapes.
Alerts and silences are loaded into Alertmanager through its API v2.
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from assistant.errors import OpsbotError
from tools.backend import ToolFailure
from tools.real.http import HttpApi
from tools.real.settings import HttpEndpoint

INSTALL_SCRIPT = "scripts/install-monitoring.sh"
START_TIMEOUT_SECONDS = 30.0
_LOG_TAIL_CHARS = 2000

Labels = Mapping[str, str]
Points = Sequence[tuple[float, float]]  # (unix seconds, value)


class MonitoringUnavailable(OpsbotError):
    """The local Prometheus or Alertmanager cannot be started or loaded."""


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MonitoringUnavailable(
            f"{name} is not installed. Local monitoring runs Debian's Prometheus and "
            f"Alertmanager: run {INSTALL_SCRIPT} and try again.")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-_LOG_TAIL_CHARS:]


@contextmanager
def _running(argv: list[str], url: str, log: Path) -> Iterator[str]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise MonitoringUnavailable(
                    f"{argv[0]} exited with {process.returncode}; the end of {log}:\n"
                    f"{_log_tail(log)}")
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise MonitoringUnavailable(
                    f"{argv[0]} not ready after {START_TIMEOUT_SECONDS:g}s; the end of {log}:\n"
                    f"{_log_tail(log)}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    """repr is the shortest text that parses back to the same float, so values are exact."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def openmetrics(families: Mapping[str, Sequence[tuple[Labels, Points]]]) -> str:
    """OpenMetrics text for promtool: one gauge family per name, samples in time order."""
    lines = []
    for name, series in families.items():
        lines.append(f"# TYPE {name} gauge")
        for labels, points in series:
            rendered = ",".join(f'{k}="{_label_value(v)}"' for k, v in sorted(labels.items()))
            lines.extend(f"{name}{{{rendered}}} {_number(value)} {at:.3f}"
                         for at, value in points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@contextmanager
def running_prometheus(workdir: Path, metrics: str | None, rules: str | None = None, *,
                       scrape: Sequence[str] = ()) -> Iterator[str]:
    """Prometheus serving ``metrics`` (OpenMetrics text, backfilled; None: no history),
    scraping the ``scrape`` targets (host:port, /metrics) and evaluating ``rules`` every
    second; yields its base URL."""
    binary = require_binary("prometheus")
    promtool = require_binary("promtool")
    data = workdir / "prometheus-data"
    if metrics is not None:
        source = workdir / "backfill.om"
        source.write_text(metrics)
        done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                               str(source), str(data)], capture_output=True, text=True)
        if done.returncode != 0:
            raise MonitoringUnavailable(
                f"promtool could not backfill {source}: {done.stderr or done.stdout}")
    config = workdir / "prometheus.yml"
    rule_files = ""
    if rules is not None:
        (workdir / "rules.yml").write_text(rules)
        rule_files = "rule_files: [rules.yml]\n"
    scrapes = ""
    if scrape:
        targets = ", ".join(f'"{target}"' for target in scrape)
        scrapes = ("scrape_configs:\n  - job_name: scraped\n    scrape_interval: 1s\n"
                   f"    static_configs: [{{targets: [{targets}]}}]\n")
    config.write_text(f"global:\n  evaluation_interval: 1s\n{rule_files}{scrapes}")
    port = free_port()
    with _running([binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
                   f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                  f"http://127.0.0.1:{port}", workdir / "prometheus.log") as url:
        yield url


@contextmanager
def running_alertmanager(workdir: Path) -> Iterator[str]:
    """Alertmanager with one receiver that notifies nobody; yields its base URL.

    ``--cluster.listen-address=`` turns gossip off: a lone instance needs no peers, and
    the default port may be taken.
    """
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


def _post(alertmanager_url: str, path: str, body: Any, what: str) -> Any:
    api = HttpApi(HttpEndpoint(name="Alertmanager", url=alertmanager_url))
    try:
        return api.request("POST", path, what=what, json=body)
    except ToolFailure as exc:
        raise MonitoringUnavailable(str(exc)) from exc
    finally:
        api.close()


def post_alerts(alertmanager_url: str, alerts: list[dict[str, Any]]) -> None:
    """What Prometheus does when rules fire: push API v2 postable alerts to Alertmanager."""
    _post(alertmanager_url, "/api/v2/alerts", alerts, f"posting {len(alerts)} alerts")


def create_silences(alertmanager_url: str, silences: list[dict[str, Any]]) -> list[str]:
    """Creates API v2 postable silences; returns their ids in the same order."""
    ids = []
    for silence in silences:
        created = _post(alertmanager_url, "/api/v2/silences", silence, "creating a silence")
        if not isinstance(created, dict) or not isinstance(created.get("silenceID"), str):
            raise MonitoringUnavailable(
                f"Alertmanager at {alertmanager_url} answered a new silence without its id: "
                f"{created!r}")
        ids.append(created["silenceID"])
    return ids
