"""The policy a long-running process decides with, kept in step with the files.

A revoked role or a new freeze window must take effect without restarting every replica,
so the files are read again (a few KB, at most once per ``check_seconds``) and reloaded
when their contents change. A change that does not load (a typo mid-edit) keeps the last
good policy in force and is reported once per version of the files: denying every action
during an incident because of a YAML slip would be worse, and the report names the file,
line and field to fix.
"""

from __future__ import annotations

import hashlib
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

Fingerprint = tuple[tuple[str, str], ...]  # (path, sha256 of its bytes) per file


@dataclass(frozen=True)
class PolicyChange:
    """What a check found: a reload, or a change that did not load (``error`` set)."""

    files: tuple[str, ...]
    version: str | None = None  # the policy now in force
    error: str | None = None


def _fingerprint(paths: Iterable[Path]) -> Fingerprint:
    # Contents, not modification times: two writes within one timestamp tick (a partial
    # write, then the final one) must not leave the partial version in force.
    return tuple((str(p), hashlib.sha256(p.read_bytes()).hexdigest())
                 for p in policy_files(list(paths)))


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
            seen = (("unreadable", str(exc)),)
        if seen == self._seen:
            return
        self._seen = seen
        files = tuple(name for name, _ in seen)
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
            try:
                listener(change)
            except Exception:  # the decision asking for the policy must not fail over a report
                logger.exception("recording the policy change failed")


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
