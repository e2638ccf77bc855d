"""Team settings for the redactor: extra patterns and an allow-list, loadable from YAML.

```yaml
patterns:                      # redacted as [REDACTED:<name>#....]
  - name: acme-api-key
    regex: 'acme_[a-z0-9]{32}'
  - name: acme-session         # a group named "secret" limits what is replaced
    regex: 'sess=(?P<secret>[A-Za-z0-9]{24})'
allow:                         # findings equal to a literal or fully matching a regex stay
  - literal: AKIAIOSFODNN7EXAMPLE
  - regex: 'test-[a-z]+'
```
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from assistant.redaction.placeholder import KIND_PATTERN
from assistant.yamlfile import load_yaml_file

_KIND_RE = re.compile(KIND_PATTERN)


def _check_regex(pattern: str) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    if compiled.search("") is not None:
        raise ValueError(f"regular expression {pattern!r} matches the empty string")
    return pattern


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomPattern(_Strict):
    name: str
    regex: str

    @field_validator("name")
    @classmethod
    def _name_is_a_kind(cls, name: str) -> str:
        if not _KIND_RE.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a valid kind: use lower-case letters, digits and '-'"
            )
        return name

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, regex: str) -> str:
        return _check_regex(regex)


class AllowEntry(_Strict):
    literal: str | None = None
    regex: str | None = None

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, regex: str | None) -> str | None:
        return None if regex is None else _check_regex(regex)

    @model_validator(mode="after")
    def _exactly_one(self) -> AllowEntry:
        if (self.literal is None) == (self.regex is None):
            raise ValueError("give exactly one of 'literal' or 'regex'")
        return self


class RedactionConfig(_Strict):
    patterns: tuple[CustomPattern, ...] = ()
    allow: tuple[AllowEntry, ...] = ()


def load_redaction_config(path: Path) -> RedactionConfig:
    """Read a redaction config; every error is an InputError naming file, line and field."""
    return load_yaml_file(RedactionConfig, path)
