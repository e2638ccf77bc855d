"""Small PNG charts of metric series, for a chat thread: axes, unit, title, and the
moment an action ran marked, so "did the rollback help?" is one look.

Input is the series a tool's chart hook picked (a metric query's), from any backend.
Drawing uses matplotlib's object API with the Agg canvas: no display,
no pyplot global state, safe in a server thread.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from assistant.errors import InputError
from assistant.models import Series
from tools import render

ACTION_MARKER_GID = "action-marker"
DEFAULT_SIZE_PX = (800, 400)
DPI = 100
MAX_LEGEND = 8
MAX_THREAD_DIR_CHARS = 200
# A thread id becomes one folder name: no separators, no control characters.
_NOT_IN_FOLDER_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def chart_dir(home: Path, thread_id: str) -> Path:
    """The folder under ``home`` for a thread's chart PNGs; InputError naming the thread id
    when it could not be one folder name inside ``home/charts``."""
    if thread_id in ("", ".", "..") or len(thread_id) > MAX_THREAD_DIR_CHARS \
            or _NOT_IN_FOLDER_NAME.search(thread_id):
        raise InputError(f"{thread_id!r} cannot name a folder of charts: a thread id is at most "
                         f"{MAX_THREAD_DIR_CHARS} characters, without / or \\ or control "
                         "characters, and not . or ..", field="thread id")
    return home / "charts" / thread_id


def _label(labels: Mapping[str, str], varying: Sequence[str], name: str) -> str:
    shown = [f"{k}={labels[k]}" for k in varying if k in labels]
    return ", ".join(shown) if shown else name


def _varying_keys(series: Sequence[Series]) -> list[str]:
    """Label keys whose values differ between series: the ones that tell lines apart."""
    keys = sorted({k for s in series for k in s.labels})
    return [k for k in keys if len({s.labels.get(k) for s in series}) > 1]


def _points(entry: Series) -> tuple[list[datetime], list[float]]:
    times, values = [], []
    for at, value in entry.points:
        times.append(datetime.fromisoformat(at))
        values.append(float(value))
    return times, values


def build_chart(
    series: Sequence[Series],
    *,
    title: str,
    action_at: datetime | None = None,
    action_label: str = "action",
    size_px: tuple[int, int] = DEFAULT_SIZE_PX,
) -> Figure:
    """The figure, before it becomes pixels (tests look at it; chart_png saves it)."""
    width, height = size_px
    if width < 100 or height < 100:
        raise InputError(f"a chart needs at least 100x100 pixels, got {width}x{height}",
                         field="size_px")
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=11)
    units = sorted({s.unit for s in series})
    unit = units[0] if len(units) == 1 else ""
    axes.set_ylabel(unit or ("mixed units" if len(units) > 1 else "value"))
    axes.set_xlabel("time (UTC)")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: render.value(v, unit)))
    # Times go in as Matplotlib date numbers on a date axis: the same ticks as datetimes
    # get, in the types Matplotlib declares.
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    axes.grid(True, alpha=0.3)
    varying = _varying_keys(series)
    drawn = 0
    for entry in series:
        times, values = _points(entry)
        if not times:
            continue
        label = _label(entry.labels, varying, entry.name)
        axes.plot(mdates.date2num(times), values, linewidth=1.5,
                  label=label if drawn < MAX_LEGEND else "_nolegend_")
        drawn += 1
    if drawn == 0:
        axes.text(0.5, 0.5, "no samples in range", transform=axes.transAxes,
                  ha="center", va="center", color="gray")
    if action_at is not None:
        axes.axvline(mdates.date2num(action_at), color="crimson", linestyle="--", linewidth=1.2,
                     gid=ACTION_MARKER_GID)
        axes.annotate(action_label, xy=(mdates.date2num(action_at), 1.0),
                      xycoords=("data", "axes fraction"), xytext=(3, -12),
                      textcoords="offset points", color="crimson", fontsize=8,
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    if drawn > 1:
        extra = drawn - MAX_LEGEND
        axes.legend(fontsize=7, loc="upper left",
                    title=f"+{extra} more" if extra > 0 else None, title_fontsize=7)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def chart_png(
    series: Sequence[Series],
    *,
    title: str,
    action_at: datetime | None = None,
    action_label: str = "action",
    size_px: tuple[int, int] = DEFAULT_SIZE_PX,
) -> bytes:
    """PNG bytes of exactly ``size_px`` pixels; the caller saves or uploads them."""
    figure = build_chart(series, title=title, action_at=action_at,
                         action_label=action_label, size_px=size_px)
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()
