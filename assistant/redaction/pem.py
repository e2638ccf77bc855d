"""Private-key blocks that span lines, followed while streaming in constant memory.

The body is hashed as it passes (never buffered) and replaced by one placeholder line
before the END marker. Body lines may carry the BEGIN line's prefix (indentation, a
``web-1 |`` container tag, a timestamp of the same shape); a line that is not body ends the
block early (a truncated key), so the log after it is not swallowed.
"""

from __future__ import annotations

import hmac
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.redaction.detector import Finding
from assistant.redaction.placeholder import Placeholders, encode_secret

_LABEL = r"(?P<label>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)"
PEM_BEGIN_RE = re.compile(r"-----BEGIN " + _LABEL + r"-----")
PEM_END_RE = re.compile(r"-----END " + _LABEL + r"-----")

_BODY = re.compile(r"[A-Za-z0-9+/=]*|(?:Proc-Type|DEK-Info|Comment|Version):.*")
_DIGITS = re.compile(r"\d")


def _shape(prefix: str) -> str:
    return _DIGITS.sub("0", prefix)


def _strip_body(text: str) -> str:
    """Drop quotes, commas and literal ``\\n`` escapes around a body line."""
    text = text.strip().lstrip("\"'")
    while True:
        stripped = text.rstrip(" \t\"',")
        if stripped.endswith("\\n"):
            stripped = stripped[:-2]
        if stripped == text:
            return text
        text = stripped


def _markers(line: str) -> Iterator[tuple[re.Match[str], int | None]]:
    """Each BEGIN marker with the start of the first matching END after it on the line.

    END positions are looked up by bisection, so many markers on one line stay linear.
    """
    if "-----BEGIN" not in line:
        return
    ends: dict[str, list[int]] = {}
    for end in PEM_END_RE.finditer(line):
        ends.setdefault(end.group("label"), []).append(end.start())
    for begin in PEM_BEGIN_RE.finditer(line):
        positions = ends.get(begin.group("label"), [])
        i = bisect_left(positions, begin.end())
        yield begin, positions[i] if i < len(positions) else None


def open_block_start(line: str) -> re.Match[str] | None:
    """The BEGIN marker in ``line`` whose END is not on the same line, if any."""
    return next((begin for begin, end in _markers(line) if end is None), None)


class InlinePemDetector:
    """A whole key on one line: JSON ``\\n`` escapes or spaces between the markers."""

    triggers = ("-----begin",)
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        for begin, end in _markers(line):
            if end is not None and end > begin.end():
                yield Finding(begin.end(), end, "private-key")


@dataclass
class _Block:
    label: str
    lead: str  # what stood before -----BEGIN
    indent: str
    mac: hmac.HMAC
    has_body: bool = False


class PemTracker:
    """Feed lines in order; swallows key bodies and reports when a placeholder is due."""

    def __init__(self, placeholders: Placeholders) -> None:
        self._placeholders = placeholders
        self._block: _Block | None = None

    @property
    def active(self) -> bool:
        return self._block is not None

    def begin(self, line: str, begin: re.Match[str]) -> str:
        """Start a block at ``begin``; returns the line cut after the marker."""
        lead = line[: begin.start()]
        indent = lead if not lead.strip() else ""
        self._block = _Block(begin.group("label"), lead, indent, self._placeholders.incremental())
        self._absorb(line[begin.end() :])
        return line[: begin.end()]

    def _absorb(self, body: str) -> None:
        assert self._block is not None
        text = _strip_body(body)
        if text:
            self._block.mac.update(encode_secret(text))
            self._block.has_body = True

    def _split(self, line: str) -> tuple[str, str] | None:
        """(prefix, body) if ``line`` continues the block, else None."""
        assert self._block is not None
        leads = [line[: len(line) - len(line.lstrip())]]
        lead = self._block.lead
        if lead.strip() and len(line) >= len(lead) and _shape(line[: len(lead)]) == _shape(lead):
            leads.append(line[: len(lead)])
        for candidate in leads:
            rest = _strip_body(line[len(candidate) :])
            if _BODY.fullmatch(rest):
                return candidate, rest
        return None

    def feed(self, line: str) -> tuple[str | None, str | None]:
        """One line inside a block -> (placeholder or None, what is left to show or None).

        Body lines are absorbed (nothing left). The END line closes the block and is kept
        from the marker on; any other line closes the block early and is kept whole.
        """
        block = self._block
        assert block is not None
        at = line.find(f"-----END {block.label}-----")
        if at == -1:
            split = self._split(line)
            if split is None:
                return self.close(), line
            self._absorb(split[1])
            return None, None
        head = line[:at]
        split = self._split(head) if head.strip() else (head, "")
        if split is not None:
            self._absorb(split[1])
            head = split[0]
        return self.close(), head + line[at:]

    def close(self) -> str | None:
        """End the block (its END marker, a non-body line or the end of the input)."""
        block, self._block = self._block, None
        if block is None or not block.has_body:
            return None
        return block.indent + self._placeholders.from_digest("private-key", block.mac.hexdigest())
