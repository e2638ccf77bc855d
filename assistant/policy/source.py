"""The policy a long-running process decides with, kept in step with the files.

A revoked role or a new freeze window must take effect without restarting every replica,
so the files are looked at again (a stat of each, at most once per ``check_seconds``) and
reloaded when they change. A change that does not load (a typo mid-edit) keeps the last
good policy in force and is reported once per version of the files: denying every action
during an incident because of a YAML slip would be worse, and the report names the file,
line and field to fix.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.errors import InputError
from assistant.policy.compiled import Policy
from assistant.policy.loader import load_policy, policy_files

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0

Fingerprint = tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size) per file


@dataclass(frozen=True)
class PolicyChange:
    """What a check found: a reload, or a change that did not load (``error`` set)."""

    files: tuple[str, ...]
    version: str | None = None  # the policy now in force
    error: str | None = None


def _fingerprint(paths: Iterable[Path]) -> Fingerprint:
    files = policy_files(list(paths))
    stats = [(str(p), p.stat()) for p in files]
    return tuple((name, st.st_mtime_ns, st.st_size) for name, st in stats)


class PolicySource:
    """``current()`` is the policy to decide with now."""

    def __init__(self, paths: Path | Iterable[Path], *,
                 check_seconds: float = CHECK_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._paths = [paths] if isinstance(paths, Path) else list(paths)
        self._listeners: list[Callable[[PolicyChange], None]] = []
        self._check_seconds = check_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen = _fingerprint(self._paths)
        self._policy = load_policy(self._paths)  # a bad policy at start-up is fatal
        self._checked = monotonic()

    def listen(self, listener: Callable[[PolicyChange], None]) -> None:
        """Call ``listener`` with every reload and every change that did not load."""
        self._listeners.append(listener)

    def current(self) -> Policy:
        if self._monotonic() - self._checked >= self._check_seconds:
            with self._lock:
                if self._monotonic() - self._checked >= self._check_seconds:
                    self._check()
        return self._policy

    def _check(self) -> None:
        self._checked = self._monotonic()
        try:
            seen = _fingerprint(self._paths)
        except (InputError, OSError) as exc:
            seen = (("unreadable", 0, hash(str(exc))),)
        if seen == self._seen:
            return
        self._seen = seen
        files = tuple(name for name, _, _ in seen)
        try:
            policy = load_policy(self._paths)
        except (InputError, OSError) as exc:
            logger.error("policy files changed but do not load; the previous policy stays "
                         "in force: %s", exc)
            self._tell(PolicyChange(files, self._policy.version, error=str(exc)))
            return
        self._policy = policy
        logger.warning("policy reloaded from %s", ", ".join(files))
        self._tell(PolicyChange(files, policy.version))

    def _tell(self, change: PolicyChange) -> None:
        for listener in self._listeners:
            listener(change)


class FixedPolicy:
    """A policy that never changes (tests, eval worlds that load it once)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def current(self) -> Policy:
        return self._policy

    def listen(self, listener: Callable[[PolicyChange], None]) -> None:
        """Nothing to hear: it never changes."""


class PolicyProvider(Protocol):
    def current(self) -> Policy: ...

    def listen(self, listener: Callable[[PolicyChange], None]) -> None: ...
