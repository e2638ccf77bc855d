"""Values under ``data:`` / ``stringData:`` in Kubernetes Secret manifests (YAML or JSON).

Followed line by line: the object's ``kind`` (reset by ``---`` and ``apiVersion:``),
whether we are inside a data block and at which indentation. In a Secret every value is
replaced. ``kubectl get -o yaml`` prints ``data`` before ``kind``; while the kind is not
known yet, base64-looking values are replaced and ConfigMap-style plain values kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value

KIND = "k8s-secret"
TRIGGERS = ("data:", 'data"', "kind", "apiversion", "---")
# The same for the Hyperscan engine, where "---" would match at every dash of a long run
# ("-----BEGIN ..."): a document start is "---" after blanks at the start of its line.
PATTERNS = (r"(?i:data:|data\"|kind|apiversion)", r"^\s*---")

_DOC_START = re.compile(r"\s*---(?:\s.*)?")
_API_VERSION = re.compile(r"\s*(?:-\s+)?\"?apiVersion\"?\s*:.*")
_KIND_LINE = re.compile(r"\s*(?:-\s+)?\"?kind\"?\s*:\s*\"?(?P<kind>[A-Za-z]+)\"?,?\s*")
_YAML_BLOCK = re.compile(r"(?P<indent>\s*)(?:-\s+)?(?P<name>data|stringData):\s*")
_JSON_BLOCK = re.compile(r"\s*\"(?P<name>data|stringData)\"\s*:\s*\{\s*")
_YAML_ENTRY = re.compile(r"(?P<indent>\s*)(?P<key>[^\s:#][^:]*?):(?:\s+(?P<value>.*?))?\s*")
_JSON_ENTRY = re.compile(r"\s*\"[^\"]+\"\s*:\s*\"(?P<value>[^\"]*)\"\s*,?\s*")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BLOCK_SCALAR = re.compile(r"[|>][-+]?")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _base64_looking(value: str) -> bool:
    """Base64 and not an ordinary word such as ``info`` or ``true``."""
    if len(value) < 4 or not _BASE64.fullmatch(value):
        return False
    mixed_case = value.lower() != value and value.upper() != value
    return not value.isalpha() or mixed_case


@dataclass
class _Block:
    indent: int  # of the data: key (YAML) or -1 for a JSON object
    string_data: bool
    scalar_indent: int | None = None  # inside a "key: |" block scalar whose lines are secret


class ManifestTracker:
    def __init__(self) -> None:
        self._kind: str | None = None
        self._block: _Block | None = None

    @property
    def active(self) -> bool:
        return self._block is not None

    def findings(self, line: str) -> Iterator[Finding]:
        """Update the state with ``line`` and report secret values in it."""
        if self._block is not None:
            yield from self._in_block(line)
            if self._block is not None:
                return
        if _DOC_START.fullmatch(line) or _API_VERSION.fullmatch(line):
            self._kind = None
        elif (kind := _KIND_LINE.fullmatch(line)) is not None:
            self._kind = kind.group("kind")
        elif (block := _YAML_BLOCK.fullmatch(line)) is not None:
            self._block = _Block(len(block.group("indent")), block.group("name") == "stringData")
        elif (block := _JSON_BLOCK.fullmatch(line)) is not None:
            self._block = _Block(-1, block.group("name") == "stringData")

    def _in_block(self, line: str) -> Iterator[Finding]:
        block = self._block
        assert block is not None
        if not line.strip():
            return
        indent = _indent(line)
        if block.scalar_indent is not None:
            if indent > block.scalar_indent:
                if self._redacts(line.strip(), literal=True):
                    yield Finding(indent, len(line.rstrip()), KIND)
                return
            block.scalar_indent = None
        if block.indent < 0:
            entry = _JSON_ENTRY.fullmatch(line)
            if entry is None:
                if line.lstrip().startswith("}"):
                    self._block = None
                return
        else:
            if indent <= block.indent:
                self._block = None
                return
            entry = _YAML_ENTRY.fullmatch(line)
            if entry is None:
                return
        value = entry.group("value")
        if not value:
            return
        if block.indent >= 0 and _BLOCK_SCALAR.fullmatch(value):
            block.scalar_indent = indent
            return
        start, end = entry.span("value")
        if value[0] in "\"'" and value[-1] == value[0] and len(value) >= 2:
            start, end, value = start + 1, end - 1, value[1:-1]
        if value and self._redacts(value, literal=block.string_data):
            yield Finding(start, end, KIND)

    def _redacts(self, value: str, *, literal: bool) -> bool:
        if self._kind not in (None, "Secret") or is_dummy_value(value):
            return False
        if literal or self._kind == "Secret":
            return True
        return _base64_looking(value)
