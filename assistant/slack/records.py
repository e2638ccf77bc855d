"""What the Slack adapter must remember across restarts and replicas, in the store's database.

Threads opsbot is in (so replies continue them and /opsbot finds them), the message of
each proposal card (so any replica can update it), the thread each Alertmanager group
opened (so repeats land in it), the events some replica took (so an event reaches one
replica's answer however often Slack delivers it), and which action was an incident's
first (so two replicas acting at once audit one). Tables of their own, created by the
store's numbered migrations (storage/schema.py), on the same SQLite file or PostgreSQL
database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.storage.database import WAIT_SECONDS, Database, parse_db_url
from assistant.storage.schema import migrate
from assistant.storage.timestamps import db_time


def thread_id(channel: str, thread_ts: str) -> str:
    """The engine's thread id for a Slack thread: channel + the thread's root ts."""
    return f"slack:{channel}:{thread_ts}"


def split_thread_id(tid: str) -> tuple[str, str] | None:
    """(channel, thread ts) of a Slack thread id; None for other adapters' threads."""
    prefix, _, rest = tid.partition(":")
    channel, _, ts = rest.partition(":")
    return (channel, ts) if prefix == "slack" and channel and ts else None


@dataclass(frozen=True)
class SlackThread:
    channel: str
    thread_ts: str
    active_at: str

    @property
    def id(self) -> str:
        return thread_id(self.channel, self.thread_ts)


@dataclass(frozen=True)
class Card:
    proposal_id: str
    channel: str
    ts: str
    rendered: str  # digest of the blocks last shown, to skip no-op updates


@dataclass(frozen=True)
class AlertGroup:
    group_key: str
    channel: str
    thread_ts: str | None  # None while the replica that claimed it is posting the root
    status: str  # firing | resolved
    fingerprints: tuple[str, ...]


