"""Unicode whitespace read as a blank, so every detector sees it as one.

Detectors write blanks as ``[ \\t]`` and their triggers hold plain spaces (`` login ``),
so a no-break space between a name and its value (``token:\\u00a0X``, pasted from chat,
a wiki or a PDF) used to hide the value. Lines are scanned through :func:`plain_spaces`:
every other whitespace character becomes one space, so offsets still line up with the
original text, which is where findings are applied and what is written out.
"""

from __future__ import annotations

# Every character str.isspace() accepts besides " ", "\t" and the line endings; the ASCII
# ones first.
OTHER_SPACES = (
    "\x0b\x0c\x1c\x1d\x1e\x1f"
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_SPACES = OTHER_SPACES[:6]
_TABLE = str.maketrans(OTHER_SPACES, " " * len(OTHER_SPACES))


def plain_spaces(text: str) -> str:
    """``text`` with each whitespace character other than space and tab (and line endings)
    replaced by a space; ``text`` itself when it has none (the common case, found at
    ``str.find`` speed)."""
    candidates = _ASCII_SPACES if text.isascii() else OTHER_SPACES
    if any(space in text for space in candidates):
        return text.translate(_TABLE)
    return text
