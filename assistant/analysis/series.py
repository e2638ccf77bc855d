"""What a metric series says, in numbers a finding can quote. Pure.

Series come from any backend, so their names vary; a signal is recognised from the metric
name the way a person reading a dashboard would (memory working set, CPU, request rate,
latency, error ratio, restarts). Shapes are summarised robustly enough for the two
questions analyzers ask: did it step up (when, from what to what) and does it saw-tooth
(climb, drop, climb again).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from assistant.models import Series


class Signal(StrEnum):
    MEMORY = "memory"
    CPU = "cpu"
    REQUEST_RATE = "request rate"
    LATENCY = "latency"
    ERROR_RATIO = "error ratio"
    RESTARTS = "restarts"
    OTHER = "other"


_SIGNALS: tuple[tuple[Signal, re.Pattern[str]], ...] = (
    (Signal.RESTARTS, re.compile(r"restart")),
    (Signal.ERROR_RATIO, re.compile(r"error|5xx|fail")),
    (Signal.LATENCY, re.compile(r"latency|duration|response_time")),
    (Signal.MEMORY, re.compile(r"memory|_rss\b|working_set|heap")),
    # Throttling is the share of periods a CPU limit held the container back, not how busy
    # its CPUs are.
    (Signal.OTHER, re.compile(r"throttl")),
    (Signal.CPU, re.compile(r"cpu")),
    (Signal.REQUEST_RATE, re.compile(
        r"requests?_(?:per_second|rate)|_r(?:eq)?ps\b|_qps\b|requests_total|throughput")),
)
# A rate the name does not spell out is still told by its unit (ingress_http_hits, req/s).
_RATE_UNITS = re.compile(r"^(?:req(?:uest)?s?|queries|hits|calls)\s*/\s*s(?:ec(?:ond)?)?$|^[rq]ps$")


def signal_of(name: str, unit: str = "") -> Signal:
    lowered = name.lower()
    for signal, pattern in _SIGNALS:
        if pattern.search(lowered):
            return signal
    if _RATE_UNITS.search(unit.strip().lower()):
        return Signal.REQUEST_RATE
    return Signal.OTHER


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


def points(series: Series) -> list[Point]:
    return [Point(datetime.fromisoformat(t), float(v)) for t, v in series.points]


@dataclass(frozen=True)
class Shape:
    """A series reduced to what findings quote."""

    first: Point
    last: Point
    low: float
    high: float
    drops: tuple[Point, ...]  # where it fell sharply after climbing: restarts, cleanups
    climbing: bool  # rises between drops (or overall, with no drops)

    @property
    def ratio(self) -> float:
        """last / first, guarded against a zero start."""
        return self.last.value / self.first.value if self.first.value else float("inf")


# A fall of at least this share of the series' range counts as a drop (an OOM kill, a
# janitor run), not noise...
DROP_SHARE = 0.3
# ...when it is also this share of the series' level: on a flat series the range is the
# jitter itself, and a wobble of a megabyte is no restart.
DROP_OF_LEVEL = 0.05


def shape(series: Series) -> Shape | None:
    pts = points(series)
    if len(pts) < 2:
        return None
    values = [p.value for p in pts]
    low, high = min(values), max(values)
    spread = high - low
    drops: list[Point] = []
    rises = falls = 0.0
    for before, after in itertools.pairwise(pts):
        delta = after.value - before.value
        if spread and -delta >= DROP_SHARE * spread and -delta >= DROP_OF_LEVEL * abs(high):
            drops.append(after)
        elif delta > 0:
            rises += delta
        else:
            falls -= delta
    climbing = rises > 0 and rises > 2 * falls
    return Shape(first=pts[0], last=pts[-1], low=low, high=high, drops=tuple(drops),
                 climbing=climbing)


@dataclass(frozen=True)
class Step:
    """A level change: the series sat near ``before`` and now sits near ``after``."""

    at: datetime
    before: float
    after: float


def step_up(series: Series, factor: float, floor: float = 0.0) -> Step | None:
    """The first time the series rose to ``factor`` times its starting level (and above
    ``floor``) and stayed there to the end; None when it never did."""
    pts = points(series)
    if len(pts) < 2:
        return None
    base = pts[0].value
    threshold = max(base * factor, floor)
    if pts[-1].value < threshold or base >= threshold:
        return None
    crossing = None
    for p in pts:
        crossing = crossing or p if p.value >= threshold else None
    if crossing is None:
        return None
    return Step(at=crossing.at, before=base, after=pts[-1].value)


def flat(series: Series, tolerance: float = 0.25) -> bool:
    """True when every point is within ``tolerance`` (relative) of the median."""
    values = sorted(float(v) for _, v in series.points)
    if not values:
        return False
    median = values[len(values) // 2]
    if median == 0:
        return values[-1] == 0
    return all(abs(v - median) <= tolerance * abs(median) for v in values)


def render_value(value: float, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    if unit == "ratio":
        return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"
    if unit == "seconds":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
    if abs(value) >= 100:
        return f"{value:.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def render_series(series: Series) -> str:
    labels = ", ".join(f'{k}="{v}"' for k, v in sorted(series.labels.items()))
    return f"{series.name}{{{labels}}}"


def of_signal(all_series: Sequence[Series], signal: Signal) -> list[Series]:
    return [s for s in all_series if signal_of(s.name, s.unit) is signal]
