"""Log lines: JSON lines for collectors, a compact text form for terminals.

Every record is stamped with the correlation, thread and proposal ids in force
(telemetry/correlation.py) by a filter that runs before the redacting filter, so the
ids are redacted like any other field; the formatters only lay out what is left.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from assistant.config.tree import LogFormat
from assistant.telemetry.correlation import current_ids

ID_FIELDS = ("correlation_id", "thread_id", "proposal_id")
# What LogRecord carries of its own; anything else on a record is an ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", *ID_FIELDS}


class ContextFilter(logging.Filter):
    """Stamps each record with the ids of the question or click being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_ids().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception(record: logging.LogRecord, formatter: logging.Formatter) -> str | None:
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    text = record.exc_text or ""
    if record.stack_info:
        text = f"{text}\n{record.stack_info}" if text else record.stack_info
    return text or None


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, RFC 3339), level, logger, message, the ids
    that are set, extras, and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _time(record), "level": record.levelname,
                                "logger": record.name, "message": record.getMessage()}
        for name in ID_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        error = _exception(record, self)
        if error:
            line["exception"] = error
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``TIME LEVEL logger [thread proposal cid]: message`` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(str(v) for v in (getattr(record, n, None) for n in
                                        ("thread_id", "proposal_id", "correlation_id")) if v)
        text = (f"{_time(record)} {record.levelname:<7} {record.name}"
                + (f" [{ids}]" if ids else "") + f": {record.getMessage()}")
        error = _exception(record, self)
        return f"{text}\n{error}" if error else text


def formatter_for(fmt: LogFormat, stream: TextIO) -> logging.Formatter:
    """``auto``: text when a person is watching the stream, JSON lines otherwise."""
    if fmt == "auto":
        fmt = "text" if stream.isatty() else "json"
    return TextFormatter() if fmt == "text" else JsonLineFormatter()


class _OpsbotHandler(logging.StreamHandler[TextIO]):
    """Marks the handler configure_logging installed, so a second call replaces it."""


def configure_logging(level: str, fmt: LogFormat, stream: TextIO | None = None) -> None:
    """Send the root logger's records to ``stream`` (stderr) in ``fmt``.

    Like logging.basicConfig, it leaves alone a root logger that something else has given
    handlers (an embedding application, pytest): only the level is set then.
    """
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, _OpsbotHandler)]:
        root.removeHandler(old)
    if root.handlers:
        return
    target = stream or sys.stderr
    handler = _OpsbotHandler(target)
    handler.addFilter(ContextFilter())
    handler.setFormatter(formatter_for(fmt, target))
    root.addHandler(handler)
