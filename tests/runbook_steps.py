"""The typed step one runbook command becomes, for tests of the tools' command forms."""

from __future__ import annotations

from typing import Any

from assistant.retrieval.commands import find_commands, implementing_step
from tools.catalog import CATALOG


def step_of(command: str) -> tuple[str, dict[str, Any]] | None:
    """(tool, args) of the one command in a shell block, or None when no tool runs it."""
    (found,) = find_commands(f"```\n{command}\n```")
    step = implementing_step(found, CATALOG.values())
    return None if step is None else (step.tool, step.args)
