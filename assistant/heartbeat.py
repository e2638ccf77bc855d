"""This process's executor lease: registered at start, renewed by a daemon thread, given
up on a clean close.

Each beat also records the results the spool kept while the database was unavailable,
and sweeps: claims of executors whose lease ran out (a replica on another host that
crashed or lost the database) are marked interrupted while this process runs, so a dead
replica does not lock a resource until someone restarts. Both end a claim the proposal's
thread must hear about; adapters subscribe for that. The clock is injected and ``beat()``
is public so tests drive time instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from assistant.interruptions import Interruption, sweep_interrupted
from assistant.late_results import LateResult, record_spooled
from assistant.models import PendingVerification
from assistant.resumed_verifications import VerificationResumed
from assistant.storage import Store, executor_alive
from assistant.storage.spool import ResultSpool
from assistant.storage.timestamps import utc_now

log = logging.getLogger(__name__)

ClaimEnded = Interruption | LateResult | VerificationResumed
Listener = Callable[[ClaimEnded], None]
Resume = Callable[[PendingVerification], None]


class Heartbeat:
    def __init__(self, store: Store, executor_id: str, interval_seconds: float,
                 spool: ResultSpool, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.spool = spool
        self.executor_id = executor_id
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._resume: Resume | None = None

    def start(self, resume: Resume | None = None) -> list[ClaimEnded]:
        """Register, record what earlier processes on this home ran but could not record,
        sweep what they left behind, and start beating.

        Returns the claims this ended: no adapter is listening yet. Spooled results go
        first, so a claim whose result survived its process's death ends as it ran instead
        of interrupted. ``resume`` is handed each verification whose watcher is gone, now
        held by this executor (the executor finishes it, see resumed_verifications.py).
        """
        self._resume = resume
        now = self._clock()
        self.store.executors.register(self.executor_id, now, self.interval_seconds)
        self.store.executors.prune(now)
        found = self._record_spooled()
        found.extend(sweep_interrupted(self.store, self.executor_id, now))
        self._take_over_watches(now)
        self._thread = threading.Thread(target=self._run, name="opsbot-heartbeat", daemon=True)
        self._thread.start()
        return found

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (on the heartbeat thread) for each claim a later sweep marks;
        returns the way to stop."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def beat(self) -> list[ClaimEnded]:
        """Record spooled results, renew the lease once and sweep once."""
        found = self._record_spooled()
        now = self._clock()
        if not self.store.executors.heartbeat(self.executor_id, now):
            log.warning("executor %s has no live row to renew; other replicas may mark its "
                        "claims interrupted", self.executor_id)
        found.extend(sweep_interrupted(self.store, self.executor_id, now))
        self._take_over_watches(now)
        for item in found:
            self.tell(item)
        return found

    def tell(self, item: ClaimEnded) -> None:
        """Tell the operator's log and every subscribed adapter about ``item``."""
        log.warning("%s", item.notice)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(item)
            except Exception:  # one adapter's failure must not stop the lease or the others
                log.exception("telling an adapter about %s failed", item.stored.proposal.id)

    def _take_over_watches(self, now: datetime) -> None:
        if self._resume is None:
            return
        alive = executor_alive(self.executor_id, self.store.executors.get, now)
        for pending in self.store.verifications.take_over(alive, self.executor_id):
            self._resume(pending)

    def _record_spooled(self) -> list[ClaimEnded]:
        try:
            return list(record_spooled(self.store, self.spool))
        except Exception:  # the database may still be down; the lease must still be renewed
            log.warning("spooled results %s are not recorded yet; retrying next beat",
                        self.spool.pending(), exc_info=True)
            return []

    def close(self) -> None:
        """Stop beating and record a clean stop: claims still held count as cut short."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        self.store.executors.stop(self.executor_id, self._clock())

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            try:
                self.beat()
            except Exception:  # a database hiccup must not end the lease; the next beat retries
                log.warning("executor heartbeat failed; retrying in %.0f s",
                            self.interval_seconds, exc_info=True)
