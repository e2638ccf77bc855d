"""Markdown tables with a credential column, as pasted into chat::

    | service | user  | password     |
    |---------|-------|--------------|
    | grafana | admin | Kq7mPz2Lw9xR |

A header row naming a sensitive column (``password``, ``api key``, ``token``, ``pw``; the
names :func:`~assistant.redaction.fields.secret_kind_for_name` knows) opens the table once its
delimiter row follows; every cell of that column is replaced, row by row, until a line that
is not a row. In a ``| key | value |`` table, the row's name cell says whether its value
cell is a credential. The header decides, as a field's name does, so an innocent-looking cell is
still replaced; empty cells, dashes and placeholders are not, and a ``secret`` column holding
Kubernetes object names (``db-creds``) is a list of Secrets, not of their values.
"""

from __future__ import annotations

import re
from itertools import pairwise

from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    MAX_NAME,
    is_dummy_value,
    secret_kind_for_name,
    starts_with_template,
)

# A header row: a pipe, then in the same cell a sensitive name's trigger, or the "value" of a
# name/value table.
# Led by the pipe, so it is searched for as fast as a literal; bounded by the next pipe, so a
# row of many cells is read once.
TRIGGERS = (r"\|[^\n|]*(?:pass|pwd|pw|secret|token|key|cred|value)",)
_ROW = re.compile(r"[ \t]*\|")
_DELIMITER = re.compile(r"[ \t]*\|(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*")
_PIPE = re.compile(r"(?<!\\)\|")
_SHORT_PASSWORD_NAMES = frozenset({"pw", "pass", "passord", "passwort"})
_OBJECT_NAME = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_EMPHASIS = "*_` \t"
_NAME_HEADERS = frozenset({"key", "name", "variable", "var", "env", "setting", "field"})
_VALUE_HEADER = "value"


def _cells(line: str) -> list[tuple[int, int]]:
    """Spans of the cells' text (blanks and emphasis around it left out), left to right."""
    pipes = [m.start() for m in _PIPE.finditer(line)]
    spans = []
    for left, right in pairwise(pipes):
        start, end = left + 1, right
        while start < end and line[start] in _EMPHASIS:
            start += 1
        while end > start and line[end - 1] in _EMPHASIS:
            end -= 1
        spans.append((start, end))
    return spans


def _column_kind(name: str) -> str | None:
    if not name or len(name) > MAX_NAME:
        return None
    if name.lower() in _SHORT_PASSWORD_NAMES:
        return "password"
    return secret_kind_for_name(name)


class TableTracker:
    """Follows one markdown table at a time: its header, its delimiter row, its rows."""

    def __init__(self) -> None:
        self._columns: dict[int, str] = {}
        self._pair: tuple[int, int] | None = None  # (name column, value column)
        self._in_body = False

    @property
    def active(self) -> bool:
        return bool(self._columns) or self._pair is not None

    def findings(self, line: str) -> list[Finding]:
        """The credential cells of ``line`` (no ending); the tracker moves on with it."""
        if self.active and not self._in_body:
            if _DELIMITER.fullmatch(line):
                self._in_body = True
                return []
            self._close()
        elif self._in_body:
            if _ROW.match(line):
                return self._row(line)
            self._close()
        if _ROW.match(line):
            self._open(line)
        return []

    def _open(self, line: str) -> None:
        headers = [line[start:end].lower() for start, end in _cells(line)]
        for index, header in enumerate(headers):
            kind = _column_kind(header)
            if kind is not None:
                self._columns[index] = kind
            elif header == _VALUE_HEADER and index and headers[index - 1] in _NAME_HEADERS:
                self._pair = (index - 1, index)

    def _row(self, line: str) -> list[Finding]:
        cells = _cells(line)
        kinds = dict(self._columns)
        if self._pair is not None and len(cells) > self._pair[1]:
            start, end = cells[self._pair[0]]
            kind = _column_kind(line[start:end])
            if kind is not None:
                kinds[self._pair[1]] = kind
        found = []
        for index, (start, end) in enumerate(cells):
            kind = kinds.get(index)
            value = line[start:end]
            if kind is None or is_dummy_value(value) or starts_with_template(line, start):
                continue
            if kind == "secret" and _OBJECT_NAME.fullmatch(value):
                continue  # the name of a Kubernetes Secret
            found.append(Finding(start, end, kind))
        return found

    def _close(self) -> None:
        self._columns = {}
        self._pair = None
        self._in_body = False
