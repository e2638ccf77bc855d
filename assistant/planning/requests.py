"""The values a person states for an action they ask for: a replica count, a revision.
Pure. Which actions they ask for is intent's job (``intent.tools_asked``).

An SRE types "scale search-api to 12": the explicit count replaces the runbook's default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A count is the target only as "to N" or "N replicas": not a time ("at 10:30", "to 10:30"),
# a ratio ("20/20"), a range or decimal ("3-5", "2.5"), a unit ("to 90 percent", "30
# minutes"), a change by that many ("by 2 replicas", "up 2 pods") or the count it is now
# ("from 10 replicas", "96% cpu on all 5 pods", "it has 5 replicas", "the 5 pods").
_UNIT = r"(?:%|percent|x\b|min\b|mins?\b|minutes|h\b|hours?|s\b|secs?\b|seconds|ms\b)"
_TO_COUNT = re.compile(rf"\bto\s+(\d{{1,4}})\b(?![:/.,-]\d|\s*{_UNIT})")
_NOW = ("from", "all", "on", "across", "of", "the", "has", "have", "with", "at")
_COUNT_OF = re.compile(r"(?<![\w/.-])(?<!\bby\s)(?<!\bup\s)(?<!\bdown\s)"
                       + "".join(rf"(?<!\b{word}\s)" for word in _NOW)
                       + r"(\d{1,4})\s+(?:replicas|pods|instances)\b")
# A revision is the target only as "to revision N"; the one rolled back from ("from revision
# 13", "since rev 13 broke it") is not; any other revision number leaves it unclear.
_REV = r"rev(?:ision)?\s*#?\s*(\d{1,6})\b"
_TO_REVISION = re.compile(rf"\bto\s+(?:the\s+)?{_REV}")
_FROM_REVISION = re.compile(rf"\b(?:from|since|after|before|than|past|of)\s+(?:the\s+)?{_REV}")
_ANY_REVISION = re.compile(rf"\b{_REV}")
# A second value offered beside the first ("to 3 or 5", "revision 3, no 4").
_ALTERNATIVE = re.compile(r"\b(?:or|no|nor|maybe|actually)\s*,?\s+(?:rev(?:ision)?\s*#?\s*)?"
                          r"(\d{1,6})\b")


@dataclass(frozen=True)
class _Stated:
    values: dict[str, set[int]]  # every value stated as the target, by argument
    unclear: frozenset[str]  # arguments given a number that is not stated as the target


def _stated(text: str) -> _Stated:
    text = text.lower()
    replicas = {int(m.group(1)) for pattern in (_TO_COUNT, _COUNT_OF)
                for m in pattern.finditer(text)}
    aside = {m.start(1) for m in _FROM_REVISION.finditer(text)}
    targets = {m.start(1): int(m.group(1)) for m in _TO_REVISION.finditer(text)}
    bare = any(m.start(1) not in aside and m.start(1) not in targets
               for m in _ANY_REVISION.finditer(text))
    values = {name: found for name, found in (("replicas", replicas),
                                              ("revision", set(targets.values()))) if found}
    for m in _ALTERNATIVE.finditer(text):
        for found in values.values():
            found.add(int(m.group(1)))
    return _Stated(values=values, unclear=frozenset({"revision"} if bare else set()))


def requested_replicas(question: str) -> int | None:
    return requested_values(question).get("replicas")


def requested_values(text: str) -> dict[str, int]:
    """The values a text states outright, once, by the argument they set."""
    stated = _stated(text)
    return {name: next(iter(found)) for name, found in stated.values.items()
            if len(found) == 1 and name not in stated.unclear}


def unclear_values(text: str) -> list[str]:
    """The arguments a text gives a value for, but not one target value."""
    stated = _stated(text)
    return sorted(stated.unclear | {name for name, found in stated.values.items()
                                    if len(found) > 1})
