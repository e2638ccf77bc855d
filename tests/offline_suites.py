"""Runs eval suite folders with the offline planner, for the modules that check they pass."""

from __future__ import annotations

import io
import json
from pathlib import Path

from assistant.cli.evals import run_eval
from assistant.evaluation import EvalRunner, offline_planning


def assert_passes_offline(folder: Path, at_least: int, tmp_path: Path) -> None:
    """Every case in ``folder`` passes, nothing leaks, nothing unsafe is proposed, and the
    folder holds at least ``at_least`` cases (so a suite cannot pass by shrinking)."""
    out = io.StringIO()
    report_file = tmp_path / "report.json"
    with EvalRunner() as runner:
        code = run_eval([folder], offline_planning, "offline", report_file, out, runner)
    report = json.loads(report_file.read_text())
    assert code == 0, out.getvalue()
    overall = report["overall"]
    assert overall["cases"] >= at_least and overall["leaks"] == 0 and overall["unsafe"] == 0
