"""Function schemas for the model, generated from the catalog's args models.

OpenAI's strict mode accepts a subset of JSON Schema: every object closed
(``additionalProperties: false``) with every property required, optional ones nullable,
no free-form maps, and only some keywords. So the pydantic schema is rewritten: optional
fields become ``X | null`` (null = the default), a ``dict[str, str]`` becomes a list of
``{key, value}`` pairs, and keywords strict mode rejects move into the description. Our own
validation still applies the full args model, so nothing is lost by the rewrite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tools.catalog import CATALOG

RATIONALE_FIELD = "why"  # extra argument of mutating tools: the model's reason, shown to humans

# Keywords strict mode enforces; everything else becomes a hint in the description.
_KEPT = frozenset({"type", "enum", "const", "pattern", "format", "minimum", "maximum",
                   "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems",
                   "maxItems"})
_STRUCTURAL = frozenset({"properties", "required", "additionalProperties", "items", "anyOf",
                         "$ref", "$defs", "title", "description", "default"})
# Short, as they repeat in every schema; the system prompt's rules say the rest once.
_READ_ONLY_NOTE = " Read-only: runs now."
_MUTATING_NOTE = " Mutating: only PROPOSES it; nothing runs now (rule 2)."


def tool_definitions(names: Iterable[str]) -> list[dict[str, Any]]:
    """Strict function definitions for the catalog tools among ``names``, in name order.

    Names outside the catalog are ignored: the model can only ever see catalog tools.
    """
    definitions = []
    for name in sorted(set(names) & CATALOG.keys()):
        spec = CATALOG[name]
        parameters = strict_schema(spec.json_schema())
        # An args model's docstring documents the code (shared by several tools); the
        # function's description and the fields' say what the model needs.
        parameters.pop("description", None)
        if not spec.read_only:
            parameters["properties"][RATIONALE_FIELD] = {
                "type": "string",
                "description": "Why this action: the evidence and runbook section, cited.",
            }
            parameters["required"].append(RATIONALE_FIELD)
        note = _READ_ONLY_NOTE if spec.read_only else _MUTATING_NOTE
        definitions.append({
            "type": "function",
            "function": {
                "name": name,
                "description": spec.description + note,
                "parameters": parameters,
                "strict": True,
            },
        })
    return definitions


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` (a pydantic model's JSON schema) rewritten for strict mode."""
    return _strict(schema, schema.get("$defs", {}))


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    target = defs[ref.rsplit("/", 1)[-1]]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return _resolve(merged, defs)


def _is_map(node: Mapping[str, Any]) -> bool:
    return (node.get("type") == "object" and "properties" not in node
            and isinstance(node.get("additionalProperties"), dict))


