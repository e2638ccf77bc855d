"""The detector contract: find the exact span of each secret inside one line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Finding:
    start: int
    end: int
    kind: str


class Detector(Protocol):
    """Finds secrets in one line (no line ending).

    Contract relied on by the prefilter: whenever :meth:`find` reports anything for a line,
    one of ``triggers`` matches the lower-cased line or one of ``exact_triggers`` matches
    the line as is, and one of ``patterns`` (regexes; none: no such promise) matches the
    line. Lines that match no trigger are never shown to the detector; the Hyperscan
    engine routes by ``patterns`` where a detector has them.
    """

    @property
    def triggers(self) -> tuple[str, ...]: ...

    @property
    def exact_triggers(self) -> tuple[str, ...]: ...

    @property
    def patterns(self) -> tuple[str, ...]: ...

    def find(self, line: str) -> Iterator[Finding]: ...


class RegexDetector:
    """One regex; the group named ``secret`` (or the whole match) is what gets replaced."""

    def __init__(
        self,
        kind: str,
        pattern: str | re.Pattern[str],
        *,
        triggers: tuple[str, ...] = (),
        exact_triggers: tuple[str, ...] = (),
        accept: Callable[[re.Match[str]], bool] | None = None,
        routed: bool = False,
    ) -> None:
        self.kind = kind
        self.regex = re.compile(pattern)
        self.triggers = triggers
        self.exact_triggers = exact_triggers
        # What it reports, the regex matched: the Hyperscan engine routes lines by it when
        # ``routed`` (triggers that many clean lines hold) or when there are no triggers.
        untriggered = not (triggers or exact_triggers)
        self.patterns = (self.regex.pattern,) if routed or untriggered else ()
        self._accept = accept
        self._group: str | int = "secret" if "secret" in self.regex.groupindex else 0

    def find(self, line: str) -> Iterator[Finding]:
        for match in self.regex.finditer(line):
            if self._accept is not None and not self._accept(match):
                continue
            start, end = match.span(self._group)
            if end > start:
                yield Finding(start, end, self.kind)
