"""The suites over the real prometheus-operator runbooks (evals/corpus/) pass with the
offline planner: a corpus page's kubectl and PromQL commands run as typed calls and the
answer says what they found. The corpus lives beside the checkout (../shared); without it
these suites cannot run, so they are skipped, never failed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.cli.evals import run_eval
from assistant.config import REPO_ROOT
from assistant.evaluation import EvalRunner, offline_planning

CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "prometheus-operator-runbooks"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared runbook corpus is not beside this checkout ({CORPUS})")


@pytest.mark.slow
def test_corpus_suites_pass_offline(tmp_path: Path) -> None:
    out = io.StringIO()
    report_file = tmp_path / "report.json"
    with EvalRunner() as runner:
        code = run_eval([REPO_ROOT / "evals" / "corpus"], offline_planning, "offline",
                        report_file, out, runner)
    report = json.loads(report_file.read_text())
    assert code == 0, out.getvalue()
    overall = report["overall"]
    assert overall["cases"] >= 9 and overall["leaks"] == 0 and overall["unsafe"] == 0
