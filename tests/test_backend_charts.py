"""Metric charts: PNG bytes of the asked size, with axes, unit, title and the action marked."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import matplotlib.dates as mdates
import pytest

from assistant.charts import ACTION_MARKER_GID, build_chart, chart_png
from assistant.errors import InputError
from assistant.models import Series, ToolCall
from tools.backend import run_tool
from tools.sandbox import SandboxBackend

NOW = datetime(2025, 3, 11, 14, 42, tzinfo=UTC)


def _series(pods: tuple[str, ...] = ("a", "b"), unit: str = "ratio") -> list[Series]:
    return [
        Series(name="http_requests_error_ratio", labels={"service": "checkout", "pod": pod},
               unit=unit,
               points=tuple(((NOW - timedelta(minutes=m)).isoformat(),
                             0.21 if m < 30 else 0.0015) for m in range(60, -1, -1)))
        for pod in pods
    ]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_a_png_of_the_requested_size_is_produced() -> None:
    png = chart_png(_series(), title="checkout errors", size_px=(640, 320))
    assert _png_size(png) == (640, 320)
    assert _png_size(chart_png(_series(), title="default size")) == (800, 400)


def test_the_action_time_is_marked_on_the_time_axis() -> None:
    at = NOW - timedelta(minutes=10)
    figure = build_chart(_series(), title="checkout errors", action_at=at,
                         action_label="rollback to 41")
    [axes] = figure.axes
    [marker] = [line for line in axes.lines if line.get_gid() == ACTION_MARKER_GID]
    assert list(marker.get_xdata()) == [mdates.date2num(at)] * 2
    assert "rollback to 41" in [t.get_text() for t in axes.texts]
    unmarked = build_chart(_series(), title="checkout errors")
    assert not [line for line in unmarked.axes[0].lines if line.get_gid() == ACTION_MARKER_GID]


def test_axes_carry_title_unit_legend_and_unit_aware_ticks() -> None:
    figure = build_chart(_series(), title="checkout errors")
    [axes] = figure.axes
    assert axes.get_title() == "checkout errors"
    assert axes.get_ylabel() == "ratio" and axes.get_xlabel() == "time (UTC)"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["pod=a", "pod=b"]
    assert axes.yaxis.get_major_formatter()(0.21, 0) == "21.00%"
    assert len(axes.lines) == 2


def test_mixed_units_are_said_and_an_empty_result_is_shown_not_hidden() -> None:
    mixed = build_chart(_series(("a",)) + _series(("b",), unit="seconds"), title="mixed")
    assert mixed.axes[0].get_ylabel() == "mixed units"
    empty = build_chart([], title="nothing")
    assert "no samples in range" in [t.get_text() for t in empty.axes[0].texts]


def test_a_chart_too_small_to_read_is_refused() -> None:
    with pytest.raises(InputError, match="at least 100x100"):
        chart_png(_series(), title="tiny", size_px=(50, 400))


def test_query_metrics_output_from_a_backend_charts_directly() -> None:
    sandbox = SandboxBackend.load("checkout-bad-deploy")
    out = run_tool(sandbox, ToolCall(tool="query_metrics", args={
        "query": 'http_requests_error_ratio{service="checkout"}', "minutes": 60}))
    assert _png_size(chart_png(out.data.series, title="checkout")) == (800, 400)
