"""The Postgres fixture: each test gets its own schema, on sessions that skip the disk sync."""

from __future__ import annotations

import psycopg


def test_a_test_schema_is_its_own_and_commits_without_waiting_for_the_disk(
        postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()
        sync = conn.execute("SHOW synchronous_commit").fetchone()
    assert schema is not None and schema[0].startswith("opsbot_test_")
    assert sync == ("off",)
