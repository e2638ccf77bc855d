"""The action that undoes a mutating call, from what the backend reported it changed. Pure."""

from __future__ import annotations

from typing import Any

from assistant.models import ToolCall


def compensating_call(call: ToolCall, changed: dict[str, Any]) -> ToolCall | None:
    """Scale back, or roll back to the revision that was current; None when there is no
    safe inverse (a restart cannot be undone, a silence simply expires)."""
    args = call.args
    if call.tool == "scale_deployment" and isinstance(changed.get("replicas"), dict):
        before = changed["replicas"].get("from")
        if isinstance(before, int) and before != args.get("replicas"):
            return ToolCall(tool="scale_deployment", args={
                "namespace": args["namespace"], "deployment": args["deployment"],
                "replicas": before})
    if call.tool == "rollback_deployment" and isinstance(changed.get("revision"), dict):
        before = changed["revision"].get("from")
        if isinstance(before, int) and before != changed["revision"].get("to"):
            return ToolCall(tool="rollback_deployment", args={
                "namespace": args["namespace"], "deployment": args["deployment"],
                "revision": before})
    return None
