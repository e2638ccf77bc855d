"""The prefilter on Hyperscan (Vectorscan): every detector's own patterns in one pass.

The pure-Python prefilter (:class:`~assistant.redaction.prefilter.Triggers`) scans for
short literal triggers, one ``str.find`` sweep each, and hands every line holding one to
its detectors; ``key`` or ``token`` is on a large share of log lines, so most of the time
goes to detectors that find nothing. Hyperscan matches many regexes in one pass at C speed,
so a detector can be routed by patterns much closer to what it reports: a known-format
detector by its own regex (compiled in prefilter mode, which widens look-arounds into a
superset), the key-value and generic detectors by their ``patterns``. A detector without
patterns keeps its triggers (literals, or regexes run case-insensitively for the
lower-case side).

Every pattern only has to match wherever its detector reports (the contract in
:mod:`assistant.redaction.detector`), so both engines give the same output; the tests run
on both. Patterns using ``\\w``, ``\\s``, ``\\d`` or ``\\b`` are compiled for UTF-8 with
Unicode classes, so they mean what they mean to ``re``. A block holding undecodable bytes
(lone surrogates from ``surrogateescape``) is not valid UTF-8 and goes through the pure
engine; team patterns Hyperscan cannot compile even in prefilter mode are searched line by
line with ``re``, as the pure engine does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from assistant.redaction.prefilter import (
    Triggers,
    TriggerSet,
    add_line_pattern_hits,
    plain_literal,
)

try:
    import hyperscan

    AVAILABLE = True
except ImportError:  # the optional "fast" extra is not installed: the pure engine serves
    AVAILABLE = False
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_NAMED_REFERENCE = re.compile(r"\(\?P=\w+\)")
_UNICODE_CLASS = re.compile(r"\\[wWsSdDbB]")


def _portable(pattern: str) -> str:
    """``pattern`` in PCRE syntax: Python's named groups become plain ones, and a named
    back reference any text on the line (a superset, as the prefilter needs)."""
    return _NAMED_GROUP.sub("(", _NAMED_REFERENCE.sub(r"[^\\n]*", pattern))


@lru_cache(maxsize=8)
def _database(expressions: tuple[tuple[str, int], ...]) -> Any:
    """Compiled once per process and set of patterns (about a second): every Redactor with
    the same team patterns shares it."""
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[pattern.encode() for pattern, _ in expressions],
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=[flags for _, flags in expressions],
    )
    return database


@lru_cache(maxsize=256)
def _compiles(pattern: str, flags: int) -> bool:
    try:
        hyperscan.Database().compile(expressions=[pattern.encode()], ids=[0], elements=1,
                                     flags=[flags])
    except hyperscan.error:
        return False
    return True


class HyperscanTriggers:
    """Same answers as :class:`Triggers` (owners by position in ``sets``), found by
    Hyperscan; ``patterns`` gives owners regexes to use instead of their triggers."""

    def __init__(
        self, sets: Sequence[TriggerSet], patterns: dict[int, Sequence[str]], pure: Triggers
    ) -> None:
        if not AVAILABLE:
            raise RuntimeError("the hyperscan package is not installed")
        self._pure = pure
        expressions: list[tuple[str, int, int]] = []  # (pattern, owner, flags)
        # What Hyperscan cannot compile is searched for line by line with ``re``.
        self._line_patterns: list[tuple[int, re.Pattern[str]]] = []
        for owner, (lower, exact) in enumerate(sets):
            if owner in patterns:
                for pattern in patterns[owner]:
                    portable = _portable(pattern)
                    wide = _flags(portable) | hyperscan.HS_FLAG_PREFILTER
                    if _compiles(portable, wide):
                        expressions.append((portable, owner, wide))
                    else:
                        self._line_patterns.append((owner, re.compile(pattern)))
                continue
            for fragment in lower:
                escaped = _escaped(fragment)
                expressions.append((escaped, owner, _flags(escaped) | hyperscan.HS_FLAG_CASELESS))
            expressions.extend((_escaped(f), owner, _flags(_escaped(f))) for f in exact)
        self._owners = [owner for _, owner, _ in expressions]
        self._db = _database(tuple((p, f) for p, _, f in expressions))
        self._local = threading.local()  # a scan's scratch space is one thread's at a time

    def for_line(self, line: str) -> set[int]:
        """Owners whose patterns or triggers occur in ``line`` (one line, no ending)."""
        return self.for_block(line).get(0, set())

    def for_block(self, block: str) -> dict[int, set[int]]:
        """Start offset of each line of ``block`` holding a match -> its owners."""
        try:
            data = block.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: not UTF-8, Hyperscan cannot read it
            return self._pure.for_block(block)
        # Lines are matched without their "\r" (a CRLF line's "$" is before it); as an empty
        # line of its own, the offsets stay put.
        scanned = data.replace(b"\r\n", b"\n\n") if b"\r" in data else data
        owners = self._owners
        by_line: dict[int, set[int]] = {}
        last = [0, 0]  # line start and end of the previous match: a long line is walked once

        def on_match(pattern: int, start: int, end: int, flags: int, context: object) -> None:
            if 0 < last[1] <= end and data.find(b"\n", last[1] - 1, end - 1) == -1:
                line_start = last[0]
            else:
                line_start = data.rfind(b"\n", 0, end - 1) + 1
            last[0], last[1] = line_start, end
            found = by_line.get(line_start)
            if found is None:
                by_line[line_start] = {owners[pattern]}
            else:
                found.add(owners[pattern])

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        self._db.scan(scanned, match_event_handler=on_match, scratch=scratch)
        hits = by_line if len(data) == len(block) else _char_offsets(data, by_line)
        add_line_pattern_hits(block, self._line_patterns, hits)
        return hits


def _flags(pattern: str) -> int:
    """Unicode classes (slower to compile) only where ``\\w``, ``\\s``, ``\\d`` or ``\\b``
    need them to mean what they mean to ``re``; ASCII-only patterns read UTF-8 as bytes,
    which every negated class and unbounded run still spans."""
    flags = hyperscan.HS_FLAG_MULTILINE
    if _UNICODE_CLASS.search(pattern):
        flags |= hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP
    return flags


def _escaped(fragment: str) -> str:
    """A trigger as a Hyperscan expression: literals escaped, regexes as they are."""
    literal = plain_literal(fragment)
    return fragment if literal is None else re.escape(literal)


def _char_offsets(data: bytes, by_line: dict[int, set[int]]) -> dict[int, set[int]]:
    """Line starts as byte offsets into ``data`` -> as character offsets (one decode)."""
    hits: dict[int, set[int]] = {}
    chars = 0
    previous = 0
    for start in sorted(by_line):
        chars += len(data[previous:start].decode("utf-8"))
        hits[chars] = by_line[start]
        previous = start
    return hits
