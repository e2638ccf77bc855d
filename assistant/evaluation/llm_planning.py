"""``--planner llm`` for evals: each case's LLM traffic recorded to, or replayed from,
``evals/cassettes/<suite>/<case>.yaml`` through the LLM planner's cassette helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.config.llm import LLMSettings
from assistant.evaluation.runner import CasePlanning, PlanningFactory
from assistant.evaluation.suite import Case, Suite
from assistant.planning.llm import build_llm_planner
from assistant.planning.llm.cassettes import CASSETTE_DIR, CaseTraffic, eval_settings, llm_cassette
from assistant.planning.offline import OfflinePlanner, Planner


@dataclass
class _CassettePlanning:
    planner: Planner
    traffic: CaseTraffic

    @property
    def requests(self) -> list[str]:
        return self.traffic.requests


def cassette_planning(record: bool, cassette_dir: Path = CASSETTE_DIR,
                      configured: LLMSettings | None = None) -> PlanningFactory:
    """Record against the ``configured`` endpoint (``record``) or replay strictly (CI);
    cassettes live in ``<cassette_dir>/<suite>/<case>.yaml``."""
    settings = eval_settings(record, configured)

    @contextmanager
    def planning(suite: Suite, case: Case,
                 redact: Callable[[str], str]) -> Iterator[CasePlanning]:
        with llm_cassette(case.id, cassette_dir / suite.name, record, redact) as traffic:
            planner = build_llm_planner(traffic.planner_settings(settings), redact,
                                        fallback=OfflinePlanner())
            yield _CassettePlanning(planner, traffic)

    return planning
