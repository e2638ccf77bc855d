"""Log lines: JSON lines or text, with time, level and the ids of the question or click in
hand; the correlation id is the one on that question's audit events; secrets stay out."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import Actor
from assistant.redaction import RedactingFilter, Redactor
from assistant.telemetry.correlation import correlation_id, handling
from assistant.telemetry.logs import (
    ContextFilter,
    JsonLineFormatter,
    TextFormatter,
    configure_logging,
    formatter_for,
)

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    """A private logger writing through the same filters a configured process uses."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(Redactor()))
    logger = logging.getLogger("opsbot-test-telemetry-logs")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream, handler
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_carries_time_level_logger_and_the_ids_in_hand(captured) -> None:
    logger, stream, handler = captured
    handler.setFormatter(JsonLineFormatter())
    with handling(thread_id="slack:C7OPS:1712.000200", proposal_id="p-4f1e") as cid:
        logger.warning("scaling %s stalled", "ledger-api", extra={"replicas": 6})
    logger.info("idle")
    first, second = lines(stream)
    assert RFC3339_UTC.match(str(first["time"]))
    assert first["level"] == "WARNING" and first["logger"] == logger.name
    assert first["message"] == "scaling ledger-api stalled" and first["replicas"] == 6
    assert (first["thread_id"], first["proposal_id"], first["correlation_id"]) == (
        "slack:C7OPS:1712.000200", "p-4f1e", cid)
    assert not {"thread_id", "proposal_id", "correlation_id"} & set(second)


def test_a_json_line_is_redacted_in_message_extras_and_traceback(captured) -> None:
    logger, stream, handler = captured
    handler.setFormatter(JsonLineFormatter())
    try:
        raise RuntimeError("vault said token=s.Zr8kQ2vLx9aTm4Pn")
    except RuntimeError:
        logger.exception("login with password=Tr0ub4dor&3 failed",
                         extra={"api_key": "ak-7781-ffe0-secret"})
    text = stream.getvalue()
    for secret in ("Tr0ub4dor&3", "ak-7781-ffe0-secret", "s.Zr8kQ2vLx9aTm4Pn"):
        assert secret not in text
    (line,) = lines(stream)
    assert "[REDACTED:" in str(line["message"]) and "RuntimeError" in str(line["exception"])


def test_the_text_format_is_one_readable_line_with_the_ids(captured) -> None:
    logger, stream, handler = captured
    handler.setFormatter(TextFormatter())
    with handling(thread_id="cli:night-shift") as cid:
        logger.error("backend unreachable")
    line = stream.getvalue().rstrip("\n")
    assert re.match(r"^\S+Z ERROR   opsbot-test-telemetry-logs \[cli:night-shift "
                    rf"{cid}\]: backend unreachable$", line), line


def test_auto_picks_text_on_a_terminal_and_json_lines_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(formatter_for("auto", Terminal()), TextFormatter)
    assert isinstance(formatter_for("auto", io.StringIO()), JsonLineFormatter)
    assert isinstance(formatter_for("json", Terminal()), JsonLineFormatter)


def test_configure_logging_installs_one_handler_and_replaces_it_when_called_again() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers = []
    try:
        first, second = io.StringIO(), io.StringIO()
        configure_logging("INFO", "json", first)
        configure_logging("DEBUG", "json", second)
        logging.getLogger("opsbot.probe").debug("second handler only")
        assert len(root.handlers) == 1 and first.getvalue() == ""
        assert json.loads(second.getvalue())["message"] == "second handler only"
    finally:
        root.handlers, root.level = saved, level


def test_log_settings_are_read_and_bad_values_name_their_variable() -> None:
    settings = Settings.from_env({"OPSBOT_LOG_LEVEL": "debug", "OPSBOT_LOG_FORMAT": "json"})
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert Settings.from_env({}).log_format == "auto"
    with pytest.raises(InputError, match=r"OPSBOT_LOG_LEVEL.*'chatty'"):
        Settings.from_env({"OPSBOT_LOG_LEVEL": "chatty"})
    with pytest.raises(InputError, match="OPSBOT_LOG_FORMAT"):
        Settings.from_env({"OPSBOT_LOG_FORMAT": "xml"})


def test_the_cli_reports_a_bad_log_level_as_an_error_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPSBOT_LOG_LEVEL", "verbose")
    assert main(["policy", "lint"]) == 2
    err = capsys.readouterr().err
    assert "OPSBOT_LOG_LEVEL" in err and "verbose" in err and "Traceback" not in err


def test_a_question_s_log_lines_and_audit_events_share_one_correlation_id(
        open_engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(ContextFilter())
    with open_engine("checkout-bad-deploy") as session:
        with caplog.at_level(logging.DEBUG):
            session.ask("cli:ledger-1", Actor(user_id="U02BOB"),
                        "why does checkout keep restarting since the deploy?")
            session.ask("cli:ledger-2", Actor(user_id="U02BOB"), "is cart healthy?")
        events = list(session.rt.store.audit.events())
    by_thread: dict[str, set[str]] = {}
    for event in events:
        if event.thread and event.thread.startswith("cli:ledger"):
            by_thread.setdefault(event.thread, set()).add(event.payload["correlation_id"])
    assert all(len(ids) == 1 for ids in by_thread.values()) and len(by_thread) == 2
    first, second = by_thread["cli:ledger-1"], by_thread["cli:ledger-2"]
    assert first != second
    logged = {getattr(r, "correlation_id", None) for r in caplog.records
              if getattr(r, "thread_id", None) == "cli:ledger-1"}
    assert logged == first, "the first question logged nothing, or under another id"
    assert correlation_id() is None  # nothing leaks past the question
