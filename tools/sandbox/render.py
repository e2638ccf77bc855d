"""Text for people: kubectl-like tables, ages and metric values with their units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


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
