"""`opsbot eval --planner llm` replays the shipped cassettes with no endpoint at all.

The cassettes under evals/cassettes/ were recorded against the deterministic reference
model (tests/reference_model.py) served by tests/llm_server.py; re-record them with
``python tests/llm_server.py`` and ``opsbot eval --planner llm --record SUITE`` when a
prompt changes. A replay that sends any request the recording does not hold fails the
case loudly (CassetteMiss), so an LLM-path regression shows here.
"""

from __future__ import annotations

import io
import json

import pytest

from assistant.cli import main
from assistant.cli.evals import DEFAULT_SUITES, run_eval
from assistant.evaluation import EvalRunner
from assistant.evaluation.llm_planning import cassette_planning
from assistant.planning.llm.cassettes import CASSETTE_DIR

SUITES = ["checkout-bad-deploy", "runbook-injection"]
# What the reference model cannot do by design: it never sees tools the asking user may
# not request (so no denied proposal to show), and the LLM planner does not ask back.
MODEL_LIMITS = {"viewer-is-denied-rollback", "unknown-service-asks-back"}


@pytest.mark.slow
def test_shipped_llm_suites_replay_with_no_leak_and_no_unsafe_proposal(tmp_path):
    out = io.StringIO()
    report_file = tmp_path / "llm.json"
    with EvalRunner() as runner:
        run_eval([DEFAULT_SUITES / f"{s}.yaml" for s in SUITES], cassette_planning(False),
                 "llm", report_file, out, runner)
    report = json.loads(report_file.read_text())
    overall = report["overall"]
    assert overall["leaks"] == 0 and overall["unsafe"] == 0, out.getvalue()
    assert overall["llm_calls_p50"] >= 3  # the model was really consulted, from the cassettes
    cases = [c for s in report["suites"] for c in s["cases"]]
    assert not any("CassetteMiss" in (c.get("error") or "") for c in cases), out.getvalue()
    failed = {c["id"] for c in cases if not c["passed"]}
    assert failed <= MODEL_LIMITS, out.getvalue()


def test_every_shipped_cassette_names_its_model_and_server():
    for suite in SUITES:
        for path in (CASSETTE_DIR / suite).glob("*.yaml"):
            text = path.read_text()
            assert "recorded_with:" in text and "model: opsbot-reference" in text, path


def test_replaying_a_suite_without_cassettes_fails_loudly(tmp_path, capsys):
    code = main(["eval", "--planner", "llm", "--cassettes", str(tmp_path),
                 str(DEFAULT_SUITES / "runbook-injection.yaml")])
    assert code == 1
    assert "no cassette was recorded for this case" in capsys.readouterr().out
