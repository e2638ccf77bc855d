"""A logging filter so log lines pass through the same redactor as everything else."""

from __future__ import annotations

import logging

from assistant.redaction.redactor import Redactor

# Attributes every LogRecord has; anything else came in through ``extra=`` and is redacted.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Redacts a record's message (after merging its args), traceback, stack and extras.

    Attach it to handlers: a filter on a logger does not see records propagated from child
    loggers. The record is rewritten in place, so every later handler sees redacted text.
    """

    def __init__(self, redactor: Redactor, name: str = "") -> None:
        super().__init__(name)
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self._redactor.redact
        # Merge first: "password=%s" % ("hunter2",) is only recognisable once formatted.
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # Formatters render exc_text when exc_info is gone; none can re-render the raw one.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        if extras:
            # As one mapping, so each extra's name counts (extra={"password": "hunter2"}).
            redacted = self._redactor.redact_value(extras)
            for name, value in zip(extras, redacted.values(), strict=True):
                setattr(record, name, value)
        return True
