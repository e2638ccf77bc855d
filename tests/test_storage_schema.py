"""Opening a store creates or upgrades its schema once; bad URLs are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeRedaction, RawDatabase

from assistant.errors import InputError
from assistant.storage import StorageError, open_store
from assistant.storage.schema import MIGRATIONS


def test_reopening_keeps_data_and_applies_each_migration_once(
    db_url: str, raw_db: RawDatabase, redaction: FakeRedaction
) -> None:
    with open_store(db_url, redaction.redact) as store:
        store.audit.append("question", actor="U1", thread="T1", payload={})
    with open_store(db_url, redaction.redact) as store:
        assert store.audit.verify().checked == 1
    versions = raw_db.query("SELECT version FROM store_migrations ORDER BY version")
    assert [v for (v,) in versions] == [m.version for m in MIGRATIONS]


def test_a_newer_schema_is_refused(
    db_url: str, raw_db: RawDatabase, redaction: FakeRedaction
) -> None:
    open_store(db_url, redaction.redact).close()
    raw_db.execute("INSERT INTO store_migrations (version, description, applied_at) "
                   "VALUES (999, 'from the future', 'now')")
    with pytest.raises(StorageError, match="schema version 999, newer"):
        open_store(db_url, redaction.redact)


def test_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / ".opsbot" / "opsbot.db"
    open_store(f"sqlite:///{path}", str).close()
    assert path.is_file()


@pytest.mark.parametrize("url", ["mysql://db/x", "sqlite:///", "sqlite:///:memory:", "x"])
def test_unsupported_urls_name_the_field(url: str) -> None:
    with pytest.raises(InputError, match="db_url"):
        open_store(url, str)


def test_unreachable_postgres_is_a_storage_error_without_the_password() -> None:
    url = "postgresql://opsbot:s3cret@127.0.0.1:1/opsbot"
    with pytest.raises(StorageError, match=r"cannot connect to postgresql://opsbot:\*\*\*@") as e:
        open_store(url, str, wait_seconds=1)  # the default waits 30 s for a slow start
    assert "s3cret" not in str(e.value)
