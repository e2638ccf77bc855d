"""Remember an endpoint that just failed, so the next question does not wait on it again.

A server that accepts connections but never answers costs a whole LLM phase (the wall-time
limit) before the fallback. After such a failure the breaker stays open for a while and
questions go straight to the offline planner; the first question after that tries the
endpoint again, and a success closes the breaker. Pure: the clock is passed in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, open_seconds: float, clock: Callable[[], float]) -> None:
        self._open_seconds = open_seconds
        self._clock = clock
        self._lock = threading.Lock()  # one planner serves every thread of a replica
        self._failed_at: float | None = None
        self._reason = ""

    def trip(self, reason: str) -> None:
        with self._lock:
            self._failed_at = self._clock()
            self._reason = reason

    def reset(self) -> None:
        with self._lock:
            self._failed_at = None

    def why_open(self) -> str | None:
        """Why the endpoint is skipped now, or None when it may be tried."""
        with self._lock:
            if self._failed_at is None:
                return None
            ago = self._clock() - self._failed_at
            if ago >= self._open_seconds:
                return None
            return (f"it failed {ago:.0f} s ago ({self._reason}); opsbot tries it again "
                    f"{self._open_seconds - ago:.0f} s from now")
