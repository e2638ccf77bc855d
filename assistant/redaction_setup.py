"""Build the one Redactor for a process and route log lines through it."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from assistant.redaction import RedactingFilter, Redactor, load_redaction_config

KEY_FILE = "redaction.key"


def incident_key(home: Path) -> bytes:
    """The placeholder key, kept with the state so every process of an installation maps
    the same secret to the same placeholder and investigators can correlate them."""
    path = home / KEY_FILE
    if path.exists():
        return path.read_bytes()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def build_redactor(settings: Settings,
                   on_redaction: Callable[[str], None] | None = None) -> Redactor:
    config = load_redaction_config(settings.redaction_config) if settings.redaction_config \
        else None
    return Redactor(config, key=incident_key(settings.home), on_redaction=on_redaction)


def redact_logging(redactor: Redactor, root: logging.Logger | None = None) -> None:
    """Every handler on the root logger redacts what it emits (log lines are an egress)."""
    root = root or logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)  # the newest redactor carries the incident key
        handler.addFilter(RedactingFilter(redactor))
