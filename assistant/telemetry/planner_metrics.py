"""Counts what a planner spent: model calls, tokens, and questions an LLM planner had to
answer from runbook steps instead (endpoint down, context too small, breaker open)."""

from __future__ import annotations

from assistant.planning.offline import Plan, Planner, PlanRequest, ReadOnlyRunner
from assistant.telemetry.metrics import Metrics


class MeteredPlanner:
    """A ``Planner`` that counts ``inner``'s plans; ``uses_llm`` says a plan that did not
    come from the model is a fallback."""

    def __init__(self, inner: Planner, metrics: Metrics, *, uses_llm: bool) -> None:
        self.inner = inner
        self._metrics = metrics
        self._uses_llm = uses_llm

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        plan = self.inner.plan(request, run_read_only)
        m = self._metrics
        m.llm_calls.inc(plan.llm_calls)
        m.llm_tokens.labels(kind="prompt").inc(plan.prompt_tokens)
        m.llm_tokens.labels(kind="completion").inc(plan.completion_tokens)
        if self._uses_llm and plan.planner != "llm":
            m.llm_fallbacks.inc()
        return plan
