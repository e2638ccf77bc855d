"""Log lines pass through the same redactor: message, arguments, traceback and extras."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from assistant.redaction import RedactingFilter, Redactor


@pytest.fixture
def logged(redaction_engine: str) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(Redactor(key=b"log", engine=redaction_engine)))
    logger = logging.getLogger("test_redaction_logging")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def test_secret_in_an_argument_is_redacted_after_formatting(logged) -> None:
    logger, stream = logged
    logger.info("connecting with password=%s to %s", "hunter2", "db.internal")
    line = stream.getvalue()
    assert "hunter2" not in line
    assert line.startswith("INFO connecting with password=[REDACTED:password#")
    assert line.rstrip().endswith(" to db.internal")


def test_secret_in_a_traceback_is_redacted(logged) -> None:
    logger, stream = logged
    try:
        raise RuntimeError("auth failed for token ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")
    except RuntimeError:
        logger.exception("call failed")
    text = stream.getvalue()
    assert "Traceback" in text and "RuntimeError: auth failed for token [REDACTED:" in text
    assert "ghp_" not in text


def test_extras_are_redacted_for_structured_formatters(redaction_engine: str) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RedactingFilter(Redactor(key=b"log", engine=redaction_engine)))
    logger = logging.getLogger("test_redaction_logging.extras")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("login", extra={"password": "hunter2", "request": {"token": "abc"}})
    finally:
        logger.removeHandler(handler)
    record = records[0]
    assert "hunter2" not in json.dumps(record.password)  # type: ignore[attr-defined]
    assert record.request["token"].startswith("[REDACTED:token#")  # type: ignore[attr-defined]


def test_filter_keeps_every_record_and_is_idempotent(logged) -> None:
    logger, stream = logged
    logger.debug("plain message %d", 3)
    logger.debug("password=[REDACTED:password#abcd]")
    assert stream.getvalue().splitlines() == [
        "DEBUG plain message 3", "DEBUG password=[REDACTED:password#abcd]",
    ]
