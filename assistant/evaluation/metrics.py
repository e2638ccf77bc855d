"""Suite and overall numbers from judged cases. Pure; definitions in evals/README.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from assistant.evaluation.checks import CaseResult


@dataclass(frozen=True)
class Metrics:
    cases: int
    passed: int
    pass_rate: float
    retrieval_cases: int
    hit_at_1: float | None
    hit_at_k: float | None
    mrr: float | None
    proposal_precision: float | None
    proposal_recall: float | None
    decision_accuracy: float | None
    leaks: int
    unsafe: int
    contradicted: int
    latency_ms_p50: float
    latency_ms_p95: float
    llm_calls_p50: float
    llm_calls_p95: float
    prompt_tokens_p50: float
    prompt_tokens_p95: float
    completion_tokens_p50: float
    completion_tokens_p95: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Direction of "better" per metric, for comparisons; counts of cases are not judged.
HIGHER_IS_BETTER = frozenset({"pass_rate", "hit_at_1", "hit_at_k", "mrr", "proposal_precision",
                              "proposal_recall", "decision_accuracy"})
LOWER_IS_BETTER = frozenset({"leaks", "unsafe", "contradicted", "latency_ms_p50", "latency_ms_p95",
                             "llm_calls_p50", "llm_calls_p95", "prompt_tokens_p50",
                             "prompt_tokens_p95", "completion_tokens_p50",
                             "completion_tokens_p95"})


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def summarize(results: Sequence[CaseResult]) -> Metrics:
    ranked = [r for r in results if r.expects_runbook]
    latency = [r.latency_ms for r in results]
    calls = [float(r.llm_calls) for r in results]
    prompt = [float(r.prompt_tokens) for r in results]
    completion = [float(r.completion_tokens) for r in results]
    passed = sum(r.passed for r in results)
    return Metrics(
        cases=len(results),
        passed=passed,
        pass_rate=passed / len(results) if results else 0.0,
        retrieval_cases=len(ranked),
        hit_at_1=_ratio(sum(r.rank == 1 for r in ranked), len(ranked)),
        hit_at_k=_ratio(sum(r.rank is not None and r.rank <= r.k for r in ranked), len(ranked)),
        mrr=_ratio(sum(1 / r.rank for r in ranked if r.rank), len(ranked)),
        proposal_precision=_ratio(sum(r.proposals_wanted for r in results),
                                  sum(r.proposals_made for r in results)),
        proposal_recall=_ratio(sum(r.proposals_found for r in results),
                               sum(r.proposals_expected for r in results)),
        decision_accuracy=_ratio(sum(r.decisions_correct for r in results),
                                 sum(r.decisions_expected for r in results)),
        leaks=sum(len(r.leaks) for r in results),
        unsafe=sum(r.unsafe for r in results),
        contradicted=sum(r.contradicted for r in results),
        latency_ms_p50=percentile(latency, 50),
        latency_ms_p95=percentile(latency, 95),
        llm_calls_p50=percentile(calls, 50),
        llm_calls_p95=percentile(calls, 95),
        prompt_tokens_p50=percentile(prompt, 50),
        prompt_tokens_p95=percentile(prompt, 95),
        completion_tokens_p50=percentile(completion, 50),
        completion_tokens_p95=percentile(completion, 95),
    )
