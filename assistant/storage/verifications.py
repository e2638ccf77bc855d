"""Verifications still being watched, so that a process dying mid-watch leaves work another
process can pick up instead of a silent gap.

A row is written with the action's result and ends (``finished_at``) when a verdict is
recorded or the watch is given up. ``watcher`` is the executor watching; taking a row over
is a conditional update, so of several replicas noticing a dead watcher only one resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistant.models import PendingVerification
from assistant.storage.database import Database
from assistant.storage.timestamps import db_time


class VerificationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, pending: PendingVerification, watcher: str) -> None:
        with self._db.write() as tx:
            tx.execute(
                "INSERT INTO verifications (proposal_id, thread_id, watcher, started_at, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (pending.proposal_id, pending.thread_id, watcher, db_time(pending.started_at),
                 pending.model_dump_json()),
            )

    def watching(self, proposal_id: str, watcher: str) -> PendingVerification | None:
        """The unfinished verification of ``proposal_id`` if ``watcher`` holds it."""
        with self._db.read() as tx:
            row = tx.one("SELECT body FROM verifications WHERE proposal_id = ? AND watcher = ? "
                         "AND finished_at IS NULL", (proposal_id, watcher))
        return PendingVerification.model_validate_json(row[0]) if row else None

    def finish(self, proposal_id: str, watcher: str, now: datetime) -> bool:
        """End the watch; False when ``watcher`` no longer holds it (taken over, or done)."""
        with self._db.write() as tx:
            return tx.execute(
                "UPDATE verifications SET finished_at = ? WHERE proposal_id = ? AND watcher = ? "
                "AND finished_at IS NULL", (db_time(now), proposal_id, watcher)) == 1

    def take_over(self, alive: Callable[[str], bool], watcher: str) -> list[PendingVerification]:
        """Unfinished watches whose watcher is gone, now held by ``watcher``."""
        with self._db.read() as tx:
            rows = tx.all("SELECT watcher, body FROM verifications WHERE finished_at IS NULL "
                          "AND watcher <> ?", (watcher,))
        taken: list[PendingVerification] = []
        for previous, body in rows:
            if alive(previous):
                continue
            pending = PendingVerification.model_validate_json(body)
            with self._db.write() as tx:
                changed = tx.execute(
                    "UPDATE verifications SET watcher = ? WHERE proposal_id = ? AND watcher = ? "
                    "AND finished_at IS NULL", (watcher, pending.proposal_id, previous))
            if changed == 1:
                taken.append(pending)
        return taken
