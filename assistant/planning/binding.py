"""Bind runbook step placeholders (``{namespace}``, ``{replicas*2}``) to known values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_WHOLE = re.compile(r"^\{(?P<name>[a-z_]+)(?:(?P<op>[*+-])(?P<num>\d+))?\}$")
_EMBEDDED = re.compile(r"\{([a-z_]+)\}")


class MissingBinding(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _bind_one(value: Any, bindings: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _bind_one(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind_one(v, bindings) for v in value]
    if not isinstance(value, str):
        return value
    whole = _WHOLE.match(value)
    if whole:
        name = whole["name"]
        if name not in bindings:
            raise MissingBinding(name)
        bound = bindings[name]
        if whole["op"]:
            n = int(whole["num"])
            base = int(bound)
            return {"*": base * n, "+": base + n, "-": base - n}[whole["op"]]
        return bound

    def sub(match: re.Match[str]) -> str:
        if match[1] not in bindings:
            raise MissingBinding(match[1])
        return str(bindings[match[1]])

    return _EMBEDDED.sub(sub, value)


def bind_args(template: Mapping[str, Any], bindings: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve every placeholder in ``template``; raises MissingBinding naming the first gap."""
    return {k: _bind_one(v, bindings) for k, v in template.items()}


def placeholders(template: Any) -> set[str]:
    """Every placeholder name a template refers to."""
    if isinstance(template, dict):
        return set().union(*(placeholders(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(placeholders(v) for v in template)) if template else set()
    if not isinstance(template, str):
        return set()
    whole = _WHOLE.match(template)
    if whole:
        return {whole["name"]}
    return set(_EMBEDDED.findall(template))
