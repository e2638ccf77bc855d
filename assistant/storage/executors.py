"""Executor identities recorded on claims, and telling whether one is still running."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable


def new_executor_id() -> str:
    """host:pid:uuid; the uuid tells a restarted process apart from one that reused a pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def local_executor_alive(current: str) -> Callable[[str], bool]:
    """A liveness test for ProposalStore.mark_interrupted, run by the executor ``current``.

    Our own id is alive. Another id on this host is alive while its pid exists (a reused
    pid errs towards "alive", which only delays marking; nothing is ever re-run). Ids of
    other hosts cannot be checked from here and count as alive.
    """
    host = socket.gethostname()

    def alive(executor: str) -> bool:
        if executor == current:
            return True
        their_host, _, rest = executor.partition(":")
        if their_host != host:
            return True
        pid = rest.partition(":")[0]
        return pid.isdigit() and _pid_exists(int(pid))

    return alive


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
