"""How much of a runbook collection's commands the tool catalog can run. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.models import ToolSpec
from assistant.retrieval.commands import FoundCommand, find_commands, implementing_step


@dataclass(frozen=True)
class CommandUse:
    """One distinct command, however often and wherever the runbooks give it."""

    key: str
    text: str  # its first spelling
    form: str
    reads: bool
    tool: str | None
    occurrences: int
    runbooks: int


@dataclass(frozen=True)
class Share:
    mapped: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.mapped / self.total if self.total else 0.0


@dataclass(frozen=True)
class Coverage:
    runbooks: int
    with_commands: int
    commands: tuple[CommandUse, ...]

    def share(self, reads: bool) -> Share:
        kind = [c for c in self.commands if c.reads is reads]
        return Share(sum(c.tool is not None for c in kind), len(kind))

    def unmapped_forms(self) -> list[tuple[str, int, int]]:
        """(form, occurrences, distinct commands) of what no tool runs, most frequent first."""
        occurrences: Counter[str] = Counter()
        distinct: Counter[str] = Counter()
        for c in self.commands:
            if c.tool is None:
                occurrences[c.form] += c.occurrences
                distinct[c.form] += 1
        return sorted(((f, n, distinct[f]) for f, n in occurrences.items()),
                      key=lambda row: (-row[1], row[0]))


def measure_coverage(bodies: Iterable[str], tools: Iterable[ToolSpec]) -> Coverage:
    """``bodies``: each runbook's Markdown body (front matter removed)."""
    specs = list(tools)
    first: dict[str, FoundCommand] = {}
    occurrences: Counter[str] = Counter()
    runbooks: Counter[str] = Counter()
    count = with_commands = 0
    for body in bodies:
        count += 1
        found = find_commands(body)
        with_commands += bool(found)
        for command in found:
            first.setdefault(command.key, command)
            occurrences[command.key] += 1
        runbooks.update({c.key for c in found})
    uses = []
    for key, command in first.items():
        step = implementing_step(command, specs)
        reads = command.reads if step is None else _reads(step.tool, specs)
        uses.append(CommandUse(key=key, text=command.text, form=command.form, reads=reads,
                               tool=step.tool if step else None,
                               occurrences=occurrences[key], runbooks=runbooks[key]))
    return Coverage(runbooks=count, with_commands=with_commands, commands=tuple(uses))


def _reads(tool: str, specs: list[ToolSpec]) -> bool:
    return next(s.read_only for s in specs if s.name == tool)
