"""Executor identities, their heartbeats, and telling whether one is still running.

Every process that may claim proposals registers a row and renews its ``heartbeat_at``
every heartbeat interval. Its lease is LEASE_HEARTBEATS intervals: a claim is given up for
dead only after that many renewals in a row went missing. One or two late beats are normal
(a GC pause, a slow or locked database write, a busy host), and declaring a live executor
dead would let a second action start on a resource whose first one is still running; six
keeps that unlikely while a crashed replica's lock still ends within a minute at the
default 10 s interval. Ages are taken from each host's own clock, so replicas need clocks
kept in step (NTP) to well within the lease.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.models import ProposalStatus
from assistant.storage.database import Database
from assistant.storage.timestamps import db_time, parse_db_time

LEASE_HEARTBEATS = 6
# Rows of executors gone longer than this are deleted when a process starts: one row per
# process start (and per eval case) would otherwise pile up for ever.
KEEP_GONE_EXECUTORS = timedelta(days=7)

_COLUMNS = "id, host, pid, started_at, heartbeat_at, lease_seconds, stopped_at"


def new_executor_id() -> str:
    """host:pid:uuid; the uuid tells a restarted process apart from one that reused a pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def split_executor_id(executor: str) -> tuple[str, int | None]:
    """(host, pid) of an id made by new_executor_id; pid None when the id is not of that form."""
    host, _, rest = executor.partition(":")
    pid = rest.partition(":")[0]
    return host, int(pid) if pid.isdigit() else None


@dataclass(frozen=True)
class ExecutorRecord:
    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    lease_seconds: float
    stopped_at: datetime | None

    def heartbeat_age(self, now: datetime) -> timedelta:
        return _utc(now) - self.heartbeat_at

    def lease_expired(self, now: datetime) -> bool:
        return self.heartbeat_age(now) > timedelta(seconds=self.lease_seconds)


class ExecutorRegistry:
    def __init__(self, db: Database) -> None:
        self._db = db

    def register(self, executor_id: str, now: datetime, heartbeat_seconds: float) -> None:
        """Record a starting executor; its lease is LEASE_HEARTBEATS of its own intervals,
        so replicas configured with different intervals judge each other fairly."""
        host, pid = split_executor_id(executor_id)
        if pid is None:
            raise ValueError(f"{executor_id!r} is not a host:pid:uuid executor id")
        stamp = db_time(now)
        with self._db.write() as tx:
            tx.execute(
                f"INSERT INTO executors ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (executor_id, host, pid, stamp, stamp, LEASE_HEARTBEATS * heartbeat_seconds),
            )

    def heartbeat(self, executor_id: str, now: datetime) -> bool:
        """Renew the lease; False if the executor is not registered or already stopped."""
        with self._db.write() as tx:
            changed = tx.execute(
                "UPDATE executors SET heartbeat_at = ? WHERE id = ? AND stopped_at IS NULL",
                (db_time(now), executor_id),
            )
        return changed == 1

    def stop(self, executor_id: str, now: datetime) -> None:
        """A clean exit: claims this executor still holds were cut short and can be swept."""
        with self._db.write() as tx:
            tx.execute(
                "UPDATE executors SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
                (db_time(now), executor_id),
            )

    def prune(self, now: datetime, keep: timedelta = KEEP_GONE_EXECUTORS) -> int:
        """Forget executors gone (stopped, or silent) for longer than ``keep``, except those
        still named by an executing claim: without its row such a claim would count as alive
        and never be swept. Returns how many rows went."""
        cutoff = db_time(now - keep)
        with self._db.write() as tx:
            return tx.execute(
                "DELETE FROM executors WHERE (stopped_at < ? OR heartbeat_at < ?) AND id NOT IN "
                "(SELECT claimed_by FROM proposals WHERE status = ? AND claimed_by IS NOT NULL)",
                (cutoff, cutoff, ProposalStatus.EXECUTING.value),
            )

    def get(self, executor_id: str) -> ExecutorRecord | None:
        with self._db.read() as tx:
            row = tx.one(f"SELECT {_COLUMNS} FROM executors WHERE id = ?", (executor_id,))
        return _to_record(row) if row is not None else None


def executor_alive(
    current: str,
    lookup: Callable[[str], ExecutorRecord | None],
    now: datetime,
    *,
    host: str | None = None,
) -> Callable[[str], bool]:
    """The liveness test for ProposalStore.mark_interrupted, run by the executor ``current``.

    Our own id is alive. An executor marked stopped is dead. On this host a pid that no
    longer exists is dead once it has also missed two heartbeats (a reused pid errs towards
    "alive", which only delays marking). Otherwise an executor is alive while its lease
    lasts. An id without a row
    (claims made before executors were recorded) counts as alive: nothing tells it is gone,
    and marking a running action interrupted would release its lock; `opsbot proposals
    interrupt` is the way out for those.
    """
    here = socket.gethostname() if host is None else host

    def alive(executor: str) -> bool:
        if executor == current:
            return True
        record = lookup(executor)
        if record is not None and record.stopped_at is not None:
            return False
        their_host, pid = split_executor_id(executor)
        if their_host == here and pid is not None and not _pid_exists(pid) and (
                record is None or _missed_beats(record, now)):
            # A heartbeat still arriving means the pid lives in another pid namespace that
            # shares this hostname (containers with a fixed hostname), not that it died.
            return False
        return record is None or not record.lease_expired(now)

    return alive


def _missed_beats(record: ExecutorRecord, now: datetime, beats: int = 2) -> bool:
    interval = record.lease_seconds / LEASE_HEARTBEATS
    return (_utc(now) - _utc(record.heartbeat_at)).total_seconds() > beats * interval


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _to_record(row: tuple[Any, ...]) -> ExecutorRecord:
    executor_id, host, pid, started_at, heartbeat_at, lease_seconds, stopped_at = row
    return ExecutorRecord(
        id=executor_id,
        host=host,
        pid=int(pid),
        started_at=parse_db_time(started_at),
        heartbeat_at=parse_db_time(heartbeat_at),
        lease_seconds=float(lease_seconds),
        stopped_at=parse_db_time(stopped_at) if stopped_at else None,
    )
