"""A bounded worker pool that runs jobs with the same key one at a time, in arrival order.

Slack wants every event acknowledged within three seconds, so handlers only enqueue here.
Keying by thread means two messages in one thread never race through the engine, while
different threads proceed in parallel on at most ``workers`` threads.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from assistant.telemetry.correlation import correlation_id, handling

log = logging.getLogger(__name__)

Job = Callable[[], object]  # what a job returns is not used


def _carrying_correlation(job: Job) -> Job:
    """The job runs under the correlation id of the request that queued it (the Slack
    event it routes), or a new one: worker threads do not inherit context variables."""
    queued_by = correlation_id()

    def run() -> None:
        with handling(correlation=queued_by):
            job()

    return run


class OrderedWorkerPool:
    def __init__(self, workers: int, max_queued: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers,
                                            thread_name_prefix="opsbot-slack")
        self.workers = workers
        self._max_queued = max_queued
        self._queues: dict[str, deque[Job]] = {}
        self._running: set[str] = set()
        self._queued = 0
        self._idle = threading.Condition()

    @property
    def queued(self) -> int:
        """Jobs accepted and not yet finished (running ones included)."""
        with self._idle:
            return self._queued

    def submit(self, key: str, job: Job) -> bool:
        """Queue ``job`` behind earlier jobs of ``key``; False when the pool is full."""
        job = _carrying_correlation(job)
        with self._idle:
            if self._queued >= self._max_queued:
                return False
            self._queued += 1
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(job)
                return True
            self._queues[key] = deque([job])
        self._executor.submit(self._run_next, key)
        return True

    def _run_next(self, key: str) -> None:
        with self._idle:
            queue = self._queues.get(key)
            if not queue:
                return  # abandoned at shutdown before it started
            job = queue[0]
            self._running.add(key)
        try:
            job()
        except Exception:
            log.exception("background job for %s failed", key)
        with self._idle:
            self._running.discard(key)
            queue.popleft()
            self._queued -= 1
            more = bool(queue)
            if not more:
                del self._queues[key]
            self._idle.notify_all()
        if more:
            # Back of the executor's line, so one busy thread cannot starve the others.
            self._executor.submit(self._run_next, key)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every accepted job has finished; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._queued == 0, timeout)

    def abandon_queued(self) -> list[str]:
        """Drop every job that has not started, for a shutdown that cannot wait for them;
        returns the key of each job dropped. Running jobs are left to finish."""
        dropped: list[str] = []
        with self._idle:
            for key, queue in list(self._queues.items()):
                keep = 1 if key in self._running else 0
                while len(queue) > keep:
                    queue.pop()
                    self._queued -= 1
                    dropped.append(key)
                if not queue:
                    del self._queues[key]
            self._idle.notify_all()
        return dropped

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers; ``wait=False`` leaves jobs still running to a process exit."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
