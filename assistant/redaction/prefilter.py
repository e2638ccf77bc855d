"""Find the few lines worth a closer look, fast.

Every detector names trigger fragments that must occur wherever it can report a secret
(see :class:`~assistant.redaction.detector.Detector`). Two combined regexes, one over the
lower-cased text and one case-sensitive, locate candidate lines in a whole block at C speed;
all other lines are passed through untouched. Team patterns carry no triggers, so they are
tried on every line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator


def _combine(fragments: Iterable[str]) -> re.Pattern[str] | None:
    unique = list(dict.fromkeys(fragments))
    if not unique:
        return None
    return re.compile("|".join(f"(?:{f})" for f in unique), re.MULTILINE)


class Prefilter:
    def __init__(
        self,
        triggers: Iterable[str],
        exact_triggers: Iterable[str],
        always: Iterable[re.Pattern[str]] = (),
    ) -> None:
        self._lower = _combine(triggers)
        self._exact = _combine(exact_triggers)
        self._always = tuple(always)

    def line_may_match(self, line: str) -> bool:
        if self._lower is not None and self._lower.search(line.lower()):
            return True
        if self._exact is not None and self._exact.search(line):
            return True
        return any(p.search(line) for p in self._always)

    def candidate_starts(self, block: str) -> list[int]:
        """Sorted offsets of the starts of lines in ``block`` that may hold a secret."""
        lowered = block.lower()
        if len(lowered) != len(block):
            # A few characters change length when lower-cased; offsets would not line up.
            return [start for start, line in _lines(block) if self.line_may_match(line)]
        starts: set[int] = set()
        if self._lower is not None:
            starts.update(_hit_lines(self._lower, lowered))
        if self._exact is not None:
            starts.update(_hit_lines(self._exact, block))
        if self._always:
            starts.update(
                start
                for start, line in _lines(block)
                if start not in starts and any(p.search(line) for p in self._always)
            )
        return sorted(starts)


def _lines(block: str) -> Iterator[tuple[int, str]]:
    """(offset, line without its ending) for each line, as the line-by-line path sees it."""
    start = 0
    for line in block.split("\n"):
        yield start, line[:-1] if line.endswith("\r") else line
        start += len(line) + 1


def _hit_lines(regex: re.Pattern[str], text: str) -> Iterator[int]:
    """Start offset of each line holding a match; one search per line at most."""
    pos = 0
    search = regex.search
    while (match := search(text, pos)) is not None:
        at = match.start()
        yield text.rfind("\n", 0, at) + 1
        newline = text.find("\n", at)
        if newline == -1:
            return
        pos = newline + 1
