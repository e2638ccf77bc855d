"""query_metrics against Prometheus: a range query shaped like the sandbox's series.

Prometheus does not say what unit a series has; its naming conventions do, so the unit
comes from the metric name's suffix (`_seconds`, `_bytes`, `_ratio`, ...).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from assistant.models import Series as MetricSeriesEntry
from assistant.models import ToolOutput
from tools import render
from tools.catalog import QueryMetricsArgs
from tools.outputs import MetricSeries
from tools.prometheus.client import PrometheusClient, Series

# About this many points per series: enough for a chart, small enough for an LLM prompt.
TARGET_POINTS = 120
MIN_STEP_SECONDS = 15

_UNIT_SUFFIXES = (
    ("_seconds", "seconds"),
    ("_bytes", "bytes"),
    ("_ratio", "ratio"),
    ("_per_second", "per second"),
    ("_total", "total"),
    ("_celsius", "celsius"),
)


def unit_of(metric_name: str) -> str:
    """The unit Prometheus naming conventions encode in the name; "" when none does."""
    for suffix, unit in _UNIT_SUFFIXES:
        if metric_name.endswith(suffix):
            return unit
    return ""


def step_for(minutes: int) -> int:
    return max(MIN_STEP_SECONDS, math.ceil(minutes * 60 / TARGET_POINTS))


def series_data(query: str, series: Series) -> MetricSeriesEntry:
    labels = {k: v for k, v in series.labels.items() if k != "__name__"}
    name = series.labels.get("__name__", query)
    return MetricSeriesEntry(
        name=name,
        labels=labels,
        unit=unit_of(name),
        points=tuple((t.isoformat(), v) for t, v in series.points),
    )


def query_metrics(client: PrometheusClient, args: QueryMetricsArgs, now: datetime) -> ToolOutput:
    step = step_for(args.minutes)
    found = client.range(args.query, now - timedelta(minutes=args.minutes), now, step)
    series = [series_data(args.query, s) for s in found]
    if not series:
        return ToolOutput(text=f"no series returned for {args.query} in the last "
                               f"{args.minutes} min", data=MetricSeries(series=[]))
    text = f"last {args.minutes} min, {len(series)} series (step {step}s):\n" + "\n".join(
        render.series_text(s) for s in series)
    return ToolOutput(text=text, data=MetricSeries(series=series))
