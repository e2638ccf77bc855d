"""Eval suites: load them, run them against the engine, report and compare the numbers."""

from assistant.evaluation.compare import load_report, render_comparison
from assistant.evaluation.report import build_report, render
from assistant.evaluation.runner import EvalRunner, SuiteResult, offline_planning
from assistant.evaluation.suite import Suite, load_suite, load_suites

__all__ = [
    "EvalRunner",
    "Suite",
    "SuiteResult",
    "build_report",
    "load_report",
    "load_suite",
    "load_suites",
    "offline_planning",
    "render",
    "render_comparison",
]
