"""The launchers of tests/monitoring_services.py: a missing binary fails the test naming
the install script, and what they serve is what they were given."""

from __future__ import annotations

import math
import time
from pathlib import Path

import httpx
import pytest
from monitoring_services import prometheus, require_binary

from assistant.evaluation import local_monitoring
from assistant.evaluation.local_monitoring import (
    INSTALL_SCRIPT,
    MonitoringUnavailable,
    openmetrics,
)


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
