"""Where an eval world's backend comes from: the sandbox alone (the default), or the
sandbox's workloads beside a real Prometheus and Alertmanager loaded with the scenario.

Real monitoring holds the scenario's data as it stands at the scenario's start: history up
to then, the alerts firing then, the silences active then. Nothing moves it afterwards, so
only worlds that read run there; worlds that execute an action or let time pass would need
Prometheus and Alertmanager to follow the simulation, and are skipped with that reason.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.evaluation.suite import Case, Suite
from tools.alertmanager.client import AlertmanagerClient
from tools.backend import Backend
from tools.prometheus.client import PrometheusClient
from tools.real.http import HttpApi
from tools.real.monitored_sandbox import MonitoredSandbox
from tools.real.monitoring import Monitoring
from tools.real.settings import HttpEndpoint, SloQueries
from tools.sandbox import SandboxBackend

# One world's backend, made fresh from the suite's pristine scenario state.
BackendFactory = Callable[[dict[str, Any]], Backend]

HTTP_TIMEOUT_SECONDS = 10.0


class WorldBackends(Protocol):
    """Opens what a suite's worlds run against, and says which worlds cannot run there."""

    name: str

    def skip_reason(self, cases: Sequence[Case]) -> str | None:
        """None when a world of these cases can run; otherwise why not."""
        ...

    def for_suite(self, suite: Suite,
                  pristine: dict[str, Any]) -> AbstractContextManager[BackendFactory]: ...


class SandboxWorlds:
    """Every world runs on a fresh sandbox."""

    name = "sandbox"

    def skip_reason(self, cases: Sequence[Case]) -> str | None:
        return None

    @contextmanager
    def for_suite(self, suite: Suite, pristine: dict[str, Any]) -> Iterator[BackendFactory]:
        yield SandboxBackend.from_state


class RealMonitoringWorlds:
    """Worlds read metrics, alerts and error budgets from Debian's Prometheus and
    Alertmanager, started on loopback per suite and loaded with its scenario."""

    name = "real"

    def __init__(self, workdir: Path | None = None) -> None:
        self._workdir = workdir

    def skip_reason(self, cases: Sequence[Case]) -> str | None:
        shared = "" if len(cases) == 1 else " (the cases of its thread or world go with it)"
        for case in cases:
            if case.confirm_as:
                return (f"{case.id} executes an action, which the loaded monitoring data "
                        f"cannot follow{shared}")
            if case.after_minutes:
                return (f"{case.id} lets {case.after_minutes:g} min pass, which the loaded "
                        f"monitoring data cannot follow{shared}")
        return None

    @contextmanager
    def for_suite(self, suite: Suite, pristine: dict[str, Any]) -> Iterator[BackendFactory]:
        start = SandboxBackend.from_state(pristine)
        with scenario_monitoring(suite.name, start, self._workdir) as (prometheus, alertmanager):

            def world(state: dict[str, Any]) -> Backend:
                sandbox = SandboxBackend.from_state(state)
                return MonitoredSandbox(
                    sandbox, Monitoring(prometheus, SloQueries(), alertmanager, sandbox.now))

            yield world


@contextmanager
def scenario_monitoring(
    name: str, start: SandboxBackend, workdir: Path | None = None,
) -> Iterator[tuple[PrometheusClient, AlertmanagerClient]]:
    """Prometheus and Alertmanager started on loopback and loaded with the world ``start``
    (metrics and budgets up to its now, the alerts and silences active then); yields
    clients for both and stops everything on exit. ``name`` labels the temporary folder."""
    # Imported here: the launchers are only needed when real monitoring is asked for.
    from assistant.evaluation.local_monitoring import (
        create_silences,
        post_alerts,
        running_alertmanager,
        running_prometheus,
    )
    from assistant.evaluation.scenario_monitoring import (
        alertmanager_alerts,
        alertmanager_silences,
        scenario_openmetrics,
    )

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix=f"monitoring-{name}-", dir=workdir)))
        (folder / "prometheus").mkdir()
        (folder / "alertmanager").mkdir()
        prometheus_url = stack.enter_context(
            running_prometheus(folder / "prometheus", scenario_openmetrics(start)))
        alertmanager_url = stack.enter_context(running_alertmanager(folder / "alertmanager"))
        wall_now = datetime.now(UTC)
        post_alerts(alertmanager_url, alertmanager_alerts(start, wall_now))
        create_silences(alertmanager_url, alertmanager_silences(start, wall_now))
        prometheus = PrometheusClient(HttpApi(HttpEndpoint(
            name="Prometheus", url=prometheus_url, timeout_seconds=HTTP_TIMEOUT_SECONDS)))
        stack.callback(prometheus.close)
        alertmanager = AlertmanagerClient(HttpApi(HttpEndpoint(
            name="Alertmanager", url=alertmanager_url, timeout_seconds=HTTP_TIMEOUT_SECONDS)))
        stack.callback(alertmanager.close)
        yield prometheus, alertmanager


def world_backends(name: str) -> WorldBackends:
    """By the name `opsbot eval --monitoring` takes."""
    return {"sandbox": SandboxWorlds, "real": RealMonitoringWorlds}[name]()
