"""A mutation described before and after it runs: one line from -> to, the details, and
JSON-able facts, rendered the way the sandbox renders its changes."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import ToolOutput
from tools.outputs import Output, changed


@dataclass(frozen=True)
class Change:
    summary: str
    details: tuple[str, ...]
    changed: Output  # the tool's change model: from/to facts
    # Set when the effect is in place already: a preview refuses with this (nothing to
    # approve), while a run succeeds saying so, as a retry after a lost response must.
    unchanged: str | None = None

    def render(self) -> str:
        return "\n".join((self.summary, *(f"  - {d}" for d in self.details)))

    def output(self) -> ToolOutput:
        return ToolOutput(text=self.render(), data=changed(self.changed))
