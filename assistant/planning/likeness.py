"""How alike a written word is to a name, worked out only when it can be alike enough. Pure."""

from __future__ import annotations

from difflib import SequenceMatcher


def likeness(a: str, b: str, floor: float) -> float:
    """``SequenceMatcher(None, a, b).ratio()`` when it reaches ``floor``, else 0.0.

    A question's words against every name in a cluster are mostly pairs that cannot reach
    the floor; the ratio's two upper bounds (the shorter length, then the shared letters,
    each counted as if every one matched) rule those out without matching the pair."""
    total = len(a) + len(b)
    if total and 2.0 * min(len(a), len(b)) / total < floor:
        return 0.0
    matcher = SequenceMatcher(None, a, b)
    if matcher.quick_ratio() < floor:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= floor else 0.0
