"""`opsbot tools list|show NAME`: the tool catalog, built-in and plugin tools alike."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import BaseModel

from assistant.errors import InputError
from assistant.models import ToolSpec
from tools import render
from tools.catalog import CATALOG

# The hooks an engine step asks a tool for, with what each one decides.
_HOOKS = {
    "resource": "lock/rate-limit key",
    "named_namespaces": "namespaces in args",
    "pin": "pins defaults before approval",
    "watch": "verification target",
    "inverse": "undo after a worse verification",
    "chart": "chart",
    "bindings": "planner bindings",
    "trouble": "signs of trouble",
    "asked_by": "explicit request words",
    "topic": "words that make the LLM offer it",
    "implements": "runbook command forms",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    tools = subparsers.add_parser(
        "tools", help="the tool catalog: schemas, class, risk, backends",
        description="List the tools opsbot knows (built-in and plugins from the "
                    "opsbot.tools entry points) or show one with its schemas.")
    sub = tools.add_subparsers(dest="tools_command", required=True)
    listing = sub.add_parser("list", help="every tool, one line each")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)
    show = sub.add_parser("show", help="one tool: description, schemas, backends, hooks")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=_show)


def _arguments(model: type[BaseModel]) -> str:
    """Argument names, optional ones marked with '?'."""
    return ", ".join(name + ("" if field.is_required() else "?")
                     for name, field in model.model_fields.items())


def _summary(spec: ToolSpec) -> dict[str, Any]:
    # Imported here: it loads every backend (the Kubernetes client among them), which
    # no other command should pay for at start-up.
    from tools.coverage import implemented_by

    return {
        "name": spec.name,
        "class": spec.tool_class.value,
        "risk": spec.risk.value,
        "backends": list(implemented_by(spec)),
        "origin": spec.origin,
        "arguments": _arguments(spec.args_model),
        "description": spec.description,
    }


def _list(args: argparse.Namespace) -> int:
    rows = [_summary(CATALOG[name]) for name in sorted(CATALOG)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(render.table(
        ("NAME", "CLASS", "RISK", "BACKENDS", "ARGUMENTS", "ORIGIN"),
        [(r["name"], r["class"], r["risk"], ", ".join(r["backends"]) or "none",
          r["arguments"], r["origin"]) for r in rows]))
    return 0


def _detail(spec: ToolSpec) -> dict[str, Any]:
    hooks = [f"{name} ({what})" for name, what in _HOOKS.items()
             if getattr(spec, name) is not None]
    implementations = {kind: impl.describe
                       for kind, impl in (spec.implementations or {}).items()}
    return {
        **_summary(spec),
        "idempotent": spec.idempotent,
        "hooks": hooks,
        "implementations": implementations,
        "args_schema": spec.json_schema(),
        "output_schema": spec.output_schema(),
    }


def _show(args: argparse.Namespace) -> int:
    spec = CATALOG.get(args.name)
    if spec is None:
        raise InputError(f"unknown tool {args.name!r}; known: {', '.join(sorted(CATALOG))}",
                         field="NAME")
    detail = _detail(spec)
    if args.json:
        print(json.dumps(detail, indent=2))
        return 0
    print(f"{spec.name}: {spec.description}")
    print(f"  class: {detail['class']}, risk: {detail['risk']}, "
          f"idempotent: {'yes' if spec.idempotent else 'no'}")
    print(f"  origin: {spec.origin}")
    print(f"  backends: {', '.join(detail['backends']) or 'none'}")
    for kind, what in detail["implementations"].items():
        print(f"    {kind}: {what or '-'}")
    print(f"  hooks: {', '.join(detail['hooks']) or 'none'}")
    print("  arguments (JSON schema):")
    print(_indent(json.dumps(detail["args_schema"], indent=2)))
    print("  output (JSON schema):")
    print(_indent(json.dumps(detail["output_schema"], indent=2)))
    return 0


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())
