"""Whether this process can do its work now, for a server's health endpoint.

Each check is a function that raises when its dependency is unusable (the database
first; policy, index and chat connection can join). A background thread runs them every
interval and the endpoint reads the last report, so answering a probe never waits for a
database that is down, and a load balancer stops sending work to a replica that would
answer every request with "could not record".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Check = Callable[[], None]


@dataclass(frozen=True)
class ReadinessReport:
    failing: Mapping[str, str] = field(default_factory=dict)  # check name -> why
    checked_at: float | None = None  # time.monotonic() of the probe; None before the first

    @property
    def ready(self) -> bool:
        return self.checked_at is not None and not self.failing

    def to_json(self) -> str:
        if self.checked_at is None:
            return json.dumps({"status": "starting"})
        if not self.failing:
            return json.dumps({"status": "ok"})
        return json.dumps({"status": "unavailable", "failing": dict(self.failing)})


class Readiness:
    def __init__(self, checks: Mapping[str, Check], interval_seconds: float) -> None:
        self._checks = dict(checks)
        self.interval_seconds = interval_seconds
        self._report = ReadinessReport()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def probe(self) -> ReadinessReport:
        """Run every check now and keep the result as the current report."""
        failing: dict[str, str] = {}
        for name, check in self._checks.items():
            try:
                check()
            except Exception as exc:  # any failure means not ready; the reason is reported
                failing[name] = str(exc) or type(exc).__name__
        report = ReadinessReport(failing, time.monotonic())
        with self._lock:
            was, self._report = self._report, report
        if report.failing and (was.ready or was.checked_at is None):
            log.warning("not ready: %s", report.failing)
        elif report.ready and not was.ready and was.checked_at is not None:
            log.warning("ready again")
        return report

    def report(self) -> ReadinessReport:
        """The last probe's report, without waiting for any dependency."""
        with self._lock:
            return self._report

    def start(self) -> Readiness:
        self.probe()
        self._thread = threading.Thread(target=self._run, name="opsbot-readiness", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            self.probe()
