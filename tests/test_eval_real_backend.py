"""The shipped eval suites' read-only cases pass through the whole real backend: RealBackend
with its Kubernetes half over the API stand-in loaded with each scenario's workloads
(tests/k8s_scenario.py) and its monitoring half over Debian's Prometheus and Alertmanager
loaded with the scenario's metrics, budgets, alerts and silences."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from k8s_scenario import kubernetes_tools, load_world
from k8s_standin import K8sStandin, Recorded
from shipped_suite_checks import shipped_read_only_cases_pass

from assistant.evaluation.backends import (
    BackendFactory,
    RealMonitoringWorlds,
    scenario_monitoring,
)
from assistant.evaluation.suite import Suite
from tools.backend import Backend
from tools.real.backend import RealBackend
from tools.real.monitoring import Monitoring
from tools.real.settings import SloQueries
from tools.sandbox import SandboxBackend


def _never_waits(seconds: float) -> None:
    raise AssertionError(f"a read-only world waited {seconds:g} s, which the loaded "
                         "backends cannot follow")


class RealBackendWorlds(RealMonitoringWorlds):
    """Worlds run on RealBackend at the scenario's fixed now. Per suite one stand-in and
    one Prometheus and Alertmanager serve every world: read-only worlds cannot change them
    (dry runs persist nothing), and worlds that act or wait are skipped as real monitoring
    skips them."""

    name = "real-backend"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.served: dict[str, list[Recorded]] = {}  # suite -> the stand-in's requests

    @contextmanager
    def for_suite(self, suite: Suite, pristine: dict[str, Any]) -> Iterator[BackendFactory]:
        start = SandboxBackend.from_state(pristine)
        now = start.now()

        def clock() -> datetime:
            return now

        with K8sStandin() as standin, scenario_monitoring(
                suite.name, start, self._workdir) as (prometheus, alertmanager):
            load_world(standin, start)
            kube = kubernetes_tools(standin, clock)
            monitoring = Monitoring(prometheus, SloQueries(), alertmanager, clock)

            def world(state: dict[str, Any]) -> Backend:
                if state != pristine:
                    raise ValueError(f"{suite.name}: the loaded backends hold the scenario's "
                                     "start, not this world's state")
                return RealBackend(start.environment, kube, monitoring, clock=clock,
                                   sleep=_never_waits)

            try:
                yield world
            finally:
                kube.cluster.close()
                self.served[suite.name] = list(standin.requests)


@pytest.mark.slow
def test_shipped_suites_read_only_cases_pass_through_the_whole_real_backend(
        tmp_path: Path) -> None:
    worlds = RealBackendWorlds(tmp_path)
    shipped_read_only_cases_pass(worlds, tmp_path)
    # The worlds read their workloads from the stand-in: every suite's inventory, and
    # between them pods, logs and rollout history; their previews were dry runs only.
    requests = [r for served in worlds.served.values() for r in served]
    assert worlds.served and all(any(r.path == "/apis/apps/v1/deployments" for r in served)
                                 for served in worlds.served.values())
    assert any(r.path.endswith("/log") for r in requests)
    assert any(r.path.endswith("/replicasets") for r in requests)
    writes = [r for r in requests if r.method != "GET"]
    assert writes and all(r.query.get("dryRun") == "All" for r in writes)
