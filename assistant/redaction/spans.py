"""Turn findings into the redacted line: drop what is allowed or already redacted, merge
overlaps, replace with placeholders.

Of overlapping findings the widest names the kind (an ``Authorization`` value holding an AWS
key id is an authorization); among equally wide ones the higher-priority detector does (a
``token=`` value that is a JWT is a jwt).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.redaction.placeholder import placeholder_spans


@dataclass(frozen=True, slots=True)
class RankedFinding:
    start: int
    end: int
    rank: int  # lower wins when findings overlap
    kind: str


class AllowList:
    """Findings equal to a literal, or fully matched by a regex, are left in place."""

    def __init__(self, literals: Iterable[str], regexes: Iterable[str]) -> None:
        self._literals = frozenset(literals)
        self._regexes = tuple(re.compile(r) for r in regexes)

    def allows(self, text: str) -> bool:
        return text in self._literals or any(r.fullmatch(text) for r in self._regexes)


def _outside(start: int, end: int, holes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [start, end) not covered by ``holes`` (sorted, disjoint)."""
    parts = []
    for hole_start, hole_end in holes:
        if hole_end <= start or hole_start >= end:
            continue
        if hole_start > start:
            parts.append((start, hole_start))
        start = max(start, hole_end)
    if start < end:
        parts.append((start, end))
    return parts


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    rank: int
    kind: str
    width: int = 0  # of the finding that names the kind

    def __post_init__(self) -> None:
        self.width = self.end - self.start


def _pieces(
    line: str, findings: Iterable[RankedFinding], allow: AllowList
) -> list[_Span]:
    holes = placeholder_spans(line)  # already redacted text stays as it is: idempotence
    pieces = []
    for f in findings:
        for start, end in _outside(f.start, f.end, holes):
            text = line[start:end]
            stripped = text.strip()
            if not any(c.isalnum() for c in stripped) or allow.allows(stripped):
                continue
            start += len(text) - len(text.lstrip())
            pieces.append(_Span(start, start + len(stripped), f.rank, f.kind))
    return pieces


def _merged(pieces: list[_Span]) -> list[_Span]:
    pieces.sort(key=lambda p: (p.start, p.rank))
    merged: list[_Span] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if last is not None and piece.start < last.end:
            last.end = max(last.end, piece.end)
            if (piece.width, -piece.rank) > (last.width, -last.rank):
                last.rank, last.kind, last.width = piece.rank, piece.kind, piece.width
        else:
            merged.append(piece)
    return merged


def apply_findings(
    line: str,
    findings: Iterable[RankedFinding],
    allow: AllowList,
    render: Callable[[str, str], str],
) -> str:
    """``line`` with every kept finding replaced by ``render(kind, secret)``."""
    pieces = _pieces(line, findings, allow)
    if not pieces:
        return line
    out = []
    pos = 0
    for span in _merged(pieces):
        out.append(line[pos : span.start])
        out.append(render(span.kind, line[span.start : span.end]))
        pos = span.end
    out.append(line[pos:])
    return "".join(out)
