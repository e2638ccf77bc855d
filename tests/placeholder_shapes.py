"""Redacted text the way test expectations read it: a placeholder
``[REDACTED:<kind>#<4 hex>]`` as ``<kind>``, since the hash depends on the redactor's key
and says nothing the expectation is about."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9-]+)#[0-9a-f]{4}\]")


def shape(text: str) -> str:
    return PLACEHOLDER.sub(r"<\1>", text)
