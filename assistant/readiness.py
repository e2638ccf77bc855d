"""Whether this process can do its work now (readiness), and whether it is still running
its own loops at all (liveness), for a server's probes.

Each check is a function that raises when its dependency is unusable (the database, the
policy, the runbook index, the chat connection). A background thread runs them every
interval and the endpoint reads the last report, so answering a probe never waits for a
database that is down, and a load balancer stops sending work to a replica that would
answer every request with "could not record". A process that is shutting down is not
ready from the moment it starts draining. Liveness asks only whether that background
thread still completes its rounds: a dependency being down must not get a process
restarted, a process that stopped running its loops must.

Both answer from the first moment of the process, before its checks exist: while it
starts, readiness says which stage it is at ("starting: building runbook index") and
liveness holds unless the start-up outlasts its bound, so a start that hangs is restarted
and one that is merely slow (embedding runbooks on a fresh volume) is left to finish.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

log = logging.getLogger(__name__)

Check = Callable[[], None]
# Rounds a probe may miss before the process counts as stuck; never less than this floor,
# so a short probe interval does not make a slow database round look like a hang.
MISSED_ROUNDS = 3
STUCK_FLOOR_SECONDS = 30.0
SHUTDOWN = "shutdown"


@dataclass(frozen=True)
class ReadinessReport:
    failing: Mapping[str, str] = field(default_factory=dict)  # check name -> why
    checked_at: float | None = None  # time.monotonic() of the probe; None before the first
    stage: str | None = None  # what the start-up is doing, before the first probe

    @property
    def ready(self) -> bool:
        return self.checked_at is not None and not self.failing

    def passing(self, name: str) -> bool:
        """Whether check ``name`` passed in this report (and the process is not draining)."""
        return (self.checked_at is not None and name not in self.failing
                and SHUTDOWN not in self.failing)

    def to_json(self) -> str:
        if self.checked_at is None:
            return json.dumps({"status": starting(self.stage)})
        if not self.failing:
            return json.dumps({"status": "ok"})
        return json.dumps({"status": "unavailable", "failing": dict(self.failing)})


def starting(stage: str | None) -> str:
    return f"starting: {stage}" if stage else "starting"


class Readiness:
    def __init__(self, checks: Mapping[str, Check], interval_seconds: float,
                 redact: Callable[[str], str] = str, *,
                 start_bound_seconds: float | None = None) -> None:
        self._checks = dict(checks)
        self._born = time.monotonic()
        # None: no bound (a caller that starts the checks at once).
        self._start_bound = start_bound_seconds
        self._stage: str | None = None
        # Reasons are served to whoever reaches the probe port: an error quoting a URL or a
        # connection string goes through the redactor first.
        self._redact = redact
        self.interval_seconds = interval_seconds
        self._report = ReadinessReport()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._draining: str | None = None

    def starting(self, stage: str) -> None:
        """The start-up is at ``stage`` now; reported until the first probe."""
        with self._lock:
            self._stage = stage
        log.info("%s", starting(stage))

    def check(self, checks: Mapping[str, Check], redact: Callable[[str], str]) -> Readiness:
        """Check ``checks`` too from the next probe on, their failures told through
        ``redact`` (a process builds its redactor after its probes are already served)."""
        with self._lock:
            self._checks.update(checks)
            self._redact = redact
        return self

    def add(self, name: str, check: Check) -> None:
        """Check ``name`` too from the next probe on (a connection opened after start)."""
        with self._lock:
            self._checks[name] = check

    def drain(self, why: str) -> None:
        """Not ready from now on, for ``why``: the process is shutting down."""
        with self._lock:
            self._draining = why
        log.warning("not ready: %s", why)

    def liveness(self) -> tuple[bool, str]:
        """Whether the probe thread still completes its rounds, and why not."""
        report = self.report()
        if report.checked_at is None:
            age = time.monotonic() - self._born
            if self._start_bound is not None and age > self._start_bound:
                return False, (f"{starting(report.stage)} for {age:.0f} s "
                               f"(limit {self._start_bound:.0f} s)")
            return True, starting(report.stage)
        limit = max(MISSED_ROUNDS * self.interval_seconds, STUCK_FLOOR_SECONDS)
        age = time.monotonic() - report.checked_at
        if age > limit:
            return False, (f"the readiness checks last completed {age:.0f} s ago "
                           f"(limit {limit:.0f} s)")
        return True, "alive"

    def probe(self) -> ReadinessReport:
        """Run every check now and keep the result as the current report."""
        failing: dict[str, str] = {}
        with self._lock:
            checks = list(self._checks.items())
        for name, check in checks:
            try:
                check()
            except Exception as exc:  # any failure means not ready; the reason is reported
                failing[name] = self._redact(str(exc) or type(exc).__name__)
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
            report, draining, stage = self._report, self._draining, self._stage
        if report.checked_at is None:
            report = replace(report, stage=stage)
        if draining is None:
            return report
        return ReadinessReport({**report.failing, SHUTDOWN: draining},
                               report.checked_at if report.checked_at is not None
                               else time.monotonic())

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
