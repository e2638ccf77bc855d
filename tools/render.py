"""Text for people: kubectl-like tables, ages and metric values with their units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from assistant.models import ErrorBudget, Series
from tools.outputs import AlertRow


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )


def age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return f"{max(0, int(delta.total_seconds()))}s"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"


def clock(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def value(v: float, unit: str) -> str:
    if unit == "ratio":
        return f"{v:.2%}"
    if unit == "seconds":
        return f"{v * 1000:.0f}ms" if v < 1 else f"{v:.2f}s"
    if unit == "bytes":
        gib = v / 1024**3
        return f"{gib:.1f}Gi" if gib >= 10 else f"{v / 1024**2:.0f}Mi"
    return f"{v:g}"


def labels(pairs: dict[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in sorted(pairs.items()))


# Text for the tools' structured data, shared by every backend so the same data always reads
# the same way. Each takes entries in the catalog's data shapes.


def series_text(entry: Series) -> str:
    """One element of query_metrics' ``series``: head, now/min/max and a few samples."""
    unit = entry.unit
    head = f"{entry.name}{{{labels(entry.labels)}}}" + (f" ({unit})" if unit else "")
    points = [(datetime.fromisoformat(t), v) for t, v in entry.points]
    if not points:
        return f"{head}: no samples in range"
    values = [v for _, v in points]
    picks = points[:: max(1, len(points) // 6)]
    if picks[-1] is not points[-1]:
        picks.append(points[-1])
    samples = ", ".join(f"{t.strftime('%H:%M')} {value(v, unit)}" for t, v in picks)
    return (
        f"{head}: now {value(values[-1], unit)}, min {value(min(values), unit)}, "
        f"max {value(max(values), unit)}\n  {samples}"
    )


def alert_text(entry: AlertRow, now: datetime) -> str:
    """One element of list_alerts' ``alerts``; ``since`` may be None when unknown."""
    since = ""
    if entry.since:
        at = datetime.fromisoformat(entry.since)
        since = f" since {clock(at)} ({age(now - at)})"
    return (
        f"{entry.name} [{entry.state}, {entry.severity}]{since} "
        f"{{{labels(entry.labels)}}}\n  {entry.summary}"
    )


def error_budget_text(budget: ErrorBudget, now: datetime, stale_after: timedelta) -> str:
    if budget.remaining is None:
        left = "unknown (no SLO data)"
    elif budget.remaining < 0:
        left = f"{budget.remaining:.1%} (exhausted: overspent)"
    else:
        left = f"{budget.remaining:.1%} left"
    stale = ""
    if budget.as_of is not None and now - budget.as_of > stale_after:
        stale = f" (stale: last computed {age(now - budget.as_of)} ago)"
    as_of = clock(budget.as_of) if budget.as_of else "-"
    return (
        f"service {budget.service}: SLO target {budget.slo_target:.2%}, "
        f"error budget {left}, as of {as_of}{stale}"
    )
