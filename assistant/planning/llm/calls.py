"""Turn a tool call the model made into a validated ToolCall, or say exactly what is wrong.

Nothing here runs anything. A call is valid only if it names a tool the asking user may
request, its arguments are a JSON object, and the catalog's args model accepts them.
"""

from __future__ import annotations

import json
from collections.abc import Set
from dataclasses import dataclass

from pydantic import ValidationError

from assistant.models import ToolCall
from assistant.planning.llm.schemas import decode_arguments
from tools.catalog import CATALOG


@dataclass(frozen=True)
class ToolRequest:
    """A tool call as the model sent it: nothing about it is trusted yet."""

    id: str
    name: str
    arguments: str  # JSON text, possibly malformed


@dataclass(frozen=True)
class ValidCall:
    call: ToolCall
    why: str | None  # the model's rationale, for mutating calls


@dataclass(frozen=True)
class InvalidCall:
    error: str


def interpret(request: ToolRequest, allowed: Set[str]) -> ValidCall | InvalidCall:
    visible = sorted(set(allowed) & CATALOG.keys())
    if request.name not in visible:
        return InvalidCall(f"unknown tool {request.name!r}; the tools you can call are: "
                           f"{', '.join(visible)}")
    try:
        raw = json.loads(request.arguments or "{}")
    except json.JSONDecodeError as exc:
        return InvalidCall(f"arguments of {request.name} are not valid JSON: {exc}")
    if not isinstance(raw, dict):
        return InvalidCall(f"arguments of {request.name} must be a JSON object, "
                           f"got {type(raw).__name__}")
    args, why = decode_arguments(request.name, raw)
    try:
        validated = CATALOG[request.name].validate_args(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        return InvalidCall(f"invalid arguments for {request.name}: {problems}")
    args = validated.model_dump(mode="json", exclude_unset=True)
    return ValidCall(ToolCall(tool=request.name, args=args), why)
