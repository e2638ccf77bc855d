"""Where the audit key comes from: OPSBOT_AUDIT_KEY_FILE, else one generated once under
OPSBOT_HOME with mode 0600, which the engine seals its audit events with."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import Actor
from assistant.runtime import open_runtime
from assistant.storage import StorageError
from assistant.storage.audit_key import LOCAL_KEY_FILE, audit_key_for, read_audit_key


def test_the_local_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert audit_key_for(None, home, create=False) is None
    first = audit_key_for(None, home, create=True)
    key_file = home / LOCAL_KEY_FILE
    assert first is not None and first.source == str(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert audit_key_for(None, home, create=True) == first
    assert audit_key_for(None, home, create=False) == first
    assert sorted(p.name for p in home.iterdir()) == [LOCAL_KEY_FILE]


def test_a_configured_key_file_is_used_and_never_replaced(tmp_path: Path) -> None:
    key_file = tmp_path / "mounted" / "audit-key"
    settings = Settings.from_env({"OPSBOT_HOME": str(tmp_path / "home"),
                                  "OPSBOT_AUDIT_KEY_FILE": str(key_file)})
    assert settings.audit_key_file == key_file
    with pytest.raises(InputError, match="OPSBOT_AUDIT_KEY_FILE: cannot read the audit key") as e:
        audit_key_for(settings.audit_key_file, settings.home, create=True)
    assert str(key_file) in str(e.value)
    assert not key_file.exists() and not (settings.home / LOCAL_KEY_FILE).exists()
    key_file.parent.mkdir()
    key_file.write_bytes(b"s3cr3t-from-a-kubernetes-secret-mount!!\n")
    key = audit_key_for(settings.audit_key_file, settings.home, create=True)
    assert key is not None and key.secret == b"s3cr3t-from-a-kubernetes-secret-mount!!"


def test_a_short_key_is_refused_naming_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text("hunter2\n")
    with pytest.raises(InputError, match="7 bytes, fewer than 32") as e:
        read_audit_key(key_file)
    assert str(key_file) in str(e.value) and "hunter2" not in str(e.value)


def test_the_engine_seals_every_event_with_the_local_key(open_engine, engine_settings) -> None:
    with open_engine("checkout-bad-deploy") as session:
        session.ask("t1", Actor(user_id="U02BOB"), "why does checkout keep restarting?")
        report = session.rt.store.audit.verify()
    key = read_audit_key(engine_settings.home / LOCAL_KEY_FILE)
    assert report.ok and report.checked > 3 and report.sealed == report.checked
    assert report.key_id == key.key_id


def test_a_replica_with_another_key_is_refused_when_it_starts(
    tmp_path: Path, runbook_index
) -> None:
    shared_db = f"sqlite:///{tmp_path / 'shared.db'}"
    first = Settings.from_env({"OPSBOT_HOME": str(tmp_path / "a"), "OPSBOT_DB": shared_db})
    with open_runtime(first, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index) as rt:
        rt.store.audit.append("question", actor="U02BOB", thread="t1", payload={})
    sealed_by = read_audit_key(first.home / LOCAL_KEY_FILE).key_id
    second = Settings.from_env({"OPSBOT_HOME": str(tmp_path / "b"), "OPSBOT_DB": shared_db})
    refused = f"sealed with audit key {sealed_by}, this process holds .* the same " \
              "OPSBOT_AUDIT_KEY_FILE"
    with pytest.raises(StorageError, match=refused), open_runtime(
        second, "checkout-bad-deploy", persist_sandbox=False, index=runbook_index,
    ):
        pass
    shared_key = Settings.from_env({
        "OPSBOT_HOME": str(tmp_path / "b"), "OPSBOT_DB": shared_db,
        "OPSBOT_AUDIT_KEY_FILE": str(first.home / LOCAL_KEY_FILE)})
    with open_runtime(shared_key, "checkout-bad-deploy", persist_sandbox=False,
                      index=runbook_index) as rt:
        rt.store.audit.append("question", actor="U02BOB", thread="t2", payload={})
        assert rt.store.audit.verify().sealed == 2
