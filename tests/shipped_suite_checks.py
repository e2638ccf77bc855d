"""What every run of the shipped eval suites on real services must show."""

from __future__ import annotations

import io
import json
from pathlib import Path

from assistant.cli.evals import DEFAULT_SUITES, run_eval
from assistant.evaluation import EvalRunner, load_suites, offline_planning
from assistant.evaluation.backends import WorldBackends
from assistant.evaluation.runner import _worlds


def _expected_skips() -> set[str]:
    skipped = set()
    for suite in load_suites([DEFAULT_SUITES]):
        if suite.retrieval_only:
            continue
        for group in _worlds(suite.cases):
            if any(c.confirm_as or c.after_minutes for c in group):
                skipped.update(f"{suite.name}/{c.id}" for c in group)
    return skipped


def shipped_read_only_cases_pass(backends: WorldBackends, tmp_path: Path) -> None:
    """Runs the shipped suites on ``backends``: every read-only case passes with no leak,
    and exactly the worlds that act or let time pass are skipped."""
    out = io.StringIO()
    report_file = tmp_path / "report.json"
    with EvalRunner(backends=backends) as runner:
        code = run_eval([DEFAULT_SUITES], offline_planning, "offline", report_file, out, runner)
    report = json.loads(report_file.read_text())
    assert code == 0, out.getvalue()
    assert report["monitoring"] == backends.name and report["passed"]
    skipped = {f"{s['suite']}/{c['id']}" for s in report["suites"] for c in s["skipped"]}
    assert skipped == _expected_skips()
    ran = report["overall"]["cases"]
    assert ran >= 30, f"only {ran} read-only cases ran"
    assert report["overall"]["leaks"] == 0
    assert f"{len(skipped)} skipped" in out.getvalue()
