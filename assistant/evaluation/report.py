"""The eval report: a console table per suite and overall, failed cases with why, and the
same content as JSON (the input of ``--compare``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from assistant.evaluation.checks import find_leaks
from assistant.evaluation.metrics import summarize
from assistant.evaluation.runner import SuiteResult

REPORT_VERSION = 1
OVERALL = "overall"

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cases", "cases"),
    ("pass", "pass_rate"),
    ("hit@1", "hit_at_1"),
    ("hit@k", "hit_at_k"),
    ("MRR", "mrr"),
    ("prec", "proposal_precision"),
    ("recall", "proposal_recall"),
    ("decision", "decision_accuracy"),
    ("leaks", "leaks"),
    ("unsafe", "unsafe"),
    ("contra", "contradicted"),
    ("p50 ms", "latency_ms_p50"),
    ("p95 ms", "latency_ms_p95"),
    ("LLM calls p50/p95", "llm_calls"),
    ("prompt tok p50/p95", "prompt_tokens"),
    ("compl tok p50/p95", "completion_tokens"),
)


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    return f"{value:.3f}" if value < 10 else f"{value:.0f}"


def _cell(metrics: dict[str, Any], key: str) -> str:
    if f"{key}_p50" in metrics and key not in metrics:
        return f"{_number(metrics[f'{key}_p50'])}/{_number(metrics[f'{key}_p95'])}"
    return _number(metrics[key])


def build_report(results: Sequence[SuiteResult], planner: str,
                 monitoring: str = "sandbox") -> dict[str, Any]:
    overall = summarize([c for r in results for c in r.cases])
    return {
        "version": REPORT_VERSION,
        "planner": planner,
        "monitoring": monitoring,
        "passed": all(r.passed for r in results),
        "skipped": sum(len(r.skipped) for r in results),
        "overall": overall.as_dict(),
        "suites": [
            {
                "suite": r.suite.name,
                "path": str(r.suite.path),
                "scenario": r.suite.scenario.stem if r.suite.scenario else None,
                "min_pass": r.suite.min_pass,
                "passed": r.passed,
                "setup_ms": round(r.setup_ms, 1),
                "metrics": r.metrics.as_dict(),
                "cases": [asdict(c) for c in r.cases],
                "skipped": [{"id": case, "reason": why} for case, why in r.skipped],
            }
            for r in results
        ],
    }


def render_table(report: dict[str, Any]) -> str:
    rows = [(s["suite"], s["metrics"]) for s in report["suites"]]
    rows.append((OVERALL, report["overall"]))
    header = ["suite", *(title for title, _ in _COLUMNS)]
    body = [[name, *(_cell(m, key) for _, key in _COLUMNS)] for name, m in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *(line(r) for r in body[:-1]), rule, line(body[-1])])


def render_failures(report: dict[str, Any]) -> str:
    out = []
    for suite in report["suites"]:
        failed = [c for c in suite["cases"] if not c["passed"]]
        if not failed:
            continue
        m = suite["metrics"]
        verdict = "FAILED" if not suite["passed"] else (
            f"passes: {m['passed']}/{m['cases']} meets min_pass {suite['min_pass']}")
        out.append(f"\n{suite['suite']}: {len(failed)} failed case(s) — {verdict}")
        for case in failed:
            out.append(f"  ✗ {case['id']}")
            out.extend(f"      {why}" for why in case["failures"])
    return "\n".join(out)


def render_skipped(report: dict[str, Any]) -> str:
    out = []
    for suite in report["suites"]:
        if suite.get("skipped"):
            out.append(f"\n{suite['suite']}: {len(suite['skipped'])} case(s) skipped")
            out.extend(f"  - {s['id']}: {s['reason']}" for s in suite["skipped"])
    return "\n".join(out)


def render(report: dict[str, Any]) -> str:
    verdict = "PASS" if report["passed"] else "FAIL"
    skipped = report.get("skipped", 0)
    real = report.get("monitoring", "sandbox") != "sandbox"
    monitoring = f", monitoring {report['monitoring']}" if real else ""
    ran = (f"{report['overall']['passed']}/{report['overall']['cases']} cases passed"
           + (f", {skipped} skipped" if skipped else ""))
    return (f"{render_table(report)}\n{render_failures(report)}\n{render_skipped(report)}\n\n"
            f"eval {verdict} ({ran}, planner {report['planner']}{monitoring})"
            ).replace("\n\n\n\n", "\n\n").replace("\n\n\n", "\n\n")


def report_leaks(report: dict[str, Any], results: Sequence[SuiteResult],
                 texts: Sequence[str]) -> list[str]:
    """Cases whose never_shows values appear in the report itself (console or JSON)."""
    joined = {"the report": "\n".join(texts)}
    return [f"{r.suite.name}/{case.id}: {leak}"
            for r in results for case in r.suite.cases
            for leak in find_leaks(case.expect.never_shows, joined)]
