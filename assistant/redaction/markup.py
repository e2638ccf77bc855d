"""Secrets in HTML and XML markup, where no ``name=value`` or ``name: value`` rule sees them:

- a password field's value: ``<input type="password" name="pw" value="...">``, attributes
  in any order, quoted either way or bare, tag and attribute names in any case;
- a ``value`` attribute named by a sibling ``name``/``key`` attribute, as in .NET and Java
  configuration (``<add key="ApiKey" value="..."/>``, ``<property name="db.password"
  value="..."/>``; an ``<input name="password" value="...">`` too);
- an element named like a secret: ``<password>...</password>``, ``<db:apiKey>...``.

The name decides, as for plain fields (:func:`~assistant.redaction.fields.secret_kind_for_name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    MAX_NAME,
    is_dummy_value,
    secret_kind_for_name,
    starts_with_template,
)

# Bounded: a line of many unfinished tags stays linear.
_TAG = re.compile(
    r"<[A-Za-z][\w:.-]{0,63}(?P<attributes>(?:[ \t]+[^\s=<>/\"']{1,64}"
    r"(?:[ \t]*=[ \t]*(?:\\\"[^\"<>\\\\]{0,512}\\\"|\"[^\"<>]{0,512}\"|'[^'<>]{0,512}'"
    r"|[^\s<>\"']{1,512}))?){1,32})"
    r"[ \t]*/?>"
)
_ATTRIBUTE = re.compile(
    r"(?P<name>[^\s=<>/\"']{1,64})(?:[ \t]*=[ \t]*(?:\\\"(?P<esc>[^\"\\\\]*)\\\""
    r"|\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'"
    r"|(?P<bare>[^\s<>\"']+)))?"
)
_ELEMENT = re.compile(
    r"<(?P<name>[A-Za-z][\w:.-]{0,63})(?:[ \t][^<>]{0,512})?>[ \t]*"
    r"(?P<value>[^<>\s](?:[^<>]{0,510}[^<>\s])?)[ \t]*</(?P=name)>"
)
_NAMING = ("name", "key")  # attributes that name the value attribute's content
# esc: quoted with backslashes, as markup logged inside a JSON string is.
_VALUES = ("esc", "dq", "sq", "bare")


def _attributes(line: str, tag: re.Match[str]) -> dict[str, tuple[int, int]]:
    """Lower-cased attribute name -> span of its value (inside quotes)."""
    found: dict[str, tuple[int, int]] = {}
    for attribute in _ATTRIBUTE.finditer(line, *tag.span("attributes")):
        for group in _VALUES:
            if attribute.group(group) is not None:
                found.setdefault(attribute.group("name").lower(), attribute.span(group))
    return found


def _secret(line: str, start: int, end: int, kind: str) -> Finding | None:
    if end <= start or is_dummy_value(line[start:end]) or starts_with_template(line, start):
        return None
    return Finding(start, end, kind)


class MarkupDetector:
    triggers = ("value", "</")
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        if "<" not in line:
            return
        yield from self._attribute_values(line)
        for element in _ELEMENT.finditer(line):
            local = element.group("name").rpartition(":")[2]
            kind = secret_kind_for_name(local)
            if kind is not None:
                found = _secret(line, *element.span("value"), kind)
                if found is not None:
                    yield found

    @staticmethod
    def _attribute_values(line: str) -> Iterator[Finding]:
        for tag in _TAG.finditer(line):
            attributes = _attributes(line, tag)
            value = attributes.get("value")
            if value is None:
                continue
            kind = None
            kind_of_type = attributes.get("type")
            if kind_of_type is not None and line[slice(*kind_of_type)].lower() == "password":
                kind = "password"
            for naming in _NAMING:
                span = attributes.get(naming)
                if kind is None and span is not None and span[1] - span[0] <= MAX_NAME:
                    kind = secret_kind_for_name(line[slice(*span)])
            if kind is not None:
                found = _secret(line, *value, kind)
                if found is not None:
                    yield found
