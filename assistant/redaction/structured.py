"""Redaction of structured values: walk containers, redact strings, and replace values whose
field name says they are secret."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from assistant.redaction.fields import (
    PAIR_NAME_KEYS,
    PAIR_VALUE_KEYS,
    is_dummy_value,
    secret_kind_for_field,
    secret_kind_for_name,
)
from assistant.redaction.manifest import KIND as MANIFEST_KIND
from assistant.redaction.placeholder import PLACEHOLDER_RE

_SAFE_SCALARS = (bool, int, float, Decimal, datetime, date, time, timedelta, UUID, type(None))
_NUMBERS = frozenset({int, float})


def redact_structured(
    value: Any,
    redact_text: Callable[[str], str],
    secret_value: Callable[[str, str], str],
) -> Any:
    """``secret_value(kind, text)`` renders a value known to be secret from its field name."""
    return _Walker(redact_text, secret_value).walk(value, None)


class _Walker:
    def __init__(
        self, redact_text: Callable[[str], str], secret_value: Callable[[str, str], str]
    ) -> None:
        self._text = redact_text
        self._secret = secret_value
        # A list of records repeats the same field names: each is redacted and read for
        # what it says of its value once per walk.
        self._keys: dict[str, tuple[str, str | None]] = {}

    def walk(self, value: Any, secret_kind: str | None) -> Any:
        """``secret_kind`` is set when an enclosing field name marks everything below as secret."""
        # The common exact types first: a tool's output holds thousands of them.
        exact = type(value)
        if exact is str:
            return self._string(value, secret_kind)
        if value is None or exact is bool or (exact in _NUMBERS and secret_kind is None):
            return value
        if exact is dict:
            return self._mapping(value, secret_kind)
        if exact is list:
            return [self.walk(v, secret_kind) for v in value]
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        if isinstance(value, str):
            return self._string(value, secret_kind)
        if isinstance(value, bytes):
            text = value.decode("utf-8", "surrogateescape")
            redacted = self._string(text, secret_kind)
            return value if redacted == text else redacted.encode("utf-8", "surrogateescape")
        if isinstance(value, Mapping):
            return self._mapping(value, secret_kind)
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.walk(v, secret_kind) for v in value]
            return items if isinstance(value, list) else type(value)(items)
        if secret_kind is not None and isinstance(value, int | float | Decimal) and not (
            isinstance(value, bool)
        ):
            return self._secret(secret_kind, str(value))
        if isinstance(value, _SAFE_SCALARS):
            return value
        if isinstance(value, Enum):
            return value if isinstance(value.value, _SAFE_SCALARS) else self._text(str(value))
        return self._string(str(value), secret_kind)

    def _string(self, text: str, secret_kind: str | None) -> str:
        if secret_kind is not None and not is_dummy_value(text) and not PLACEHOLDER_RE.fullmatch(
            text.strip()
        ):
            return self._secret(secret_kind, text)
        redacted = self._text(text)
        return text if redacted == text else redacted

    def _mapping(self, value: Mapping[Any, Any], secret_kind: str | None) -> dict[Any, Any]:
        is_secret_manifest = value.get("kind") == "Secret"
        pair_kind = _pair_kind(value)
        out = {}
        for key, item in value.items():
            kind = secret_kind
            new_key = key
            if isinstance(key, str):
                new_key, field_kind = self._key(key)
                if kind is None:
                    kind = field_kind
                if kind is None and is_secret_manifest and key in ("data", "stringData"):
                    kind = MANIFEST_KIND
                if kind is None and pair_kind is not None and key.lower() in PAIR_VALUE_KEYS:
                    kind = pair_kind
            out[new_key] = self.walk(item, kind)
        return out

    def _key(self, key: str) -> tuple[str, str | None]:
        """The field name redacted, and the secret kind it gives its value."""
        known = self._keys.get(key)
        if known is None:
            known = self._keys[key] = (self._text(key), secret_kind_for_field(key))
        return known


def _pair_kind(value: Mapping[Any, Any]) -> str | None:
    """``{"name": "DB_PASSWORD", "value": ...}``: the kind the sibling name gives the value."""
    for key, item in value.items():
        if isinstance(key, str) and isinstance(item, str) and key.lower() in PAIR_NAME_KEYS:
            kind = secret_kind_for_name(item)
            if kind is not None:
                return kind
    return None
