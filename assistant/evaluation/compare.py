"""What got better and worse between two eval reports, per metric and per case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.evaluation.metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER
from assistant.evaluation.report import OVERALL, REPORT_VERSION

# Latency moves this much (relative) between identical runs on a 2-core machine; smaller
# changes are noise and not listed.
LATENCY_TOLERANCE = 0.25


@dataclass(frozen=True)
class Change:
    scope: str  # suite name, "overall", or suite/case
    what: str  # metric name or "case"
    old: Any
    new: Any
    better: bool


def load_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("report not found", source=str(path)) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON report: {exc}", source=str(path)) from exc
    if not isinstance(report, dict) or report.get("version") != REPORT_VERSION:
        raise InputError(f"not an `opsbot eval --json` report of version {REPORT_VERSION}",
                         source=str(path), field="version")
    return report


def _moved(metric: str, old: Any, new: Any) -> bool | None:
    """True if better, False if worse, None if the same (or not comparable)."""
    if old is None or new is None or old == new:
        return None
    if metric.startswith("latency") and abs(new - old) <= LATENCY_TOLERANCE * abs(old):
        return None
    if metric in HIGHER_IS_BETTER:
        return new > old
    if metric in LOWER_IS_BETTER:
        return new < old
    return None


def _metric_changes(scope: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    for metric in (*sorted(HIGHER_IS_BETTER), *sorted(LOWER_IS_BETTER)):
        better = _moved(metric, old.get(metric), new.get(metric))
        if better is not None:
            changes.append(Change(scope, metric, old[metric], new[metric], better))
    return changes


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = _metric_changes(OVERALL, old["overall"], new["overall"])
    old_suites = {s["suite"]: s for s in old["suites"]}
    for suite in new["suites"]:
        before = old_suites.get(suite["suite"])
        if before is None:
            continue
        changes.extend(_metric_changes(suite["suite"], before["metrics"], suite["metrics"]))
        old_cases = {c["id"]: c for c in before["cases"]}
        for case in suite["cases"]:
            was = old_cases.get(case["id"])
            if was is not None and was["passed"] != case["passed"]:
                changes.append(Change(f"{suite['suite']}/{case['id']}", "case",
                                      "pass" if was["passed"] else "fail",
                                      "pass" if case["passed"] else "fail", case["passed"]))
    return changes


def _added_removed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    def ids(report: dict[str, Any]) -> set[str]:
        return {f"{s['suite']}/{c['id']}" for s in report["suites"] for c in s["cases"]}

    before, after = ids(old), ids(new)
    return ([f"  + {i} (new case)" for i in sorted(after - before)]
            + [f"  - {i} (case no longer run)" for i in sorted(before - after)])


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_comparison(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, bool]:
    """The text, and whether quality got worse (a case, or a metric other than latency,
    which is listed but too noisy to fail on)."""
    changes = compare(old, new)
    better = [c for c in changes if c.better]
    worse = [c for c in changes if not c.better]
    out = []
    for title, group in (("Better", better), ("Worse", worse)):
        out.append(f"{title} ({len(group)}):")
        out.extend(f"  {c.scope}: {c.what} {_fmt(c.old)} -> {_fmt(c.new)}" for c in group)
        if not group:
            out.append("  nothing")
    moved = _added_removed(old, new)
    if moved:
        out.append("Cases added or removed:")
        out.extend(moved)
    return "\n".join(out), any(not c.what.startswith("latency") for c in worse)
