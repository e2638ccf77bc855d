"""How alike a written word is to a name, worked out only when it can be alike enough. Pure."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# A misspelling slips at most one letter in this many of the longer spelling (and one
# always): "licencer" is drm-licenser's, "cutover" (two letters more) is not cover's.
LETTERS_PER_SLIP = 4
_NUMBER = re.compile(r"\d+")


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


def misspelling(a: str, b: str, floor: float) -> float:
    """``likeness`` when ``a`` could be ``b`` mistyped: a ratio can reach the floor with a
    short name inside a longer word ("cover" in "cutover"), which is another word. Nor is
    one numbered otherwise a slip: rc-gpu-06 is the node beside rc-gpu-07."""
    numbers_a, numbers_b = _NUMBER.findall(a), _NUMBER.findall(b)
    if numbers_a and numbers_b and numbers_a != numbers_b:
        return 0.0
    ratio = likeness(a, b, floor)
    if not ratio:
        return 0.0
    longer = max(len(a), len(b))
    matched = sum(block.size for block in SequenceMatcher(None, a, b).get_matching_blocks())
    return ratio if longer - matched <= max(1, longer // LETTERS_PER_SLIP) else 0.0
