"""Prometheus HTTP API: instant and range queries, and the alerts its rules hold.

Responses are validated, so a proxy's HTML page or a changed API is a clear failure
instead of a KeyError deep in a tool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tools.backend import ToolFailure
from tools.real.http import HttpApi


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]  # including __name__ when the query keeps it
    at: datetime
    value: float


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True)
class RuleAlert:
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str  # firing | pending
    active_at: datetime | None


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _VectorItem(_Loose):
    metric: dict[str, str]
    value: tuple[float, str]


class _MatrixItem(_Loose):
    metric: dict[str, str]
    values: list[tuple[float, str]]


class _Vector(_Loose):
    resultType: Literal["vector"]
    result: list[_VectorItem]


class _Matrix(_Loose):
    resultType: Literal["matrix"]
    result: list[_MatrixItem]


class _Scalar(_Loose):
    resultType: Literal["scalar"]
    result: tuple[float, str]


class _QueryEnvelope(_Loose):
    status: Literal["success"]
    data: _Vector | _Matrix | _Scalar = Field(discriminator="resultType")


class _RuleAlert(_Loose):
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    state: str
    activeAt: datetime | None = None


class _AlertsData(_Loose):
    alerts: list[_RuleAlert]


class _AlertsEnvelope(_Loose):
    status: Literal["success"]
    data: _AlertsData


_QUERY = TypeAdapter(_QueryEnvelope)
_ALERTS = TypeAdapter(_AlertsEnvelope)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _value(raw: str) -> float:
    return float(raw)  # Prometheus spells NaN and ±Inf as strings float() accepts


class PrometheusClient:
    def __init__(self, api: HttpApi) -> None:
        self._api = api

    def close(self) -> None:
        self._api.close()

    def instant(self, query: str, at: datetime) -> list[Sample]:
        what = f"evaluating {query!r}"
        body = self._api.request("POST", "/api/v1/query", what=what,
                                 data={"query": query, "time": f"{at.timestamp():.3f}"})
        data = self._api.validated(_QUERY, body, what).data
        if isinstance(data, _Scalar):
            return [Sample(labels={}, at=_at(data.result[0]), value=_value(data.result[1]))]
        if isinstance(data, _Matrix):
            raise ToolFailure(f"{query!r} is a range vector; an instant query needs an "
                              "instant vector or scalar")
        return [Sample(labels=item.metric, at=_at(item.value[0]), value=_value(item.value[1]))
                for item in data.result]

    def range(self, query: str, start: datetime, end: datetime,
              step_seconds: float) -> list[Series]:
        what = f"querying {query!r} over a range"
        body = self._api.request("POST", "/api/v1/query_range", what=what, data={
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step_seconds:g}",
        })
        data = self._api.validated(_QUERY, body, what).data
        if not isinstance(data, _Matrix):
            raise ToolFailure(f"malformed response from Prometheus while {what}: "
                              f"expected a matrix, got {data.resultType}")
        series = []
        for item in data.result:
            points = tuple((_at(t), _value(v)) for t, v in item.values)
            series.append(Series(labels=item.metric,
                                 points=tuple(p for p in points if math.isfinite(p[1]))))
        return series

    def alerts(self) -> list[RuleAlert]:
        what = "listing alerts"
        body = self._api.request("GET", "/api/v1/alerts", what=what)
        data = self._api.validated(_ALERTS, body, what).data
        return [RuleAlert(labels=a.labels, annotations=a.annotations, state=a.state,
                          active_at=a.activeAt) for a in data.alerts]
