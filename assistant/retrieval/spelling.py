"""Identifiers spelled as words, the way the embedding model reads them best. Pure.

The model's word-piece vocabulary cuts an identifier such as ``KubeNodeNotReady`` or
``etcd_members_down`` into pieces that mean little on their own; spelled as words
("Kube Node Not Ready") it lands next to the pages that describe it. Identifiers are kept
whole as well, so a page quoting the exact name still matches it.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b|\b[a-z0-9]*[A-Z][A-Za-z0-9]*\b")
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def spell_out_identifiers(query: str) -> str:
    """``query`` with every CamelCase or snake_case identifier followed by its words."""

    def expand(match: re.Match[str]) -> str:
        word = match.group()
        parts = _PART.findall(word)
        return word if len(parts) < 2 else f"{word} ({' '.join(parts)})"

    return _IDENTIFIER.sub(expand, query)