def _allows_null(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "null" or any(_allows_null(o) for o in node.get("anyOf", ()))


def _hints(node: Mapping[str, Any]) -> list[str]:
    hints = [f"{key} {json.dumps(node[key])}" for key in sorted(node)
             if key not in _KEPT and key not in _STRUCTURAL and not _implied(key, node)]
    if _is_map(node):
        hints.append("given as a list of {key, value} pairs")
    if node.get("default") is not None:
        hints.append(f"null means the default, {json.dumps(node['default'])}")
    return hints


def _implied(key: str, node: Mapping[str, Any]) -> bool:
    """A keyword the kept ones already say, so its hint would only cost tokens: a minimum
    length of one beside a pattern no empty string matches."""
    if key != "minLength" or node[key] != 1 or "pattern" not in node:
        return False
    try:
        return re.search(node["pattern"], "") is None
    except re.error:
        return False


def _describe(out: dict[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    hints = _hints(node)
    text = node.get("description", "")
    if hints:
        text = f"{text} ({'; '.join(hints)})".strip()
    if text:
        out["description"] = text
    return out


def _strict(raw: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    node = _resolve(raw, defs)
    if "anyOf" in node:
        return _describe({"anyOf": [_strict(o, defs) for o in node["anyOf"]]}, node)
    if _is_map(node):
        pair = {
            "type": "object",
            "properties": {"key": {"type": "string"},
                           "value": _strict(node["additionalProperties"], defs)},
            "required": ["key", "value"],
            "additionalProperties": False,
        }
        return _describe({"type": "array", "items": pair}, node)
    if node.get("type") == "object":
        required = set(node.get("required", ()))
        properties: dict[str, Any] = {}
        for name, sub in node.get("properties", {}).items():
            prop = _strict(sub, defs)
            if name not in required and not _allows_null(_resolve(sub, defs)):
                prop = {"anyOf": [{k: v for k, v in prop.items() if k != "description"},
                                  {"type": "null"}],
                        **({"description": prop["description"]} if "description" in prop
                           else {})}
            properties[name] = prop
        return _describe({"type": "object", "properties": properties,
                          "required": list(properties), "additionalProperties": False}, node)
    out = {k: v for k, v in node.items() if k in _KEPT}
    if node.get("type") == "array" and "items" in node:
        out["items"] = _strict(node["items"], defs)
    return _describe(out, node)


def decode_arguments(tool: str, raw: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The model's arguments back in the args model's shape, plus its rationale.

    Nulls are dropped (the default applies) and ``{key, value}`` lists become maps again;
    validation is left to the args model, so a malformed value still fails there.
    """
    schema = CATALOG[tool].json_schema()
    args = dict(raw)
    why = args.pop(RATIONALE_FIELD, None) if not CATALOG[tool].read_only else None
    decoded = _decode(args, schema, schema.get("$defs", {}))
    return decoded, why if isinstance(why, str) and why.strip() else None


def _decode(value: Any, raw: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    node = _resolve(raw, defs)
    if _is_map(node) and isinstance(value, list):
        if all(isinstance(p, dict) and set(p) == {"key", "value"} for p in value):
            inner = node["additionalProperties"]
            return {p["key"]: _decode(p["value"], inner, defs) for p in value}
        return value
    if "anyOf" in node and value is not None:
        for option in node["anyOf"]:
            if _resolve(option, defs).get("type") != "null":
                return _decode(value, option, defs)
    if node.get("type") == "object" and isinstance(value, dict):
        properties = node.get("properties", {})
        return {k: _decode(v, properties.get(k, {}), defs) for k, v in value.items()
                if v is not None}
    if node.get("type") == "array" and isinstance(value, list) and "items" in node:
        return [_decode(v, node["items"], defs) for v in value]
    return value


def json_turn_format(definitions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The response format that stands in for ``tools`` on a server that refuses them: each
    turn is one JSON object with the calls to make or the final answer. llama.cpp, Ollama
    and vLLM constrain sampling to it; the args model still validates every call."""
    names = [d["function"]["name"] for d in definitions]
    call = {"type": "object",
            "properties": {"name": {"type": "string", "enum": names},
                           "arguments": {"type": "object"}},
            "required": ["name", "arguments"]}
    schema = {"type": "object",
              "properties": {"tool_calls": {"type": "array", "items": call},
                             "answer": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
              "required": ["tool_calls", "answer"],
              "additionalProperties": False}
    return {"type": "json_schema",
            "json_schema": {"name": "opsbot_turn", "schema": schema, "strict": True}}


def json_turn_rules(definitions: Sequence[Mapping[str, Any]]) -> str:
    """The tools, described in the prompt for a server that cannot take them as ``tools``."""
    lines = ["This server cannot take tool definitions, so every reply is ONE JSON object: "
             '{"tool_calls": [{"name": "<tool>", "arguments": {...}}], "answer": null} to '
             'call tools, or {"tool_calls": [], "answer": "<your answer>"} to finish. '
             "Tool results come back in the next user message. The tools:"]
    for definition in definitions:
        function = definition["function"]
        lines.append(f"- {function['name']}: {function['description']} Arguments (JSON "
                     f"schema): {json.dumps(function['parameters'], separators=(',', ':'))}")
    return "\n".join(lines)
