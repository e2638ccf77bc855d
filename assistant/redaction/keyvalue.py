"""Values under sensitive names: ``password=...``, ``DB_PASS=...``, ``"token": "..."``,
``secret: ...``, ``:api_key => '...'``, ``--password ...``, form fields (``user[password]=``)
and sentences (``the password is ...``, see :mod:`assistant.redaction.prose`).

The name decides (see :mod:`assistant.redaction.fields`), so an innocent-looking value is
still replaced. Only the value is replaced; the name and the punctuation stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    HINTED_NAME_END,
    NAME_TRIGGERS,
    SENSITIVE_NAME_END,
    is_dummy_value,
    looks_secretish,
    names_with_hints,
    secret_kind_for_name,
    starts_with_template,
)
from assistant.redaction.generic import looks_random
from assistant.redaction.prose import opens_message, stated_password, stated_secret

# A quote closes a quoted name; markdown emphasis a chat label's (``*password*:``).
_AFTER_NAME = re.compile(
    r"(?P<kq>\\?[\"']|\*{1,2}|`)?(?P<pre>[ \t]*)(?P<sep>:=|=>|=|:)(?P<post>[ \t]*)"
)
_FLAG_VALUE = re.compile(r"[ \t]+(?P<value>\"[^\"]*\"|'[^']*'|[^\s\"'-][^\s\"',;]*)")
# Unquoted values end at a separator or at a bracket closing the structure around them.
_UNQUOTED = re.compile(r"[^\s,;\"'\\<>)\]}]+")
_UNQUOTED_IN_QUERY = re.compile(r"[^\s,;&\"'\\<>)\]}]+")  # ?a=1&password=x&b=2
_LINE_START = re.compile(r"[ \t]*(?:-[ \t]+|#[ \t]*|export[ \t]+)?")
_NEXT_FIELD = re.compile(r"\s+(?:[\w.-]+=\S|\()")  # where a value at line start ends
_CODE = re.compile(r"[a-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_][\w.]*[(\[].*")
_OPENERS = frozenset("{[(,;|")
_FIELD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_MAX_FIELD = 64


@dataclass(frozen=True, slots=True)
class _Assignment:
    key: str
    key_start: int
    key_quote: str  # '"', "'", '\\"' or ''
    sep: str
    spaced: bool  # blanks on both sides of the separator: code style
    end: int  # where the value starts


def quoted_end(line: str, start: int, quote: str, unclosed: dict[str, int]) -> int:
    """Index of the closing ``quote`` after ``start`` (backslash escapes honoured), or the
    end of the line. ``unclosed`` remembers, per quote, where searching already failed, so
    a line full of unterminated quotes costs one scan, not one per quote."""
    if start >= unclosed.get(quote, len(line) + 1):
        return len(line)
    pos = start
    while (at := line.find(quote, pos)) != -1:
        backslashes = 0
        while at - backslashes > start and line[at - backslashes - 1] == "\\":
            backslashes += 1
        if len(quote) == 2 or backslashes % 2 == 0:
            return at
        pos = at + 1
    unclosed[quote] = min(start, unclosed.get(quote, start))
    return len(line)


def _first(match: re.Match[str] | None) -> int:
    return -1 if match is None else match.start()


def _field_start(line: str, bracket: int) -> int:
    """Start of the field name before ``[`` (``user`` in ``&user[password]=``), so a value
    after ``?`` or ``&`` ends at the next ``&`` as in any query."""
    start = bracket
    while start > max(0, bracket - _MAX_FIELD) and line[start - 1] in _FIELD_CHARS:
        start -= 1
    return start


def _at_line_start(line: str, a: _Assignment) -> bool:
    return _LINE_START.fullmatch(line, 0, a.key_start) is not None


def _structured_key(line: str, a: _Assignment) -> bool:
    """Is this ``name:`` a field rather than prose ("invalid password: try again")?"""
    key = a.key
    camel = any(c.isupper() for c in key[1:]) and not key.isupper()
    if not key.isalpha() or camel:
        return True  # snake_case, kebab-case, dotted or camelCase: an identifier
    if _at_line_start(line, a):
        return True  # YAML, headers, env dumps
    before = line[: a.key_start].rstrip()
    return bool(before) and before[-1] in _OPENERS


def _value_span(
    line: str, a: _Assignment, unclosed: dict[str, int]
) -> tuple[int, int, bool] | None:
    pos = a.end
    if pos >= len(line):
        return None
    if line.startswith('\\"', pos):
        return pos + 2, quoted_end(line, pos + 2, '\\"', unclosed), True
    if line[pos] in "\"'":
        return pos + 1, quoted_end(line, pos + 1, line[pos], unclosed), True
    if line[pos] in "{[|>":
        return None  # a nested structure or a YAML block scalar, not a value
    if a.sep == ":" and not a.key_quote and _at_line_start(line, a):
        # YAML plain scalar: the rest of the line, up to a comment or the next field.
        rest = line[pos:]
        for cut in (rest.find(" #"), _first(_NEXT_FIELD.search(rest))):
            if cut != -1:
                rest = rest[:cut]
        rest = rest.rstrip().rstrip(",")
        return (pos, pos + len(rest), False) if rest else None
    in_query = line.endswith(("?", "&"), 0, a.key_start)
    token = (_UNQUOTED_IN_QUERY if in_query else _UNQUOTED).match(line, pos)
    if token is None:
        return None
    return token.start(), token.end(), False


# Any "<qualifier>_key" name (fcm_server_key, write_key, merchant-key): sensitive only when
# its value looks random, since cache_key=user:42 and object_key=reports/x.pdf are not.
_ANY_KEY_NAME = r"(?i:[a-z0-9][a-z0-9_.-]*[_.-]keys?)"


def _some_key(name: str) -> bool:
    if "-" in name and name[0].isupper():
        return False  # an HTTP header (Sec-WebSocket-Key is a nonce); X-Api-Key is named
    words = name.lower().replace("-", "_").replace(".", "_").split("_")
    return len(words) > 1 and words[-1] in ("key", "keys")


def _random_key_value(value: str) -> bool:
    """A key's value, not a cache key: its longest ':'-separated part is a long random run
    ("AAAAx9T:APA91bGq7Hc2Wv8...", not "product:991:v2")."""
    longest = max(value.strip("\"' ").split(":"), key=len)
    return len(longest) >= 16 and looks_random(longest, "key")


def _typed_after_blank(line: str, pos: int) -> bool:
    """``passwd= Kq7mPz2Lw9xR``: a blank typed after the ``=``, then a value with letters and
    digits that is no next field."""
    token = _UNQUOTED.match(line, pos)
    if token is None or "=" in token.group() or is_dummy_value(token.group()):
        return False
    value = token.group()
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


class KeyValueDetector:
    triggers = NAME_TRIGGERS
    exact_triggers = ()
    # Where it can report: a sensitive name before a separator (password=, "token": ...),
    # before "]=" (a form field), after "-" (a flag); a word holding a trigger (the word
    # before may make it sensitive: "api key") before a statement's verb.
    patterns = (
        SENSITIVE_NAME_END + r"""(?:\\?["']|\*{1,2}|`)?[ \t]*[:=]""",
        SENSITIVE_NAME_END + r"\]=",
        _ANY_KEY_NAME + r"""(?:\\?["'])?[ \t]*[:=]""",
        r"-[A-Za-z0-9_.-]*" + SENSITIVE_NAME_END + r"[ \t]",
        # The statement's first word: a verb, or "to" after one told before the name.
        HINTED_NAME_END
        + r" (?i:for|is|was|are|were|now|became|becomes|will|should|must|has|have|had|got"
        r"|gets|set|changed|reset|updated|rotated|switched|to|as)[ :]",
        # A value right after the name: quoted, with a digit or a capital (a superset: any
        # character but a lower-case ASCII letter), or a cued word.
        HINTED_NAME_END + r"""[ ]+(?:["'`]|[^ \t\n]*[^ \t\na-z])""",
        r"(?i:with|using|via|use|uses|enter|entered|type|typed|try|tried)(?:[ ]+[^ \t\n]+){0,2}"
        r"[ ]+" + HINTED_NAME_END + r"[ ]",
    )

    def find(self, line: str) -> Iterator[Finding]:
        unclosed: dict[str, int] = {}
        for start, end in names_with_hints(line):
            key = line[start:end]
            if not key or not (key[0].isalpha() or key[0] == "_"):
                continue
            kind = secret_kind_for_name(key)
            if line.startswith(" ", end) and (stated := stated_secret(line, start, end)):
                yield stated  # "the password is ...", "api key was ..."
                continue
            random_only = kind is None and _some_key(key)
            if random_only:
                kind = "api-key"
            if kind is None or line.endswith("://", 0, start):
                continue  # not sensitive, or the user part of scheme://user:password@
            after = _AFTER_NAME.match(line, end)
            if after is not None:
                a = _Assignment(
                    key, start, after.group("kq") or "", after.group("sep"),
                    bool(after.group("pre")) and bool(after.group("post")), after.end(),
                )
                found = self._assignment(
                    line, a, kind, unclosed, empty_after=bool(after.group("post"))
                )
                if found is not None and random_only and not _random_key_value(
                        line[found.start:found.end]):
                    found = None
            elif random_only:
                found = None
            elif line.startswith("]=", end) and line.endswith("[", 0, start):
                found = self._assignment(  # a form field: user[password]=...&commit=...
                    line, _Assignment(key, _field_start(line, start - 1), "", "=", False, end + 2),
                    kind, unclosed, empty_after=False,
                )
            elif line.endswith("-", 0, start):
                found = self._flag(line, end, kind)
            else:
                found = None
            if found is not None:
                yield found

    @staticmethod
    def _assignment(
        line: str, a: _Assignment, kind: str, unclosed: dict[str, int], *, empty_after: bool
    ) -> Finding | None:
        if a.sep == "=" and empty_after and not a.spaced and not _typed_after_blank(line, a.end):
            return None  # "password= user=bob": an empty value, not "user=bob"
        span = _value_span(line, a, unclosed)
        if span is None:
            return None
        start, end, quoted = span
        value = line[start:end]
        if not value.strip() or is_dummy_value(value) or starts_with_template(line, start):
            return None
        if a.sep == ":" and not quoted and opens_message(line, start, a.key):
            return None  # "SLACK_BOT_TOKEN: missing, set it in the environment"
        # JSON never has a bare word after a quoted name: ``"db-creds" : secret`` is prose.
        loose = a.key_quote or not _structured_key(line, a)
        if a.sep == ":" and not quoted and loose:
            end = start + len(value.rstrip(".:"))  # prose: the sentence's full stop stays
            value = line[start:end]
            if not (looks_secretish(value) or stated_password(line, start, end, kind)):
                return None
        if not quoted and a.spaced and _CODE.fullmatch(value):
            return None  # ``token = session.get_token(...)`` in a stack trace is code
        return Finding(start, end, kind)

    @staticmethod
    def _flag(line: str, end: int, kind: str) -> Finding | None:
        """``--password hunter2`` (``--password=hunter2`` is an assignment)."""
        flag = _FLAG_VALUE.match(line, end)
        if flag is None:
            return None
        start, stop = flag.span("value")
        if line[start] in "\"'":
            start, stop = start + 1, stop - 1
        if stop <= start or is_dummy_value(line[start:stop]):
            return None
        return Finding(start, stop, kind)
