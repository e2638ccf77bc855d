"""Find the few lines worth a closer look, and which detectors each one needs, fast.

Every detector names trigger fragments that must occur wherever it can report a secret
(see :class:`~assistant.redaction.detector.Detector`). Over a whole block, each literal
trigger is located with ``str.find`` and each regex trigger with its own literal-led search,
all at C speed; one alternation of them all would be several times slower in ``re``. A
literal containing a shorter literal trigger is only checked on the lines the shorter one
hits; an anchor is a literal scanned for only so that longer triggers containing it ride
on it (``name`` for ``name"`` and ``name:``), and owns nothing itself. A regex whose only
metacharacters are escaped is the literal it matches. Lines that hold no trigger are
passed through untouched. Team patterns have no triggers; each is its own trigger, tried
line by line so it means exactly what it means on a single line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial

_METACHARACTERS = frozenset(".^$*+?{}[]\\|()")

TriggerSet = tuple[Iterable[str], Iterable[str]]  # (lower-case fragments, exact fragments)


def plain_literal(fragment: str) -> str | None:
    """The text ``fragment`` matches when it is a plain string (``name\\\\`` matches
    ``name\\``), or None when it is a real regex."""
    if "\\" not in fragment:
        return None if _METACHARACTERS.intersection(fragment) else fragment
    out = []
    escaped = False
    for char in fragment:
        if escaped:
            if char.isalnum():
                return None  # \d, \s, \b, ...
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _METACHARACTERS:
            return None
        else:
            out.append(char)
    return None if escaped else "".join(out)


def _index(fragments: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    index: dict[str, set[int]] = {}
    for fragment, owner in fragments:
        index.setdefault(fragment, set()).add(owner)
    return index


class _Side:
    """The triggers searched in one form of the text (lower-cased, or as it is)."""

    def __init__(self, index: dict[str, set[int]], anchors: Iterable[str] = ()) -> None:
        literals: dict[str, set[int]] = {}
        self.regexes: list[tuple[re.Pattern[str], set[int]]] = []
        for fragment, ids in index.items():
            text = plain_literal(fragment)
            if text is None:
                self.regexes.append((re.compile(fragment, re.MULTILINE), ids))
            else:
                literals.setdefault(text, set()).update(ids)
        self.literals = list(literals.items())
        # Scan for the shortest literals only; longer ones containing them ride along.
        candidates: dict[str, set[int]] = {anchor: set() for anchor in anchors} | literals
        roots: list[str] = []
        for fragment in sorted(candidates, key=len):
            if not any(root in fragment for root in roots):
                roots.append(fragment)
        self.scans = [
            (root, candidates[root],
             [(f, literals[f]) for f in literals if f != root and root in f])
            for root in roots
        ]

    def owners(self, text: str) -> list[set[int]]:
        return [ids for f, ids in self.literals if f in text] + [
            ids for r, ids in self.regexes if r.search(text)
        ]

    def scan(self, text: str, hits: dict[int, set[int]]) -> None:
        for root, ids, longer in self.scans:
            for start, end in _hit_lines(text, partial(text.find, root)):
                if ids:
                    owners = hits.setdefault(start, set())
                    owners |= ids
                else:  # an anchor: the line counts only if a trigger riding on it is there
                    owners = hits.get(start) or set()
                for literal, literal_ids in longer:
                    if text.find(literal, start, end) != -1:
                        owners |= literal_ids
                if owners and start not in hits:
                    hits[start] = owners
        for regex, ids in self.regexes:
            for start, _end in _hit_lines(text, partial(_search_start, regex, text)):
                hits.setdefault(start, set()).update(ids)


class Triggers:
    """Which trigger sets (by position in ``sets``) a line or the lines of a block match.

    ``line_patterns`` maps further owners to regexes tried on each whole line; ``anchors``
    are lower-case literals to scan for on behalf of the longer triggers holding them.
    """

    def __init__(
        self,
        sets: Sequence[TriggerSet],
        line_patterns: dict[int, re.Pattern[str]],
        anchors: Iterable[str] = (),
    ) -> None:
        self._lower = _Side(
            _index((f, i) for i, (low, _) in enumerate(sets) for f in low), anchors
        )
        self._exact = _Side(_index((f, i) for i, (_, exact) in enumerate(sets) for f in exact))
        self._line_patterns = list(line_patterns.items())

    def for_line(self, line: str) -> set[int]:
        """Owners whose triggers occur in ``line`` (one line, no ending)."""
        return set().union(
            *self._lower.owners(line.lower()),
            *self._exact.owners(line),
            *[{owner} for owner, p in self._line_patterns if p.search(line)],
        )

    def for_block(self, block: str) -> dict[int, set[int]]:
        """Start offset of each line of ``block`` holding a trigger -> its owners."""
        lowered = block.lower()
        if len(lowered) != len(block):
            # A few characters change length when lower-cased; offsets would not line up.
            per_line = ((start, self.for_line(line)) for start, line in block_lines(block))
            return {start: owners for start, owners in per_line if owners}
        hits: dict[int, set[int]] = {}
        self._lower.scan(lowered, hits)
        self._exact.scan(block, hits)
        add_line_pattern_hits(block, self._line_patterns, hits)
        return hits


def add_line_pattern_hits(
    block: str, patterns: Sequence[tuple[int, re.Pattern[str]]], hits: dict[int, set[int]]
) -> None:
    """Add the owner of each pattern to the lines of ``block`` it matches, line by line."""
    if patterns:
        for start, line in block_lines(block):
            for owner, pattern in patterns:
                if pattern.search(line):
                    hits.setdefault(start, set()).add(owner)


def _search_start(regex: re.Pattern[str], text: str, pos: int) -> int:
    match = regex.search(text, pos)
    return -1 if match is None else match.start()


def _hit_lines(text: str, find: Callable[[int], int]) -> Iterator[tuple[int, int]]:
    """(start, end) of each line holding a hit of ``find``; one search per line at most."""
    pos = 0
    while (at := find(pos)) != -1:
        newline = text.find("\n", at)
        end = len(text) if newline == -1 else newline
        yield text.rfind("\n", 0, at) + 1, end
        if newline == -1:
            return
        pos = newline + 1


def block_lines(block: str) -> Iterator[tuple[int, str]]:
    """(offset, line without its ending) for each line, as the line-by-line path sees it."""
    start = 0
    for line in block.split("\n"):
        yield start, line[:-1] if line.endswith("\r") else line
        start += len(line) + 1
