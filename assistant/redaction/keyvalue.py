"""Values under sensitive names: ``password=...``, ``DB_PASS=...``, ``"token": "..."``,
``secret: ...``, ``:api_key => '...'`` and ``--password ...``.

The name decides (see :mod:`assistant.redaction.fields`), so an innocent-looking value is
still replaced. Only the value is replaced; the name and the punctuation stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    NAME_TRIGGERS,
    is_dummy_value,
    looks_secretish,
    secret_kind_for_name,
)

_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.])"
    r"(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,79})"
    r"(?P<kq>\\?[\"'])?"
    r"(?P<pre>[ \t]*)(?P<sep>:=|=>|=|:)(?P<post>[ \t]*)"
)
_FLAG = re.compile(
    r"(?<![A-Za-z0-9_-])--?(?P<key>[A-Za-z][A-Za-z0-9_.-]{1,60})[ \t]+"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s\"'-][^\s\"',;]*)"
)
# Unquoted values end at a separator or at a bracket closing the structure around them.
_UNQUOTED = re.compile(r"[^\s,;\"'\\<>)\]}]+")
_UNQUOTED_IN_QUERY = re.compile(r"[^\s,;&\"'\\<>)\]}]+")  # ?a=1&password=x&b=2
_LINE_START = re.compile(r"[ \t]*(?:-[ \t]+|#[ \t]*|export[ \t]+)?")
_NEXT_FIELD = re.compile(r"\s+(?:[\w.-]+=\S|\()")  # where a value at line start ends
_CODE = re.compile(r"[a-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_][\w.]*[(\[].*")
_OPENERS = frozenset("{[(,;|")


def _quoted_end(line: str, start: int, quote: str) -> int:
    """Index of the closing ``quote`` after ``start``, honouring backslash escapes."""
    if len(quote) == 2:  # an escaped quote inside an already-quoted string: \"...\"
        end = line.find(quote, start)
        return len(line) if end == -1 else end
    i = start
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i
        i += 1
    return len(line)


def _structured_key(line: str, match: re.Match[str]) -> bool:
    """Is this ``name:`` a field rather than prose ("invalid password: try again")?"""
    key = match.group("key")
    camel = any(c.isupper() for c in key[1:]) and not key.isupper()
    if not key.isalpha() or camel:
        return True  # snake_case, kebab-case, dotted or camelCase: an identifier
    start = match.start("key")
    if _LINE_START.fullmatch(line, 0, start):
        return True  # YAML, headers, env dumps
    before = line[:start].rstrip()
    return bool(before) and before[-1] in _OPENERS


def _first(match: re.Match[str] | None) -> int:
    return -1 if match is None else match.start()


def _is_code(match: re.Match[str], value: str) -> bool:
    """``token = session.get_token(...)`` in a stack trace is code, not a secret."""
    spaced = bool(match.group("pre")) and bool(match.group("post"))
    return spaced and _CODE.fullmatch(value) is not None


class KeyValueDetector:
    triggers = NAME_TRIGGERS
    exact_triggers = ()

    def find(self, line: str) -> Iterator[Finding]:
        yield from self._assignments(line)
        yield from self._flags(line)

    def _assignments(self, line: str) -> Iterator[Finding]:
        for match in _ASSIGNMENT.finditer(line):
            kind = secret_kind_for_name(match.group("key"))
            if kind is None or line.endswith("://", 0, match.start()):
                continue  # not sensitive, or the user part of scheme://user:password@
            sep = match.group("sep")
            if sep == "=" and match.group("post") and not match.group("pre"):
                continue  # "password= user=bob": an empty value, not "user=bob"
            span = self._value_span(line, match)
            if span is None:
                continue
            start, end, quoted = span
            value = line[start:end]
            if not value.strip() or is_dummy_value(value):
                continue
            # JSON never has a bare word after a quoted name: ``"db-creds" : secret`` is prose.
            loose = match.group("kq") or not _structured_key(line, match)
            if sep == ":" and not quoted and loose and not looks_secretish(value):
                continue
            if not quoted and _is_code(match, value):
                continue
            yield Finding(start, end, kind)

    @staticmethod
    def _value_span(line: str, match: re.Match[str]) -> tuple[int, int, bool] | None:
        pos = match.end()
        if pos >= len(line):
            return None
        if line.startswith('\\"', pos):
            return pos + 2, _quoted_end(line, pos + 2, '\\"'), True
        if line[pos] in "\"'":
            return pos + 1, _quoted_end(line, pos + 1, line[pos]), True
        if line[pos] in "{[|>":
            return None  # a nested structure or a YAML block scalar, not a value
        at_line_start = _LINE_START.fullmatch(line, 0, match.start("key")) is not None
        if match.group("sep") == ":" and at_line_start and not match.group("kq"):
            # YAML plain scalar: the rest of the line, without a trailing comment.
            rest = line[pos:]
            for cut in (rest.find(" #"), _first(_NEXT_FIELD.search(rest))):
                if cut != -1:
                    rest = rest[:cut]
            rest = rest.rstrip().rstrip(",")
            return (pos, pos + len(rest), False) if rest else None
        in_query = line.endswith(("?", "&"), 0, match.start("key"))
        token = (_UNQUOTED_IN_QUERY if in_query else _UNQUOTED).match(line, pos)
        if token is None:
            return None
        return token.start(), token.end(), False

    @staticmethod
    def _flags(line: str) -> Iterator[Finding]:
        for match in _FLAG.finditer(line):
            kind = secret_kind_for_name(match.group("key"))
            if kind is None:
                continue
            start, end = match.span("value")
            if line[start] in "\"'":
                start, end = start + 1, end - 1
            if end > start and not is_dummy_value(line[start:end]):
                yield Finding(start, end, kind)
