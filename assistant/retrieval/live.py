"""The runbook index a long-running process answers from, kept in step with the folders.

Like the policy files (assistant/policy/source.py), runbooks change while opsbot runs: a
fixed step, a new page in the team's wiki, a folder added with `opsbot index DIR`. At most
once per ``check_seconds``, when a question comes, the folders are walked and each Markdown
file's size and modification time compared with the last walk (a stat per file, no read:
see evals/bench/runbook_reload_bench.py for what that costs on a real corpus). On a change
the runbooks are loaded again and the index synced, which embeds only the runbooks whose
text changed. A change that does not load (a folder gone) keeps the index as it was and is
logged; a single bad file is left out with a warning, as at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from assistant.errors import InputError
from assistant.models import RetrievalHit, Runbook
from assistant.retrieval.index import RunbookIndex
from assistant.retrieval.loading import MARKDOWN_SUFFIXES, LoadReport, load_runbooks
from assistant.retrieval.lock import sync_lock

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
WALK_BUDGET = 20  # the next walk waits at least this many times the last one's duration

Fingerprint = tuple[tuple[str, int, int], ...]  # (path, size, mtime in ns) per file


def folder_fingerprint(folders: Sequence[Path]) -> Fingerprint:
    """What the runbook files under ``folders`` look like now, from one stat each."""
    found: list[tuple[str, int, int]] = []
    for folder in folders:
        paths = [folder] if folder.is_file() else [
            p for p in folder.rglob("*") if p.suffix.lower() in MARKDOWN_SUFFIXES]
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted between the walk and the stat: the next walk agrees
            found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


class RunbookLookup(Protocol):
    """What the engine asks of the runbooks: a RunbookIndex, or a LiveRunbookIndex."""

    def search(self, query: str, k: int = 5,
               alert_names: Sequence[str] = ()) -> list[RetrievalHit]: ...

    def get(self, runbook_id: str) -> Runbook: ...

    @property
    def is_empty(self) -> bool: ...


def log_problems(report: LoadReport) -> None:
    for warning in report.warnings:
        logger.warning("%s", warning)
    for error in report.errors:
        logger.warning("runbook skipped: %s", error)


class LiveRunbookIndex:
    """Searches ``index``, first re-syncing it when the runbooks under ``folders()`` (asked
    again each time, so a folder added by `opsbot index DIR` is seen) have changed."""

    def __init__(self, index: RunbookIndex, folders: Callable[[], Sequence[Path]],
                 index_dir: Path, *, check_seconds: float = CHECK_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._index = index
        self._folders = folders
        self._index_dir = index_dir
        self._check_seconds = check_seconds
        self._monotonic = monotonic
        # Held while searching and while syncing: a sync swaps the index's in-memory
        # tables one by one. The walk itself runs outside it, so questions never wait on
        # a large folder's stat calls.
        self._index_lock = threading.Lock()
        self._checking = threading.Lock()  # one walk at a time; others just search
        self._seen = self._look()
        self._due = monotonic() + check_seconds

    def search(self, query: str, k: int = 5,
               alert_names: Sequence[str] = ()) -> list[RetrievalHit]:
        self._check_if_due()
        with self._index_lock:
            return self._index.search(query, k=k, alert_names=alert_names)

    def get(self, runbook_id: str) -> Runbook:
        with self._index_lock:
            return self._index.get(runbook_id)

    @property
    def is_empty(self) -> bool:
        with self._index_lock:
            return self._index.is_empty

    def _look(self) -> tuple[tuple[Path, ...], Fingerprint]:
        folders = tuple(self._folders())
        return folders, folder_fingerprint(folders)

    def _check_if_due(self) -> None:
        if self._monotonic() < self._due or not self._checking.acquire(blocking=False):
            return
        try:
            if self._monotonic() >= self._due:
                self._check()
        finally:
            self._checking.release()

    def _check(self) -> None:
        started = self._monotonic()
        try:
            seen = self._look()
        except (InputError, OSError) as exc:
            logger.error("cannot check the runbook folders; answering from the index as it "
                         "is: %s", exc)
            return
        finally:
            # A wiki so large that its walk is slow is walked less often: the walk takes
            # at most 1/WALK_BUDGET of the time (evals/bench/runbook_reload_bench.py).
            walked = self._monotonic() - started
            self._due = self._monotonic() + max(self._check_seconds, walked * WALK_BUDGET)
        if seen == self._seen:
            return
        self._seen = seen
        folders = seen[0]
        try:
            report = load_runbooks(folders)
        except InputError as exc:
            logger.error("runbooks changed but do not load; the index stays as it was: %s",
                         exc)
            return
        log_problems(report)
        with self._index_lock, sync_lock(self._index_dir):
            sync = self._index.sync(report.runbooks)
        logger.warning("runbooks reloaded from %s: added %d, updated %d, removed %d",
                       ", ".join(map(str, folders)), sync.added, sync.updated, sync.removed)
