"""Verifications still being watched, so that a process dying mid-watch leaves work another
process can pick up instead of a silent gap.

A row is written with the action's result and ends (``finished_at``) when a verdict is
recorded or the watch is given up. ``watcher`` is the executor watching; taking a row over
is a conditional update, so of several replicas noticing a dead watcher only one resumes.

A finished watch's outcome (the verdict, or why none could be made) is told to its thread
once: ``reported_at`` is set by a conditional update too, by whichever process tells it,
so an outcome recorded while no adapter was listening is still told, and told only once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from assistant.models import PendingVerification
from assistant.storage.database import Database
from assistant.storage.timestamps import db_time


@dataclass(frozen=True)
class FinishedWatch:
    proposal_id: str
    thread_id: str
    gave_up: str | None  # why no verdict could be made (redacted); None: there is one


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

    def finish(self, proposal_id: str, watcher: str, now: datetime,
               gave_up: str | None = None) -> bool:
        """End the watch, with a verdict or ``gave_up`` saying why there is none; False
        when ``watcher`` no longer holds it (taken over, or done)."""
        with self._db.write() as tx:
            return tx.execute(
                "UPDATE verifications SET finished_at = ?, gave_up = ? WHERE proposal_id = ? "
                "AND watcher = ? AND finished_at IS NULL",
                (db_time(now), gave_up, proposal_id, watcher)) == 1

    def unreported(self) -> list[FinishedWatch]:
        """Finished watches whose outcome no thread has been told yet, oldest first."""
        with self._db.read() as tx:
            rows = tx.all("SELECT proposal_id, thread_id, gave_up FROM verifications "
                          "WHERE reported_at IS NULL AND finished_at IS NOT NULL "
                          "ORDER BY finished_at")
        return [FinishedWatch(*row) for row in rows]

    def take_report(self, proposal_id: str, now: datetime) -> FinishedWatch | None:
        """The finished watch of ``proposal_id`` for the one caller, across processes, that
        tells its outcome; None when it is unfinished, already told, or not watched."""
        with self._db.write() as tx:
            if tx.execute("UPDATE verifications SET reported_at = ? WHERE proposal_id = ? "
                          "AND finished_at IS NOT NULL AND reported_at IS NULL",
                          (db_time(now), proposal_id)) != 1:
                return None
            row = tx.one("SELECT proposal_id, thread_id, gave_up FROM verifications "
                         "WHERE proposal_id = ?", (proposal_id,))
        return FinishedWatch(*row) if row else None

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
