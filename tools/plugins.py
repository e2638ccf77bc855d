"""Tools a team adds: Python entry points in the group ``opsbot.tools``.

An entry point names a ToolSpec (or a list of them) with ``implementations`` keyed by
backend kind. They are loaded and checked once at start-up, before policies are read, so
policy files may name them and a broken plugin stops start-up with an error naming it
instead of failing in the middle of an incident. A plugin tool then lives in the same
catalog as the built-in ones: the planners see it, the policy engine governs it, and
``opsbot tools list`` shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from pydantic import BaseModel

from assistant.errors import OpsbotError
from assistant.models import ToolImplementation, ToolSpec
from tools.catalog import BUILT_IN_TOOLS, CATALOG

ENTRY_POINT_GROUP = "opsbot.tools"
# Tool names end up in policy files, runbooks, LLM function names and audit records.
TOOL_NAME = re.compile(r"^[a-z][a-z0-9_]{2,63}$")


class PluginError(OpsbotError):
    """A plugin that cannot be loaded; the message names it."""


def _origin(point: EntryPoint) -> str:
    dist = point.dist
    source = f", {dist.name} {dist.version}" if dist is not None else ""
    return f"plugin {point.name} ({point.value}{source})"


def _specs(loaded: object, origin: str) -> list[ToolSpec]:
    if isinstance(loaded, ToolSpec):
        return [loaded]
    if isinstance(loaded, Iterable) and not isinstance(loaded, str | bytes | dict):
        specs = list(loaded)
        if specs and all(isinstance(s, ToolSpec) for s in specs):
            return specs
    raise PluginError(f"{origin}: the entry point must name a ToolSpec or a list of them, "
                      f"not {type(loaded).__name__}")


def _problems(spec: ToolSpec) -> list[str]:
    problems: list[str] = []
    if not TOOL_NAME.match(spec.name):
        problems.append(f"tool name {spec.name!r} must match {TOOL_NAME.pattern}")
    if not spec.implementations:
        problems.append("no implementations: name at least one backend kind "
                        "(e.g. sandbox, kubernetes) and how it runs the tool there")
    for kind, impl in (spec.implementations or {}).items():
        if not isinstance(impl, ToolImplementation):
            problems.append(f"implementation for {kind!r} is a {type(impl).__name__}, "
                            "not a ToolImplementation")
        elif not spec.read_only and impl.preview is None:
            problems.append(f"mutating tool without a preview for {kind!r}: a confirmation "
                            "card must show what it would change")
    for role, model in (("args", spec.args_model), ("output", spec.output_model)):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            problems.append(f"{role} model must be a pydantic model")
            continue
        try:
            model.model_json_schema()
        except Exception as exc:  # a schema that cannot be drawn breaks the LLM and docs
            problems.append(f"{role} model {model.__name__} has no JSON schema: {exc}")
    return problems


def _checked_specs(specs: Iterable[ToolSpec], origin: str,
                       taken: Iterable[str]) -> list[ToolSpec]:
    """The specs, marked with where they came from, or PluginError naming the plugin."""
    taken = set(taken)
    checked = []
    for spec in specs:
        if spec.name in taken:
            owner = CATALOG[spec.name].origin if spec.name in CATALOG else "another plugin"
            raise PluginError(f"{origin}: tool {spec.name!r} is already defined ({owner})")
        problems = _problems(spec)
        if problems:
            raise PluginError(f"{origin}: tool {spec.name!r}: {'; '.join(problems)}")
        taken.add(spec.name)
        checked.append(spec.model_copy(update={"origin": origin}))
    return checked


def load_plugins(points: Iterable[EntryPoint] | None = None) -> tuple[ToolSpec, ...]:
    """Load every ``opsbot.tools`` entry point into the catalog, all or none.

    Loading again (a second CLI call in one process) replaces the plugins loaded before."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP) if points is None else points,
                   key=lambda p: p.name)
    loaded: list[ToolSpec] = []
    for point in found:
        origin = _origin(point)
        try:
            target = point.load()
        except Exception as exc:
            raise PluginError(
                f"{origin} could not be loaded: {type(exc).__name__}: {exc}") from exc
        taken = BUILT_IN_TOOLS | {s.name for s in loaded}
        loaded.extend(_checked_specs(_specs(target, origin), origin, taken))
    for name in set(CATALOG) - BUILT_IN_TOOLS:
        del CATALOG[name]
    CATALOG.update({s.name: s for s in loaded})
    return tuple(loaded)


def plugin_settings(specs: Iterable[ToolSpec]) -> frozenset[str]:
    """The environment variables the plugin tools ``specs`` read themselves."""
    return frozenset(name for spec in specs for impl in (spec.implementations or {}).values()
                     for name in impl.settings)
