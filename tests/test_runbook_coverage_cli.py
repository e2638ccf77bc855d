"""`opsbot runbooks coverage DIR`: distinct commands, the share a tool runs (reads and
changes apart), and the unmapped forms by frequency. Runbooks here are invented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main

LEDGER = """# Ledger lag

Check `kubectl -n $NAMESPACE describe deployment $DEPLOYMENT` and then:

```console
$ kubectl -n $NAMESPACE get pods
$ kubectl -n $NAMESPACE describe configmap ledger-settings
$ kubectl -n $NAMESPACE get endpoints
```

```shell
kubectl -n $NAMESPACE delete pod -l app=ledger
```
"""
QUEUE = """---
title: Queue backlog
steps:
  - tool: list_pods
    args: {namespace: "{namespace}"}
---
# Queue backlog

```
kubectl get po -n <namespace>
kubectl get endpoints -n <namespace> --selector app=queue
kubectl -n <namespace> rollout restart deployment/queue
```
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "ledger.md").write_text(LEDGER)
    (tmp_path / "queue.md").write_text(QUEUE)
    return tmp_path


def test_coverage_counts_distinct_commands_and_mapped_shares(
    folder: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["runbooks", "coverage", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # "get pods" is written two ways but is one command; typed steps do not hide commands.
    assert report["distinct_commands"] == 7
    assert report["reads"] == {"mapped": 2, "total": 5, "percent": 40.0}
    assert report["changes"] == {"mapped": 1, "total": 2, "percent": 50.0}
    tools = {c["command"]: c["tool"] for c in report["commands"]}
    assert tools["kubectl get pod --namespace={namespace}"] == "list_pods"
    assert tools["kubectl rollout restart deployment queue --namespace={namespace}"] == \
        "restart_deployment"
    assert report["unmapped_forms"][0] == {"form": "kubectl get endpoints", "occurrences": 2,
                                           "distinct": 2}


def test_coverage_prints_a_readable_summary(
    folder: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["runbooks", "coverage", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "2 runbooks, 2 with commands; 7 distinct commands" in out
    assert "reads       2 of 5    map to a tool (40.0%)" in out
    assert "     2   2  kubectl get endpoints" in out


def test_a_runbook_with_broken_front_matter_is_named_and_the_rest_still_count(
    folder: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (folder / "broken.md").write_text("---\ntitle: never closed\n\n`kubectl get pods -n x`\n")
    assert main(["runbooks", "coverage", str(folder), "--json"]) == 1
    captured = capsys.readouterr()
    assert "broken.md" in captured.err and "never closed" in captured.err
    assert json.loads(captured.out)["distinct_commands"] == 7
