"""Typed placeholders: ``[REDACTED:<kind>#<4 hex>]``.

The suffix is a keyed hash (HMAC-SHA256) of the secret, so one secret keeps one placeholder
for as long as the same key is used (an incident), while nobody without the key can test a
guess against it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

KIND_PATTERN = r"[a-z0-9][a-z0-9-]*"
PLACEHOLDER_RE = re.compile(r"\[REDACTED:" + KIND_PATTERN + r"#[0-9a-f]{4}\]")
PLACEHOLDER_MARK = "[REDACTED:"


def encode_secret(text: str) -> bytes:
    # surrogatepass: streams read with surrogateescape still hash deterministically.
    return text.encode("utf-8", "surrogatepass")


class Placeholders:
    """Renders placeholders under one key; ``on_render`` hears the kind of each one made
    (a metrics counter: secrets caught, by kind)."""

    def __init__(self, key: bytes, on_render: Callable[[str], None] | None = None) -> None:
        if not key:
            raise ValueError("the redaction key must not be empty")
        self._key = key
        self._on_render = on_render

    def render(self, kind: str, secret: str) -> str:
        digest = hmac.new(self._key, encode_secret(secret), hashlib.sha256).hexdigest()
        return self.from_digest(kind, digest)

    def incremental(self) -> hmac.HMAC:
        """A running hash for secrets that arrive in pieces (a key block over many lines)."""
        return hmac.new(self._key, digestmod=hashlib.sha256)

    def from_digest(self, kind: str, hexdigest: str) -> str:
        if self._on_render is not None:
            self._on_render(kind)
        return f"[REDACTED:{kind}#{hexdigest[:4]}]"


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    if PLACEHOLDER_MARK not in text:
        return []
    return [m.span() for m in PLACEHOLDER_RE.finditer(text)]
