"""A service's SLO target and remaining error budget, from configurable PromQL.

`as_of` is the time of the sample itself, not of the query: a recording rule that stopped
evaluating an hour ago shows as an hour old, so policy and people can see stale data.
An instant query only sees samples within Prometheus' lookback (5 min by default); when it
finds none, a subquery looks back LOOKBACK for the last sample there was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.models import ErrorBudget, ToolOutput
from tools import render
from tools.backend import ToolFailure
from tools.outputs import ErrorBudgetReport
from tools.prometheus.client import PrometheusClient, Sample
from tools.real.settings import SERVICE_PLACEHOLDER, SloQueries

LOOKBACK = "6h"
LOOKBACK_STEP = "1m"
STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Latest:
    value: float
    at: datetime


def fill(template: str, service: str) -> str:
    """The template with the service quoted safely for a PromQL string literal."""
    escaped = service.replace("\\", "\\\\").replace('"', '\\"')
    return template.replace(SERVICE_PLACEHOLDER, escaped)


def _key(sample: Sample) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in sample.labels.items() if k != "__name__"))


def _pair(values: Sequence[Sample], stamps: Sequence[Sample],
          pick: Callable[[Sequence[Latest]], Latest]) -> Latest | None:
    if not values:
        return None
    times = {_key(s): s.value for s in stamps}
    candidates = []
    for sample in values:
        stamp = times.get(_key(sample))
        at = sample.at if stamp is None else datetime.fromtimestamp(stamp, sample.at.tzinfo)
        candidates.append(Latest(value=sample.value, at=at))
    return pick(candidates)


def latest(client: PrometheusClient, query: str, now: datetime,
           pick: Callable[[Sequence[Latest]], Latest]) -> Latest | None:
    """The newest sample of ``query`` within LOOKBACK, stamped with its own time.

    Several series (one service with several SLOs) are reduced with ``pick``.
    """
    found = _pair(client.instant(query, now), client.instant(f"timestamp({query})", now), pick)
    if found is not None:
        return found
    window = f"[{LOOKBACK}:{LOOKBACK_STEP}]"
    return _pair(client.instant(f"last_over_time(({query}){window})", now),
                 client.instant(f"last_over_time(timestamp({query}){window})", now), pick)


def _least_left(candidates: Sequence[Latest]) -> Latest:
    return min(candidates, key=lambda c: c.value)


def _strictest(candidates: Sequence[Latest]) -> Latest:
    return max(candidates, key=lambda c: c.value)


def read_error_budget(client: PrometheusClient, queries: SloQueries, service: str,
                      now: datetime) -> ErrorBudget | None:
    """None when Prometheus has no budget sample for the service within LOOKBACK."""
    remaining = latest(client, fill(queries.error_budget, service), now, _least_left)
    if remaining is None:
        return None
    target = latest(client, fill(queries.slo_target, service), now, _strictest)
    if target is not None:
        slo_target = target.value
    elif queries.fixed_slo_target is not None:
        slo_target = queries.fixed_slo_target
    else:
        raise ToolFailure(
            f"service {service!r} has an error budget but no SLO target: "
            f"{fill(queries.slo_target, service)} returned nothing in the last {LOOKBACK}; "
            "fix OPSBOT_SLO_TARGET_QUERY or set OPSBOT_SLO_TARGET")
    return ErrorBudget(service=service, slo_target=slo_target,
                       remaining=round(remaining.value, 6), as_of=remaining.at)


def budget_output(budget: ErrorBudget, now: datetime) -> ToolOutput:
    return ToolOutput(text=render.error_budget_text(budget, now, STALE_AFTER),
                      data=ErrorBudgetReport(
                          service=budget.service,
                          slo_target=budget.slo_target,
                          remaining=budget.remaining,
                          as_of=budget.as_of.isoformat() if budget.as_of else None,
                          stale=budget.as_of is not None and now - budget.as_of > STALE_AFTER,
                      ))
