"""A database made before the Slack tables were numbered migrations upgrades in place:
the tables the adapter created itself are adopted with their rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import FakeRedaction, RawDatabase

from assistant.slack.records import SlackRecords
from assistant.storage import open_store, schema

WHEN = datetime(2026, 10, 3, 8, 30, tzinfo=UTC)

# What SlackRecords.open ran on every start until the tables joined the migrations.
ADAPTER_MADE_TABLES = (
    """CREATE TABLE IF NOT EXISTS slack_threads (
        thread_id TEXT PRIMARY KEY, channel TEXT NOT NULL, thread_ts TEXT NOT NULL,
        started_at TEXT NOT NULL, active_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS slack_threads_by_channel ON slack_threads (channel, active_at)",
    """CREATE TABLE IF NOT EXISTS slack_cards (
        proposal_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, channel TEXT NOT NULL,
        ts TEXT NOT NULL, rendered TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS slack_cards_by_thread ON slack_cards (thread_id)",
    """CREATE TABLE IF NOT EXISTS slack_alert_groups (
        group_key TEXT PRIMARY KEY, channel TEXT NOT NULL, thread_ts TEXT,
        status TEXT NOT NULL, fingerprints TEXT NOT NULL, updated_at TEXT NOT NULL)""",
)


def _database_of_the_previous_release(db_url: str, raw_db: RawDatabase,
                                      redaction: FakeRedaction,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as previous:
        previous.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
        open_store(db_url, redaction.redact).close()
    for statement in ADAPTER_MADE_TABLES:
        raw_db.execute(statement)
    raw_db.execute("INSERT INTO slack_threads VALUES ('slack:C7OPS:1699.000200', 'C7OPS', "
                   "'1699.000200', '2026-10-01T09:00:00.000000Z', '2026-10-01T09:05:00.000000Z')")
    raw_db.execute("INSERT INTO slack_cards VALUES ('prop-77', 'slack:C7OPS:1699.000200', "
                   "'C7OPS', '1699.000300', 'digest-before')")
    raw_db.execute("INSERT INTO slack_alert_groups VALUES ('{}:{alertname=\"DiskFull\"}', "
                   "'C7OPS', '1699.000400', 'firing', 'fp1,fp2', '2026-10-01T09:00:00.000000Z')")


def test_slack_rows_survive_the_upgrade_and_the_new_migrations_are_recorded(
        db_url: str, raw_db: RawDatabase, redaction: FakeRedaction,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _database_of_the_previous_release(db_url, raw_db, redaction, monkeypatch)
    records = SlackRecords.open(db_url)
    try:
        assert records.knows_thread("C7OPS", "1699.000200")
        assert [(c.proposal_id, c.ts, c.rendered)
                for c in records.cards_in_thread("C7OPS", "1699.000200")] \
            == [("prop-77", "1699.000300", "digest-before")]
        group = records.alert_group('{}:{alertname="DiskFull"}')
        assert group is not None and group.fingerprints == ("fp1", "fp2")
        assert records.take_event("Ev0UPGRADED", "replica-a", WHEN)
        # Tables of later migrations work on the upgraded database too.
        assert records.claim_first_action("slack:C7OPS:1699.000200", WHEN, "prop-77", WHEN)
        assert not records.claim_first_action("slack:C7OPS:1699.000200", WHEN, "prop-78", WHEN)
    finally:
        records.close()
    versions = [v for (v,) in raw_db.query("SELECT version FROM store_migrations "
                                           "ORDER BY version")]
    assert versions == [m.version for m in schema.MIGRATIONS]
    assert versions[-1] > 4


def test_a_fresh_database_gets_the_slack_tables_from_the_migrations_alone(
        db_url: str, raw_db: RawDatabase, redaction: FakeRedaction) -> None:
    open_store(db_url, redaction.redact).close()
    assert raw_db.query("SELECT count(*) FROM slack_threads") == [(0,)]
    assert raw_db.query("SELECT count(*) FROM slack_events") == [(0,)]
