"""Every way a scenario file can be wrong is reported with its file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from tools.sandbox import load_scenario

VALID = """\
name: tiny
description: one web deployment with a bad revision
environment: prod
clock:
  start: 2025-01-01T12:00:00Z
services:
  - {name: web, slo_target: 0.999, error_budget: {remaining: 0.5}}
deployments:
  - namespace: app
    name: web
    service: web
    replicas: 2
    current_revision: 2
    history:
      - {revision: 1, image: "web:1", change: first, healthy: true}
      - {revision: 2, image: "web:2", change: second, healthy: false, error_ratio: 0.2}
metrics:
  - name: http_requests_error_ratio
    labels: {namespace: app, deployment: web}
    unit: ratio
    points: [[2025-01-01T11:00:00Z, 0.001], [2025-01-01T12:00:00Z, 0.2]]
    model: {kind: deployment, deployment: app/web, signal: error_ratio}
alerts:
  - name: HighErrorRate
    labels: {namespace: app, deployment: web}
    severity: critical
    annotations: {summary: web fails}
    since: 2025-01-01T11:50:00Z
    condition: {query: 'http_requests_error_ratio{deployment="web"}', above: 0.05}
"""


def write(tmp_path: Path, text: str, name: str = "tiny") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def load_error(tmp_path: Path, old: str, new: str) -> tuple[InputError, str]:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, text))
    return info.value, text


def test_the_valid_base_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, VALID))
    assert scenario.deployments[0].key == "app/web"


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    err, text = load_error(tmp_path, "    service: web\n", "    service: web: broken\n")
    assert err.source and err.source.endswith("tiny.yaml")
    assert err.line == line_of(text, "service: web: broken")
    assert "invalid YAML" in err.message


def pods(first: str) -> str:
    return f"    pods:\n      - {first}\n      - {{name: web-abcde-22222}}\nmetrics:\n"


@pytest.mark.parametrize(
    ("old", "new", "field", "says", "at"),
    [
        ("replicas: 2", "replicas: two", "deployments.0.replicas", "valid integer",
         "replicas: two"),
        ("    replicas: 2\n", "    replicas: 2\n    replica: 3\n", "deployments.0.replica",
         "Extra inputs", "replica: 3"),
        ("start: 2025-01-01T12:00:00Z", "start: 2025-01-01 12:00:00", "clock.start",
         "timezone", "start: 2025"),
        ("start: 2025-01-01T12:00:00Z", "start: 2025-02-30T12:00:00Z", "clock.start",
         "'2025-02-30T12:00:00Z' is not a valid timestamp", "start: 2025"),
        ("    replicas: 2\n", "    replicas: 2\n    replicas: 20\n", "deployments.0.replicas",
         "duplicate key 'replicas'", "replicas: 20"),
        ("current_revision: 2", "current_revision: 3", "deployments.0.current_revision",
         "not in history", "current_revision: 3"),
        ("service: web\n", "service: webb\n", "deployments.0.service", "not in services",
         "service: webb"),
        ("deployment: app/web, signal", "deployment: app/webb, signal",
         "metrics.0.model.deployment", "not found", "app/webb"),
        ("labels: {namespace: app, deployment: web}\n    severity",
         "labels: {namespace: ap, deployment: web}\n    severity", "alerts.0.labels.namespace",
         "namespace 'ap' not found", "namespace: ap,"),
        ("labels: {namespace: app, deployment: web}\n    severity",
         "labels: {namespace: app, deployment: api}\n    severity", "alerts.0.labels.deployment",
         "app/api not found", "deployment: api}"),
        ('{deployment="web"}', '{deployment="api"}', "alerts.0.condition.query",
         "matches no series", 'deployment="api"'),
        ('{deployment="web"}', "{deployment=web}", "alerts.0.condition.query",
         "cannot parse label matchers", "deployment=web"),
        ("metrics:\n", pods("{name: web-abcde-11111, revision: 7}"),
         "deployments.0.pods.0.revision", "revision 7 is not in history", "web-abcde-11111"),
        ("metrics:\n", pods("{name: web-abcde-11111, reason: CrashLoopBackOff, ready: false}"),
         "deployments.0.pods.0.reason", "needs revision 2 to have `crash`", "web-abcde-11111"),
        ("metrics:\n", pods("{name: web-abcde-11111, memory_mib: 300}"),
         "deployments.0.pods.0.memory_mib", "needs the deployment's `memory`", "web-abcde-11111"),
        ("metrics:\n", "    pods:\n      - {name: web-abcde-11111}\nmetrics:\n",
         "deployments.0.pods", "1 pods listed but replicas is 2", "web-abcde-11111"),
        ("change: first, healthy: true}", "change: first, healthy: true, crash: {}}",
         "deployments.0.history.0", "cannot be healthy", "crash: {}"),
        ("[2025-01-01T12:00:00Z, 0.2]", "[2025-01-01T12:05:00Z, 0.2]", "metrics.0.points.1",
         "after clock.start", "12:05:00Z"),
    ],
)
def test_errors_name_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, says: str, at: str
) -> None:
    err, text = load_error(tmp_path, old, new)
    assert err.field == field
    assert says in err.message
    assert err.line == line_of(text, at)


def test_scenario_name_must_match_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, VALID, name="other"))
    assert info.value.field == "name"
    assert info.value.line == 1


def test_unknown_scenario_name_lists_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    with pytest.raises(InputError, match=r"unknown scenario 'tinny'.*tiny"):
        load_scenario("tinny", tmp_path)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "nowhere.yaml")
