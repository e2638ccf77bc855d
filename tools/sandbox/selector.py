"""The subset of PromQL the sandbox answers: an instant vector selector.

`http_requests_error_ratio{namespace="shop", deployment=~"check.*"}` — a metric name with
optional label matchers, or matchers alone (`{namespace="shop", deployment="checkout"}`,
every series of a workload whatever its name; `__name__` matches the name), with the four
matcher operators, nothing else (no functions, no ranges). A metric query may also filter
the selected series by comparing them with a number (`up == 0`, `ratio > 0.05`), as
runbooks write their checks.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_VECTOR = re.compile(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*", re.DOTALL)
NAME_LABEL = "__name__"
# PromQL's filtering comparison, without `bool`: a selector, an operator, a number.
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_COMPARISON = re.compile(rf"(.*?)\s*(==|!=|>=|<=|>|<)\s*({_NUMBER})\s*", re.DOTALL)
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
    ">=": operator.ge, "<=": operator.le,
}
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class Selector:
    metric: str | None  # None: any name the matchers allow
    matchers: tuple[Matcher, ...] = ()

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        if self.metric is not None and name != self.metric:
            return False
        named = {**labels, NAME_LABEL: name}
        return all(m.matches(named) for m in self.matchers)


@dataclass(frozen=True)
class Comparison:
    """``<selector> <op> <number>``: at each instant, PromQL keeps a sample only when the
    comparison holds, so a series with no sample left drops out of the result."""

    op: str
    value: float

    def keeps(self, sample: float) -> bool:
        return _OPERATORS[self.op](sample, self.value)


def parse_query(query: str) -> tuple[Selector, Comparison | None]:
    """A metric query: a selector, optionally filtered by a comparison with a number."""
    compared = _COMPARISON.fullmatch(query)
    if compared is None:
        return parse_selector(query), None
    return parse_selector(compared[1]), Comparison(compared[2], float(compared[3]))


def parse_selector(query: str) -> Selector:
    """Parse ``query``; ValueError says what the sandbox accepts."""
    vector = _VECTOR.fullmatch(query)
    if vector is None or not (vector.group(1) or (vector.group(2) or "").strip()):
        raise ValueError(
            f"unsupported query {query!r}: the sandbox answers a metric name with an "
            'optional {label="value", ...} selector, or the selector alone '
            "(operators = != =~ !~)"
        )
    metric, body = vector.group(1), (vector.group(2) or "").strip()
    matchers: list[Matcher] = []
    pos = 0
    while pos < len(body):
        m = _MATCHER.match(body, pos)
        if m is None:
            raise ValueError(f"cannot parse label matchers in {query!r} at {body[pos:]!r}")
        label, op, raw = m.group(1), m.group(2), m.group(3)
        value = re.sub(r"\\(.)", r"\1", raw)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regular expression {value!r} in {query!r}: {exc}") from exc
        matchers.append(Matcher(label, op, value))
        pos = m.end()
    if metric is None and not any(m.op in ("=", "=~") and m.value for m in matchers):
        # PromQL's own rule: a selector without a name must not match every series.
        raise ValueError(f"{query!r} names no metric, so it needs a matcher that is not empty")
    return Selector(metric, tuple(matchers))
