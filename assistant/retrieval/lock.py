"""One writer per index folder across processes.

Chroma's persistent client keeps segment state in memory and is not safe with two processes
writing one folder, so whoever opens an index to bring it up to date holds an exclusive
advisory lock on a file in that folder from opening until the sync is done. A process that
crashed releases it with its file descriptors; readers never take it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import OpsbotError

LOCK_FILE = ".sync.lock"

logger = logging.getLogger(__name__)


class SyncLockUnavailable(OpsbotError):
    """The folder's lock file cannot be created or locked."""


@contextmanager
def sync_lock(folder: Path) -> Iterator[float]:
    """Hold the folder's sync lock; yields the seconds spent waiting for it."""
    path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise SyncLockUnavailable(f"cannot create the index lock {path}: {exc}") from exc
    try:
        started = time.perf_counter()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another process to finish syncing %s", folder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise SyncLockUnavailable(f"cannot lock {path}: {exc}") from exc
        yield time.perf_counter() - started
    finally:
        os.close(fd)  # closing the descriptor releases the lock