class SlackRecords:
    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    def open(cls, db_url: str, wait_seconds: float = WAIT_SECONDS) -> SlackRecords:
        db = Database(parse_db_url(db_url), wait_seconds=wait_seconds)
        try:
            migrate(db)
        except Exception:
            db.close()
            raise
        return cls(db)

    def close(self) -> None:
        self._db.close()

    def ping(self, timeout: float) -> None:
        """Raise unless this adapter's own connections answer within about ``timeout`` s:
        after an outage each pool reconnects on its own schedule."""
        with self._db.read(timeout) as tx:
            tx.one("SELECT 1")

    # events
    def take_event(self, event_id: str, taker: str, now: datetime) -> bool:
        """True for the one caller, across replicas and redeliveries, that handles the
        event; a later delivery is counted on the row, for the log."""
        with self._db.write() as tx:
            if tx.execute("INSERT INTO slack_events (event_id, taken_by, taken_at, deliveries) "
                          "VALUES (?, ?, ?, 1) ON CONFLICT (event_id) DO NOTHING",
                          (event_id, taker, db_time(now))):
                return True
            tx.execute("UPDATE slack_events SET deliveries = deliveries + 1 WHERE event_id = ?",
                       (event_id,))
        return False

    def event_taker(self, event_id: str) -> tuple[str, int] | None:
        """Who took the event and how many deliveries of it arrived; None if nobody."""
        with self._db.read() as tx:
            row = tx.one("SELECT taken_by, deliveries FROM slack_events WHERE event_id = ?",
                         (event_id,))
        return None if row is None else (str(row[0]), int(row[1]))

    def forget_events(self, taken_before: datetime) -> int:
        """Drop events taken before ``taken_before`` (Slack stops retrying within the
        hour); returns how many."""
        with self._db.write() as tx:
            return tx.execute("DELETE FROM slack_events WHERE taken_at < ?",
                              (db_time(taken_before),))

    # threads
    def remember_thread(self, channel: str, thread_ts: str, now: datetime) -> bool:
        """Record activity in a thread; True when opsbot had not been in it before."""
        tid, at = thread_id(channel, thread_ts), db_time(now)
        with self._db.write() as tx:
            if tx.execute("UPDATE slack_threads SET active_at = ? WHERE thread_id = ?",
                          (at, tid)):
                return False
            tx.execute("INSERT INTO slack_threads (thread_id, channel, thread_ts, started_at, "
                       "active_at) VALUES (?, ?, ?, ?, ?)", (tid, channel, thread_ts, at, at))
        return True

    def knows_thread(self, channel: str, thread_ts: str) -> bool:
        with self._db.read() as tx:
            return tx.one("SELECT 1 FROM slack_threads WHERE thread_id = ?",
                          (thread_id(channel, thread_ts),)) is not None

    def recent_threads(self, channel: str, limit: int) -> list[SlackThread]:
        with self._db.read() as tx:
            rows = tx.all("SELECT channel, thread_ts, active_at FROM slack_threads "
                          "WHERE channel = ? ORDER BY active_at DESC LIMIT ?", (channel, limit))
        return [SlackThread(*row) for row in rows]

    # cards
    def save_card(self, proposal_id: str, channel: str, thread_ts: str, ts: str,
                  rendered: str) -> None:
        with self._db.write() as tx:
            tx.execute("DELETE FROM slack_cards WHERE proposal_id = ?", (proposal_id,))
            tx.execute("INSERT INTO slack_cards (proposal_id, thread_id, channel, ts, rendered) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (proposal_id, thread_id(channel, thread_ts), channel, ts, rendered))

    def set_card_rendered(self, proposal_id: str, rendered: str) -> None:
        with self._db.write() as tx:
            tx.execute("UPDATE slack_cards SET rendered = ? WHERE proposal_id = ?",
                       (rendered, proposal_id))

    def cards_in_thread(self, channel: str, thread_ts: str) -> list[Card]:
        with self._db.read() as tx:
            rows = tx.all("SELECT proposal_id, channel, ts, rendered FROM slack_cards "
                          "WHERE thread_id = ? ORDER BY ts", (thread_id(channel, thread_ts),))
        return [Card(*row) for row in rows]

    # alert groups
    def claim_alert_group(self, group_key: str, channel: str, now: datetime) -> bool:
        """True for the one caller, across replicas, that opens the group's thread."""
        with self._db.write() as tx:
            return bool(tx.execute(
                "INSERT INTO slack_alert_groups (group_key, channel, thread_ts, status, "
                "fingerprints, updated_at) VALUES (?, ?, NULL, 'opening', '', ?) "
                "ON CONFLICT (group_key) DO NOTHING", (group_key, channel, db_time(now))))

    def take_over_alert_group(self, group_key: str, claimed_before: datetime,
                              now: datetime) -> bool:
        """Claim a group whose opener never posted its thread (it crashed) since before
        ``claimed_before``; True for one caller."""
        with self._db.write() as tx:
            return bool(tx.execute(
                "UPDATE slack_alert_groups SET updated_at = ? WHERE group_key = ? AND "
                "thread_ts IS NULL AND updated_at < ?",
                (db_time(now), group_key, db_time(claimed_before))))

    def alert_group(self, group_key: str) -> AlertGroup | None:
        with self._db.read() as tx:
            row = tx.one(f"SELECT {_GROUP_COLUMNS} FROM slack_alert_groups WHERE group_key = ?",
                         (group_key,))
        return None if row is None else _alert_group(row)

    def update_alert_group(self, group_key: str, *, status: str,
                           fingerprints: tuple[str, ...], now: datetime,
                           thread_ts: str | None = None) -> None:
        with self._db.write() as tx:
            tx.execute("UPDATE slack_alert_groups SET status = ?, fingerprints = ?, "
                       "updated_at = ?, thread_ts = COALESCE(?, thread_ts) WHERE group_key = ?",
                       (status, ",".join(sorted(fingerprints)), db_time(now), thread_ts,
                        group_key))

    def release_alert_group(self, group_key: str) -> None:
        """Give up a claim whose thread could not be posted, so a repeat can try again."""
        with self._db.write() as tx:
            tx.execute("DELETE FROM slack_alert_groups WHERE group_key = ? AND thread_ts IS NULL",
                       (group_key,))

    # incidents
    def claim_first_action(self, thread: str, fired_at: datetime, proposal_id: str | None,
                           acted_at: datetime) -> bool:
        """True for the one caller, across replicas, whose action is the first in the
        incident that fired in ``thread`` at ``fired_at``."""
        with self._db.write() as tx:
            return bool(tx.execute(
                "INSERT INTO incident_first_actions (thread_id, fired_at, proposal_id, "
                "acted_at) VALUES (?, ?, ?, ?) ON CONFLICT (thread_id, fired_at) DO NOTHING",
                (thread, db_time(fired_at), proposal_id, db_time(acted_at))))

    def firing_alert_groups(self, channel: str) -> list[AlertGroup]:
        with self._db.read() as tx:
            rows = tx.all(f"SELECT {_GROUP_COLUMNS} FROM slack_alert_groups WHERE channel = ? "
                          "AND status = 'firing' ORDER BY updated_at DESC", (channel,))
        return [_alert_group(row) for row in rows]


_GROUP_COLUMNS = "group_key, channel, thread_ts, status, fingerprints"


def _alert_group(row: tuple[Any, ...]) -> AlertGroup:
    key, channel, ts, status, prints = row
    return AlertGroup(key, channel, ts, status, tuple(p for p in prints.split(",") if p))
