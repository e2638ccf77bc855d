"""Where the audit key comes from: a file mounted from outside (a Kubernetes Secret), or,
when none is configured, one generated once under OPSBOT_HOME for local use.

The key never enters the database: a seal is only worth something to someone who can write
the database but cannot read the key. With the generated key, that is nobody who can read
OPSBOT_HOME, so it guards a local SQLite log against edits through the database file only;
a shared database (several replicas, a DBA) wants OPSBOT_AUDIT_KEY_FILE on every process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from assistant.errors import InputError
from assistant.storage.chain import AuditKey

LOCAL_KEY_FILE = "audit.key"
MIN_KEY_BYTES = 32  # HMAC-SHA256 gains nothing from more, and is weakened by less
KEY_SETTING = "OPSBOT_AUDIT_KEY_FILE"


def audit_key_for(key_file: Path | None, home: Path, *, create: bool) -> AuditKey | None:
    """The configured key; else the local one under ``home``, generated when ``create``
    (writers create it, readers such as ``opsbot audit verify`` only use it if it exists)."""
    if key_file is not None:
        return read_audit_key(key_file)
    local = home / LOCAL_KEY_FILE
    if create:
        _generate_once(local)
    elif not local.exists():
        return None
    return read_audit_key(local)


def read_audit_key(path: Path) -> AuditKey:
    try:
        # Surrounding whitespace is the trailing newline of `echo` or `kubectl create
        # secret --from-file`, not key material.
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise InputError(f"cannot read the audit key: {exc.strerror}", source=str(path),
                         field=KEY_SETTING) from exc
    if len(secret) < MIN_KEY_BYTES:
        raise InputError(
            f"the audit key has {len(secret)} bytes, fewer than {MIN_KEY_BYTES}; generate one "
            "with `openssl rand -hex 32`", source=str(path), field=KEY_SETTING)
    return AuditKey(secret, str(path))


def _generate_once(path: Path) -> None:
    """Create the key file with mode 0600 unless it exists; safe when processes race.

    The key is written in full under a private name and then linked into place, so a racing
    process either wins the link or reads the complete key of the one that did."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key stands
            os.link(draft, path)
    finally:
        draft.unlink()
