"""Entries whose value is named by a sibling: Kubernetes container env (pod specs, ``kubectl
get -o yaml/json``, Helm values), ECS task definitions, SSM parameters::

    - name: DB_PASSWORD            {"name": "DB_PASSWORD", "value": "s3cr3t-Val"}
      value: s3cr3t-Val

The key ``value`` says nothing; the sibling ``name`` (or ``ParameterName``) decides,
as :func:`~assistant.redaction.fields.secret_kind_for_name` does for field names. On one line
(JSON, YAML flow) the two may come in either order within the same braces. Across lines the
name comes first, as kubectl and Helm print it: a sensitive name opens the entry, and it
closes at its ``value`` sibling, at a line left of the name's column or at a brace (JSON).
A ``value: |`` block scalar is handed to the block scalar tracker.

Written by hand, a YAML entry may open with its value (``- value: s3cr3t`` and then
``name: DB_PASSWORD``): :class:`ValueFirstTracker` has the redactor hold that line back
until a sibling name decides, for a few lines at most.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.redaction.blockscalar import BlockScalarTracker
from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    MAX_NAME,
    PAIR_VALUE_KEYS,
    is_dummy_value,
    secret_kind_for_name,
    starts_with_template,
)
from assistant.redaction.keyvalue import quoted_end

# Led by a case-sensitive class: an alternation of case-insensitive words is scanned for
# several times slower. The quote before the key and the word boundary are checked after.
_ENTRY = re.compile(
    r"(?P<key>[nNpPvV](?i:ame|arametername|alue|arametervalue))"
    r"(?P<kq>(?:\\?[\"'])?)[ \t]*+:[ \t]*+"
)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
# Bounded, so a line of many unfinished entries stays linear.
_PLAIN_FLOW = re.compile(r"[^\s,{}\[\]\"'#][^,{}\[\]\"'\n]{0,255}")
_YAML_LEAD = re.compile(r"[ \t]*+(?:-[ \t]+)?")
_BLOCK_INDICATOR = re.compile(r"[|>][-+0-9]*+[ \t]*+(?:#.*)?")
_BRACE = re.compile(r"[{}]")
_JSON_LINES = 8  # a JSON entry's value comes within a few lines of its name or not at all
# Every entry that opens a pair has one (lower-cased): a quoted key (also JSON-escaped; the
# backslash is escaped, triggers being regexes), or a YAML key after a blank (as in "- name:")
# or a brace. ANCHORS has ``name`` scanned for once on behalf of them all. Text entries are
# named by ``name`` only: ``key``/``Value`` pairs (Consul) would need every line holding
# "key" looked at again, for a rare format (structured values do handle them).
TRIGGERS = ('"name"', "'name'", r'"name\\', " name:", r"\{name:", 'parametername"')
ANCHORS = ("name",)
_NAME_KEYS = frozenset({"name", "parametername"})
# Every entry opening with its value: a YAML list item whose first key is ``value``, however
# far the dash is from it.
VALUE_FIRST_TRIGGERS = ("value:",)  # "-   value:" and other indents too
_VALUE_FIRST = re.compile(r"[ \t]*+-[ \t]+(?P<key>[vV]alue)[ \t]*+:[ \t]*+")
_HELD_LINES = 8  # an entry names its value within a few lines; held lines stay few


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str  # lower-cased
    key_start: int
    quoted_key: bool
    value: tuple[int, int] | None  # span of a scalar value


@dataclass
class _Pending:
    kind: str
    column: int  # YAML: the name's column; JSON: -1
    lines_left: int = _JSON_LINES


def _scalar(
    line: str, pos: int, block: bool, unclosed: dict[str, int]
) -> tuple[int, int] | None:
    """Span of the scalar starting at ``pos`` (inside quotes if quoted); None for nested values
    and block indicators. ``block``: a YAML block line, where a plain scalar runs to the end.
    ``unclosed``: see :func:`~assistant.redaction.keyvalue.quoted_end`."""
    if pos >= len(line):
        return None
    if line.startswith('\\"', pos):
        return pos + 2, quoted_end(line, pos + 2, '\\"', unclosed)
    if line[pos] in "\"'":
        return pos + 1, quoted_end(line, pos + 1, line[pos], unclosed)
    if block:
        rest = line[pos:]
        cut = rest.find(" #")
        rest = (rest if cut == -1 else rest[:cut]).rstrip()
        if not rest or rest[0] in "{[|>\"'":
            return None
        return pos, pos + len(rest)
    plain = _PLAIN_FLOW.match(line, pos)
    if plain is None:
        return None
    return pos, pos + len(plain.group().rstrip())


def _entry_start(line: str, m: re.Match[str]) -> int | None:
    """Where the entry starts (its opening quote, if any), or None when ``m`` is part of a
    longer name (``hostname:``) or its quotes do not pair up."""
    quote = m.group("kq")
    start = m.start() - len(quote)
    if start < 0 or line[start : m.start()] != quote:
        return None
    if start and line[start - 1] in _NAME_CHARS:
        return None
    return start


def _entries(line: str) -> list[_Entry]:
    entries = []
    unclosed: dict[str, int] = {}
    for m in _ENTRY.finditer(line):
        start = _entry_start(line, m)
        if start is None:
            continue
        quoted = bool(m.group("kq"))
        block = not quoted and _YAML_LEAD.fullmatch(line, 0, start) is not None
        entries.append(_Entry(m.group("key").lower(), m.start("key"), quoted,
                              _scalar(line, m.end(), block, unclosed)))
    return entries


def _secret_span(line: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    if span is None:
        return None
    start, end = span
    if end <= start or is_dummy_value(line[start:end]) or starts_with_template(line, start):
        return None
    return span


class NameValueTracker:
    """Feed lines in order; reports values whose sibling name is sensitive."""

    def __init__(self, scalars: BlockScalarTracker) -> None:
        self._scalars = scalars
        self._pending: _Pending | None = None
        self.active = False  # a plain attribute: the session asks on every line it looks at

    def _set(self, pending: _Pending | None) -> None:
        self._pending = pending
        self.active = pending is not None

    def findings(self, line: str) -> Iterator[Finding]:
        if self._pending is not None:
            found = self._continue(line)
            if found is not None:
                yield found
                return
        if ":" not in line:
            return
        entries = _entries(line)
        named = [
            (e, kind) for e in entries
            if e.key in _NAME_KEYS and e.value is not None
            and e.value[1] - e.value[0] <= MAX_NAME
            and (kind := secret_kind_for_name(line[e.value[0] : e.value[1]])) is not None
        ]
        if named:
            yield from self._same_line(line, entries, named)

    def _same_line(
        self, line: str, entries: list[_Entry], named: list[tuple[_Entry, str]]
    ) -> Iterator[Finding]:
        # Entries between the same two braces belong to one object.
        braces = [m.start() for m in _BRACE.finditer(line)]
        values: dict[int, list[_Entry]] = {}
        for entry in entries:
            if entry.key in PAIR_VALUE_KEYS:
                values.setdefault(bisect_right(braces, entry.key_start), []).append(entry)
        for entry, kind in named:
            segment = bisect_right(braces, entry.key_start)
            for value in values.get(segment, ()):
                span = _secret_span(line, value.value)
                if span is not None:
                    yield Finding(span[0], span[1], kind)
            if segment not in values and segment == len(braces):
                self._open(line, entry, kind)  # the object goes on past this line

    def _open(self, line: str, entry: _Entry, kind: str) -> None:
        """A sensitive name whose value is on a later line."""
        yaml = not entry.quoted_key and _YAML_LEAD.fullmatch(line, 0, entry.key_start)
        self._set(_Pending(kind, entry.key_start if yaml else -1))

    def _continue(self, line: str) -> Finding | None:
        pending = self._pending
        assert pending is not None
        if pending.column < 0:
            return self._continue_json(line, pending)
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            return None
        column = len(line) - len(stripped)
        if column < pending.column:
            self._set(None)
            return None
        if column > pending.column or stripped.startswith("-"):
            return None  # nested under a sibling
        entry = _ENTRY.match(line, column)
        if entry is None or entry.group("kq") or entry.group("key").lower() not in PAIR_VALUE_KEYS:
            if line.startswith("valueFrom", column):
                self._set(None)
            return None
        self._set(None)
        if _BLOCK_INDICATOR.fullmatch(line, entry.end()):
            self._scalars.open(column, pending.kind)
            return None
        span = _secret_span(line, _scalar(line, entry.end(), True, {}))
        return None if span is None else Finding(span[0], span[1], pending.kind)

    def _continue_json(self, line: str, pending: _Pending) -> Finding | None:
        brace = _BRACE.search(line)
        for entry in _entries(line):
            if brace is not None and entry.key_start > brace.start():
                break
            if entry.key in PAIR_VALUE_KEYS:
                self._set(None)
                span = _secret_span(line, entry.value)
                return None if span is None else Finding(span[0], span[1], pending.kind)
        pending.lines_left -= 1
        if brace is not None or "[" in line or pending.lines_left == 0:
            self._set(None)
        return None


@dataclass
class _Held:
    value: tuple[int, int]  # span of the value on the held line
    column: int  # of the ``value`` key; its siblings start there
    lines_left: int = _HELD_LINES


class ValueFirstTracker:
    """A YAML entry whose value comes before its name: :meth:`open` at the value's line,
    then :meth:`feed` each following line until ``active`` is False."""

    def __init__(self) -> None:
        self._held: _Held | None = None
        self.active = False  # a plain attribute: the session asks on every line it looks at

    def open(self, line: str) -> bool:
        """Does ``line`` open an entry with a scalar value (to be held back until decided)?"""
        entry = _VALUE_FIRST.match(line)
        if entry is None:
            return False
        span = _secret_span(line, _scalar(line, entry.end(), True, {}))
        if span is None:
            return False
        self._held = _Held(span, entry.start("key"))
        self.active = True
        return True

    def close(self) -> None:
        self._held = None
        self.active = False

    def feed(self, line: str) -> Finding | None:
        """A line after the value's: the value, once a sensitive sibling name is seen; the
        entry is decided (``active`` False) at its name, its end or after a few lines."""
        held = self._held
        assert held is not None
        stripped = line.lstrip()
        column = len(line) - len(stripped)
        held.lines_left -= 1
        if stripped and not stripped.startswith("#"):
            if column < held.column:
                self.close()
                return None
            entry = _ENTRY.match(line, column) if column == held.column else None
            if entry is not None and not entry.group("kq") and (
                entry.group("key").lower() in _NAME_KEYS
            ):
                self.close()
                name = _scalar(line, entry.end(), True, {})
                if name is None or name[1] - name[0] > MAX_NAME:
                    return None
                kind = secret_kind_for_name(line[name[0] : name[1]])
                return None if kind is None else Finding(*held.value, kind)
        if held.lines_left == 0:
            self.close()
        return None
