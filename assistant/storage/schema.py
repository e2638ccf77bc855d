"""The schema, as numbered migrations applied once each and recorded in store_migrations.

Both databases get the same tables and columns; only auto-numbering and trigger syntax
differ. Times are stored as fixed-width UTC text (see timestamps.py) and JSON as text, so
what was hashed is what is stored, byte for byte, on either database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.storage.database import Database, Dialect, Transaction
from assistant.storage.errors import StorageError
from assistant.storage.timestamps import db_time, utc_now

GUARDED_TABLE = "audit_events"
GUARD_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Callable[[Dialect], list[str]]


def _tables(dialect: Dialect) -> list[str]:
    auto_id = (
        "INTEGER PRIMARY KEY AUTOINCREMENT"
        if dialect is Dialect.SQLITE
        else "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    )
    return [
        """CREATE TABLE audit_events (
            seq BIGINT PRIMARY KEY,
            time TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT,
            thread TEXT,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        "CREATE INDEX audit_events_by_thread ON audit_events (thread, seq)",
        # One row: the last seq and hash. Appenders lock it, and verify() compares the
        # chain's end with it, so deleting the newest events is detected too.
        """CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL
        )""",
        f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{'0' * 64}')",
        """CREATE TABLE proposals (
            id TEXT PRIMARY KEY,
            thread_id TEXT NOT NULL,
            tool TEXT NOT NULL,
            args_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            service TEXT,
            resource_key TEXT,
            created_at TEXT NOT NULL,
            body TEXT NOT NULL,
            claimed_by TEXT,
            claimed_at TEXT,
            finished_at TEXT,
            result TEXT
        )""",
        "CREATE INDEX proposals_by_thread ON proposals (thread_id, created_at)",
        "CREATE INDEX proposals_by_service ON proposals (service, claimed_at)",
        "CREATE INDEX proposals_by_resource ON proposals (resource_key, status)",
        "CREATE INDEX proposals_by_status ON proposals (status)",
        """CREATE TABLE approvals (
            proposal_id TEXT NOT NULL REFERENCES proposals (id),
            approver_id TEXT NOT NULL,
            approved INTEGER NOT NULL,
            at TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (proposal_id, approver_id)
        )""",
        f"""CREATE TABLE messages (
            id {auto_id},
            thread_id TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX messages_by_thread ON messages (thread_id, id)",
    ]


def _append_only_guard(dialect: Dialect) -> list[str]:
    no_update, no_delete = GUARD_TRIGGERS
    if dialect is Dialect.SQLITE:
        return [
            f"""CREATE TRIGGER {name} BEFORE {op} ON {GUARDED_TABLE}
            BEGIN SELECT RAISE(ABORT, '{GUARDED_TABLE} is append-only: {op} rejected'); END"""
            for name, op in ((no_update, "UPDATE"), (no_delete, "DELETE"))
        ]
    return [
        f"""CREATE FUNCTION {GUARDED_TABLE}_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{GUARDED_TABLE} is append-only: % rejected', TG_OP;
        END
        $$""",
        *(
            f"""CREATE TRIGGER {name} BEFORE {op} ON {GUARDED_TABLE}
            FOR EACH ROW EXECUTE FUNCTION {GUARDED_TABLE}_append_only()"""
            for name, op in ((no_update, "UPDATE"), (no_delete, "DELETE"))
        ),
        f"""CREATE TRIGGER {GUARDED_TABLE}_no_truncate BEFORE TRUNCATE ON {GUARDED_TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {GUARDED_TABLE}_append_only()""",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {GUARDED_TABLE} FROM PUBLIC",
    ]


def _executors(dialect: Dialect) -> list[str]:
    # One row per process that may claim proposals; see executors.py for how a row's
    # heartbeat and lease decide whether its claims are still being run.
    return [
        """CREATE TABLE executors (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid BIGINT NOT NULL,
            started_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL,
            lease_seconds DOUBLE PRECISION NOT NULL,
            stopped_at TEXT
        )""",
    ]


def _audit_seals(dialect: Dialect) -> list[str]:
    # NULL on the rows already there: events written before audit keys stay checkable by
    # their hash chain, and the first sealed event after them covers them (see chain.py).
    return [
        f"ALTER TABLE {GUARDED_TABLE} ADD COLUMN seal TEXT",
        "ALTER TABLE audit_head ADD COLUMN seal TEXT",
    ]


def _slack_tables(dialect: Dialect) -> list[str]:
    # The Slack adapter's tables (assistant/slack/records.py) as it created them itself
    # before they were migrations: IF NOT EXISTS adopts a database that already has them,
    # rows kept, and creates them on one that does not.
    return [
        """CREATE TABLE IF NOT EXISTS slack_threads (
            thread_id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            thread_ts TEXT NOT NULL,
            started_at TEXT NOT NULL,
            active_at TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS slack_threads_by_channel ON slack_threads (channel, active_at)",
        """CREATE TABLE IF NOT EXISTS slack_cards (
            proposal_id TEXT PRIMARY KEY,
            thread_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            ts TEXT NOT NULL,
            rendered TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS slack_cards_by_thread ON slack_cards (thread_id)",
        """CREATE TABLE IF NOT EXISTS slack_alert_groups (
            group_key TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            thread_ts TEXT,
            status TEXT NOT NULL,
            fingerprints TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    ]


def _slack_events(dialect: Dialect) -> list[str]:
    # One row per Slack event id some replica took: the same event delivered to two
    # replicas, or redelivered by Slack (X-Slack-Retry-Num), is handled by the first only.
    return [
        """CREATE TABLE slack_events (
            event_id TEXT PRIMARY KEY,
            taken_by TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            deliveries INTEGER NOT NULL
        )""",
        "CREATE INDEX slack_events_by_time ON slack_events (taken_at)",
    ]


def _verifications(dialect: Dialect) -> list[str]:
    # Watches in progress (verifications.py); unfinished ones are few, so the partial scan
    # by finished_at stays small however many actions have run.
    return [
        """CREATE TABLE verifications (
            proposal_id TEXT PRIMARY KEY REFERENCES proposals (id),
            thread_id TEXT NOT NULL,
            watcher TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX verifications_unfinished ON verifications (finished_at)",
    ]


def _first_actions(dialect: Dialect) -> list[str]:
    # One row per incident (its thread and when its alert fired) that someone acted in:
    # the insert is the claim, so of two replicas acting at one instant only one audits
    # the incident's first action.
    return [
        """CREATE TABLE incident_first_actions (
            thread_id TEXT NOT NULL,
            fired_at TEXT NOT NULL,
            proposal_id TEXT,
            acted_at TEXT NOT NULL,
            PRIMARY KEY (thread_id, fired_at)
        )""",
    ]


def _verification_reports(dialect: Dialect) -> list[str]:
    # Whether a finished watch's outcome was told to its thread (once, by whichever replica
    # takes the report), and why a watch was given up. Watches finished before this
    # migration were told by the code of their day: they count as reported.
    return [
        "ALTER TABLE verifications ADD COLUMN reported_at TEXT",
        "ALTER TABLE verifications ADD COLUMN gave_up TEXT",
        "UPDATE verifications SET reported_at = finished_at WHERE finished_at IS NOT NULL",
        "CREATE INDEX verifications_unreported ON verifications (reported_at)",
    ]


def _proposal_makers(dialect: Dialect) -> list[str]:
    # The executor (process) whose run recorded each proposal: a pending proposal its
    # thread never showed is closed once that process is gone, never while it may still
    # be about to show it. NULL on older rows: who made them is not known.
    return ["ALTER TABLE proposals ADD COLUMN made_by TEXT"]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "audit log, proposals, approvals, messages", _tables),
    Migration(2, "append-only guard on the audit log", _append_only_guard),
    Migration(3, "executors with heartbeats, so claims of vanished executors expire", _executors),
    Migration(4, "audit seals: a MAC per event and on the head, under a key kept elsewhere",
              _audit_seals),
    Migration(5, "Slack threads, cards and alert groups, until now created by the adapter",
              _slack_tables),
    Migration(6, "Slack events taken, so replicas and Slack's retries answer an event once",
              _slack_events),
    Migration(7, "verifications being watched, resumable by another executor",
              _verifications),
    Migration(8, "incidents' first actions, claimed once across replicas", _first_actions),
    Migration(9, "verification outcomes told to their thread once, and why a watch gave up",
              _verification_reports),
    Migration(10, "which process made each proposal, so unshown ones can be closed",
              _proposal_makers),
)


def migrate(db: Database) -> int:
    """Apply the missing migrations; returns the schema version. Safe to race."""
    with db.write() as tx:
        if db.dialect is Dialect.POSTGRES:
            # Serialise concurrent first starts; keyed by schema so tests in separate
            # schemas do not wait for each other.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '')))")
            _require_schema(tx, db)
        tx.execute(
            "CREATE TABLE IF NOT EXISTS store_migrations ("
            "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in tx.all("SELECT version FROM store_migrations")}
        newest_known = MIGRATIONS[-1].version
        if applied and max(applied) > newest_known:
            raise StorageError(
                f"{db.url.display} has schema version {max(applied)}, newer than the "
                f"{newest_known} this opsbot understands; upgrade opsbot"
            )
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            for statement in migration.statements(db.dialect):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO store_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, db_time(utc_now())),
            )
    return newest_known


def _require_schema(tx: Transaction, db: Database) -> None:
    row = tx.one("SELECT current_schema()")
    if row is None or row[0] is None:
        raise StorageError(
            f"{db.url.display}: no schema on the search_path exists; create it or fix "
            "the URL's options=-csearch_path=..."
        )
