"""How far a trouble reaches, as a question says it and as a runbook's lead says it. Pure.

Sibling alerts differ by reach: every Alertmanager instance failing to send vs at least one,
errors sending to any Alertmanager vs to a specific one, all API servers unreachable, half or
more of a cluster down. Each such page says its reach in the first sentence of its lead
("All instances failed to send ...", "At least one instance is unable to ..."), and
questions say it with the same quantifiers ("no page ever arrived", "for every
alertmanager", "one replica"). The quantifiers are lexical terms too, but there they are
one word among many; here a question and a page that agree on reach are told so apart.

Wide: all, every, any, none, nobody, no, whole, entire, half, majority. Narrow: one,
single, specific, some. A text using words of both, or of neither, says no reach (0).
"""

from __future__ import annotations

import re

from assistant.models import Runbook

_WIDE = re.compile(r"\b(?:all|every|any|none|nobody|no|whole|entire|half|majority)\b",
                   re.IGNORECASE)
_NARROW = re.compile(r"\b(?:one|single|specific|some)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def reach(text: str) -> int:
    """1 when ``text`` speaks of the whole (all, none, half ...), -1 of a part (one, some),
    0 of neither or both."""
    wide = _WIDE.search(text) is not None
    narrow = _NARROW.search(text) is not None
    return int(wide) - int(narrow)


def runbook_reach(runbook: Runbook) -> int:
    """The reach said in the first sentence of the runbook's lead section: on these pages
    the alert's one-line meaning; later sentences explain and use quantifiers loosely."""
    if not runbook.sections:
        return 0
    return reach(_SENTENCE_END.split(runbook.sections[0].text.strip(), maxsplit=1)[0])
