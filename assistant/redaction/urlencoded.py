"""Sensitive fields inside URL-encoded text, where the plain ``name=value`` rules see nothing:
an encoded query in a redirect (``next=%2Fcb%3Ftoken%3Dabc123``), form bodies with encoded
bracketed names (``user%5Bpassword%5D=...``; ``user[password]=`` is a plain field) and
URL-encoded JSON
(``%7B%22password%22%3A%22...%22%7D``), encoded once or more (``%253D``).

The name decides, as for plain fields (:func:`~assistant.redaction.fields.secret_kind_for_name`).
The value runs to the next ``&`` or quote *of the same encoding depth* as the ``=`` before
it: in ``body=a%3D1%26password%3Dx%2526y`` the password is ``x%2526y`` (its own ``&``,
encoded once more), and the field ends at ``%26``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import unquote_plus

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value, names_with_hints, secret_kind_for_name

_MAX_DEPTH = 4
_PCT = rf"%(?:25){{0,{_MAX_DEPTH - 1}}}"  # a percent sign, itself encoded up to 3 times
_SEPARATOR = re.compile(
    rf"(?P<bracket>\]|{_PCT}5[dD])?(?:(?P<eq>{_PCT}3[dD]|=)"
    rf"|(?P<json>{_PCT}22(?:{_PCT}20|\+)*{_PCT}3[aA](?:{_PCT}20|\+)*{_PCT}22))"
)
_HEX = frozenset("0123456789abcdefABCDEF")
ANCHORS = ("%",)


@lru_cache(maxsize=2 * _MAX_DEPTH + 2)
def _value_pattern(depth: int, json: bool) -> re.Pattern[str]:
    """A value whose separator was encoded ``depth`` times (0: a literal ``=``). Escapes of
    ``&``, quotes and line breaks end it at that depth or shallower; deeper ones are its own."""
    ends = "22" if json else "(?:26|22|27|0[aAdD])"
    stop = rf"(?!%(?:25){{0,{depth - 1}}}{ends})" if depth else ""
    return re.compile(rf"(?:[^\s&%\"'<>\\]|{stop}%[0-9A-Fa-f]{{2}})+")


def _depth(escape: str) -> int:
    """How many times ``escape`` (``=``, ``%3D``, ``%253D``, ``%2522%253A%2522``, ...) was
    encoded: one for its ``%``, one more for each ``25`` right after it."""
    if escape == "=":
        return 0
    pairs = 0
    while escape.startswith("25", 1 + 2 * pairs):
        pairs += 1
    return pairs + 1


def _field_name(line: str, start: int, end: int) -> str:
    """The name without the tail of an escape before it: ``%26password`` -> ``password``,
    ``%2526password`` (``%26`` encoded again) -> ``password``."""
    if start and line[start - 1] == "%":
        while end - start > 2 and line[start] in _HEX and line[start + 1] in _HEX:
            escape = line[start : start + 2]
            start += 2
            if escape != "25":
                break
    return line[start:end]


class EncodedFieldDetector:
    # Escapes of =, " and %; ANCHORS has "%" found once (memchr) for all of them.
    triggers = ("%3d", "%22", "%25", "%5d")
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        covered = 0  # names inside a value already found are part of it: keeps this linear
        for start, end in names_with_hints(line):
            if start < covered:
                continue
            sep = _SEPARATOR.match(line, end)
            bracket = sep.group("bracket") if sep is not None else None
            if sep is None or (sep.group("eq") == "=" and bracket in (None, "]")):
                continue  # plain name=value and name]=value are the key-value detector's
            if sep.group("json") and sep.group("bracket"):
                continue
            kind = secret_kind_for_name(_field_name(line, start, end))
            if kind is None:
                continue
            escape = sep.group("json") or sep.group("eq")
            pattern = _value_pattern(_depth(escape), bool(sep.group("json")))
            value = pattern.match(line, sep.end())
            if value is None or is_dummy_value(unquote_plus(value.group())):
                continue
            covered = value.end()
            yield Finding(value.start(), value.end(), kind)
