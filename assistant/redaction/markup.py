"""HTML form fields: ``<input type="password" name="pwd" value="...">`` in a logged body.

A login or settings form logged as it was posted or replayed carries the password (or an
API secret, a CSRF token) as the ``value`` attribute of its ``<input>``. The attribute name
says nothing; the field's ``type`` or its ``name``/``id`` (as
:func:`~assistant.redaction.fields.secret_kind_for_name` reads field names) decides.
Attributes come in any order, quoted, single-quoted, unquoted, or with JSON-escaped quotes
when the body sits inside a quoted log field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value, secret_kind_for_name

# Bounded, so a line of unclosed tags stays linear.
_TAG = re.compile(r"<input\b(?P<body>[^<>]{0,2000})", re.IGNORECASE)
_ATTRIBUTE = re.compile(
    r"(?P<name>[A-Za-z_:][\w:.-]*)\s*=\s*"
    r"(?:(?P<quote>\\?[\"'])(?P<quoted>.*?)(?P=quote)|(?P<plain>[^\s\"'\\>]+))"
)
_NAMING = ("name", "id")


class FormFieldDetector:
    """The ``value`` of an ``<input>`` whose type is password or whose name is sensitive."""

    triggers = ("<input",)
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        for tag in _TAG.finditer(line):
            attributes: dict[str, tuple[str, int, int]] = {}
            for attribute in _ATTRIBUTE.finditer(tag.group("body")):
                group = "quoted" if attribute.group("quote") else "plain"
                start, end = attribute.span(group)
                offset = tag.start("body")
                attributes.setdefault(attribute.group("name").lower(),
                                      (attribute.group(group), offset + start, offset + end))
            kind = _kind(attributes)
            value = attributes.get("value")
            if kind is not None and value is not None and not is_dummy_value(value[0]):
                yield Finding(value[1], value[2], kind)


def _kind(attributes: dict[str, tuple[str, int, int]]) -> str | None:
    if attributes.get("type", ("",))[0].lower() == "password":
        return "password"
    for naming in _NAMING:
        if naming in attributes and (kind := secret_kind_for_name(attributes[naming][0])):
            return kind
    return None
