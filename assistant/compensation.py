"""The action that undoes a mutating call, from what the backend reported it changed. Pure."""

from __future__ import annotations

from pydantic import BaseModel

from assistant.models import ToolCall
from tools.catalog import get_tool


def compensating_call(call: ToolCall, output: BaseModel | None) -> ToolCall | None:
    """The tool's own inverse (scale back, roll back to the revision that was current);
    None when it has no safe one (a restart cannot be undone, a silence simply expires)."""
    spec = get_tool(call.tool)
    if spec.inverse is None or output is None:
        return None
    return spec.inverse(spec.validate_args(call.args), spec.read_output(output))
