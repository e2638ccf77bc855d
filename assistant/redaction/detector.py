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
    the line as is. Lines that match no trigger are never shown to the detector.
    """

    @property
    def triggers(self) -> tuple[str, ...]: ...

    @property
    def exact_triggers(self) -> tuple[str, ...]: ...

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
    ) -> None:
        self.kind = kind
        self.regex = re.compile(pattern)
        self.triggers = triggers
        self.exact_triggers = exact_triggers
        self._accept = accept
        self._group: str | int = "secret" if "secret" in self.regex.groupindex else 0

    def find(self, line: str) -> Iterator[Finding]:
        for match in self.regex.finditer(line):
            if self._accept is not None and not self._accept(match):
                continue
            start, end = match.span(self._group)
            if end > start:
                yield Finding(start, end, self.kind)
