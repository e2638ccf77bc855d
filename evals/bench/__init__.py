"""Benchmarks that print numbers (python -m evals.bench.<name>)."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from types import ModuleType


def baseline(module: str) -> ModuleType:
    """A library a benchmark measures against, or a clear way to get it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SystemExit(
            f"this benchmark compares against {module.split('.')[0]}, which is not installed: "
            "run .venv/bin/pip install -e '.[bench]'") from None


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Seconds each of ``runs`` calls of ``fn`` took."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples
