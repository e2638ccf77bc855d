"""Declaring one setting: a pydantic field that also names its environment variable.

Every section of the configuration tree (assistant/config/tree.py) declares its fields with
``setting``; the reader, ``opsbot config check`` and the README table all walk those
declarations, so adding a setting is one line in its section.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo

ENV_KEY = "env"
SPLIT_KEY = "split"  # a list setting: the separator its environment variable uses


def setting(default: Any, env: str, doc: str, *, split: str | None = None,
            **constraints: Any) -> Any:
    """A field read from ``env`` (and from ``opsbot.yaml`` under its own name)."""
    extra: dict[str, Any] = {ENV_KEY: env}
    if split is not None:
        extra[SPLIT_KEY] = split
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


def env_name(field: FieldInfo) -> str | None:
    extra = field.json_schema_extra
    return extra.get(ENV_KEY) if isinstance(extra, dict) else None  # type: ignore[return-value]


def list_separator(field: FieldInfo) -> str | None:
    extra = field.json_schema_extra
    return extra.get(SPLIT_KEY) if isinstance(extra, dict) else None  # type: ignore[return-value]
