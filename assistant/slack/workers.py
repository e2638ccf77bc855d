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

log = logging.getLogger(__name__)

Job = Callable[[], object]  # what a job returns is not used


class OrderedWorkerPool:
    def __init__(self, workers: int, max_queued: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers,
                                            thread_name_prefix="opsbot-slack")
        self.workers = workers
        self._max_queued = max_queued
        self._queues: dict[str, deque[Job]] = {}
        self._queued = 0
        self._idle = threading.Condition()

    @property
    def queued(self) -> int:
        """Jobs accepted and not yet finished (running ones included)."""
        with self._idle:
            return self._queued

    def submit(self, key: str, job: Job) -> bool:
        """Queue ``job`` behind earlier jobs of ``key``; False when the pool is full."""
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
            job = self._queues[key][0]
        try:
            job()
        except Exception:
            log.exception("background job for %s failed", key)
        with self._idle:
            queue = self._queues[key]
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

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
