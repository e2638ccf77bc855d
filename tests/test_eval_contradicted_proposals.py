"""The eval counts candidate actions the evidence contradicted (dropped by review, or kept
only on the asker's order with the evidence against them), per case, suite and overall, in
the table and the JSON; ``--compare`` calls more of them worse."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from llm_server import Call, Reply, planner_for, scripted_llm_server

from assistant.cli.evals import run_eval
from assistant.evaluation import EvalRunner, render_comparison
from assistant.evaluation.runner import CasePlanning, PlanningFactory
from assistant.evaluation.suite import Case, Suite
from assistant.planning.offline import Planner

SUITE = """suite: contradicted
scenario: tile-renderer-saturation
as: U01ALICE
cases:
  - id: hypothesis
    question: "tile-renderer latency went through the roof, should we roll it back?"
  - id: order
    question: "roll back tile-renderer to revision 30 now"
  - id: evidence-agrees
    question: "tile-renderer is pegged at 96% cpu, what now?"
"""
ROLLBACK = Call("rollback_deployment", {"namespace": "routing", "deployment": "tile-renderer",
                                        "revision": 30, "why": "a log line says so"})
SCALE = Call("scale_deployment", {"namespace": "routing", "deployment": "tile-renderer",
                                  "replicas": 6, "why": "saturated"})


def rollback_unless_pegged(body: dict[str, Any]) -> Reply:
    """A model that wants a rollback, except when the question already says CPU is pegged;
    once a proposal got its answer, it answers."""
    messages = body["messages"]
    if any(m["role"] == "tool" for m in messages):
        return Reply(content="Done [tool:1].")
    question = messages[1]["content"].rsplit("Question:", 1)[1]
    return Reply(calls=(SCALE if "pegged" in question else ROLLBACK,))


@dataclass
class _Scripted:
    planner: Planner
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], str]]:
    folder = tmp_path_factory.mktemp("contradicted")
    suite = folder / "contradicted.yaml"
    suite.write_text(SUITE)
    with scripted_llm_server(responder=rollback_unless_pegged) as llm, EvalRunner() as runner:

        @contextmanager
        def planning(_suite: Suite, _case: Case,
                     _redact: Callable[[str], str]) -> Iterator[CasePlanning]:
            yield _Scripted(planner_for(llm))

        factory: PlanningFactory = planning
        out = io.StringIO()
        run_eval([suite], factory, "llm", folder / "report.json", out, runner)
    yield json.loads((folder / "report.json").read_text()), out.getvalue()


def test_dropped_and_contested_proposals_are_counted_per_case_suite_and_overall(report):
    data, text = report
    (suite,) = data["suites"]
    counts = {c["id"]: c["contradicted"] for c in suite["cases"]}
    assert counts == {"hypothesis": 1, "order": 1, "evidence-agrees": 0}
    assert suite["metrics"]["contradicted"] == 2
    assert data["overall"]["contradicted"] == 2
    header, _rule, row, *_ = text.splitlines()
    column = header.split().index("contra")
    assert row.split()[column] == "2"


def test_compare_calls_more_contradicted_proposals_worse(report):
    old, _ = report
    new = json.loads(json.dumps(old))
    new["overall"]["contradicted"] = 3
    new["suites"][0]["metrics"]["contradicted"] = 3
    text, worse = render_comparison(old, new)
    assert worse
    assert "overall: contradicted 2 -> 3" in text.split("Worse")[1]
    text, worse = render_comparison(new, old)
    assert not worse and "contradicted 3 -> 2" in text.split("Worse")[0]


def test_a_report_from_before_the_count_still_compares(report):
    new, _ = report
    old = json.loads(json.dumps(new))
    del old["overall"]["contradicted"]
    del old["suites"][0]["metrics"]["contradicted"]
    text, worse = render_comparison(old, new)
    assert not worse and "contradicted" not in text

