"""How text names a workload: as a word, hyphenated or written with spaces. Pure."""

from __future__ import annotations

import re


def name_pattern(name: str) -> re.Pattern[str]:
    """The name as a word, hyphenated or written with spaces ("checkout worker")."""
    parts = [re.escape(p) for p in name.split("-")]
    return re.compile(rf"(?<![a-z0-9-])(?:{'-'.join(parts)}|{' '.join(parts)})(?![a-z0-9-])")


def mentions(text: str, name: str) -> bool:
    """``text`` names ``name`` as a word, hyphenated or written with spaces."""
    return name_pattern(name).search(text.lower()) is not None
