"""YAML block scalars under sensitive names: the indented lines after ``password: |`` or
``private_key: >-`` are the value, however many there are.

Followed line by line: a block opens at a sensitive key whose value is a block indicator
and holds every following line indented deeper than that key (blank lines included); the
first line at or left of the key's column closes it. Each content line is replaced whole.
Key markers (``-----BEGIN ...``/``-----END ...``) are left to the key-block tracker, which
turns the body between them into one placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.redaction.detector import Finding
from assistant.redaction.fields import MAX_NAME, is_dummy_value, secret_kind_for_name

# key: |, - "key": >-, key: |2 # comment. Possessive: a long key cannot make it backtrack.
_OPENER = re.compile(
    r"(?P<lead>[ \t]*+(?:-[ \t]+)?)(?P<q>[\"']?)(?P<key>[^\s\"':#][^\"':#]*+)(?P=q)"
    r"[ \t]*+: [|>][-+0-9]*+[ \t]*+(?:#.*)?"
)
# Every opener has one (one blank after the colon, as YAML is written); triggers are regexes,
# so the bar is escaped. ANCHORS: single characters are found at memchr speed, and the
# triggers ride on them.
TRIGGERS = (r": \|", ": >")
ANCHORS = ("|", ">")
_INDICATOR_ENDS = frozenset("|>-+0123456789")
_PEM_MARK = "-----"


def block_scalar_key(line: str) -> tuple[int, str] | None:
    """(column, key) when ``line`` is ``key: |`` (or ``>``, ``|-``, ``>+``...), else None."""
    stripped = line.rstrip()
    if not stripped or (stripped[-1] not in _INDICATOR_ENDS and "#" not in stripped):
        return None
    opener = _OPENER.fullmatch(stripped)
    if opener is None:
        return None
    return len(opener.group("lead")), opener.group("key").rstrip()


@dataclass
class _Open:
    column: int  # of the key; content lines are indented further
    kind: str


class BlockScalarTracker:
    def __init__(self) -> None:
        self._open: _Open | None = None
        self.active = False  # a plain attribute: the session asks on every line it looks at

    def open(self, column: int, kind: str) -> None:
        """Treat the lines after a key at ``column`` as a secret of ``kind``."""
        self._open = _Open(column, kind)
        self.active = True

    def feed(self, line: str) -> tuple[list[Finding], bool]:
        """Update the state with ``line``: (its findings, whether it is a content line)."""
        block = self._open
        if block is not None:
            content = line.strip()
            if not content:
                return [], True
            column = len(line) - len(line.lstrip())
            if column > block.column:
                if content.startswith(_PEM_MARK) or is_dummy_value(content):
                    return [], True
                return [Finding(column, len(line.rstrip()), block.kind)], True
            self._open = None
            self.active = False
        opener = block_scalar_key(line)
        if opener is not None and len(opener[1]) <= MAX_NAME:
            kind = secret_kind_for_name(opener[1])
            if kind is not None:
                self.open(opener[0], kind)
        return [], False
