"""Reads a Dockerfile into stages of instructions, for static checks of the image."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, COPY, USER, ...
    args: str
    line: int

    def exec_form(self) -> list[str]:
        """ENTRYPOINT/CMD arguments, which must be in exec (JSON array) form."""
        value = json.loads(self.args)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"line {self.line}: {self.keyword} is not a JSON array of strings")
        return value


@dataclass
class Stage:
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def instructions(path: Path) -> list[Instruction]:
    """Continuation lines joined; comment lines, also inside a continuation, dropped."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if not continued:
            keyword, _, args = " ".join(pending).partition(" ")
            found.append(Instruction(keyword.upper(), args.strip(), start))
            pending = []
    return found


def stages(path: Path) -> list[Stage]:
    result: list[Stage] = []
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            named = len(words) == 3 and words[1].upper() == "AS"
            result.append(Stage(words[0], words[2] if named else None, instruction.line))
        elif result:
            result[-1].instructions.append(instruction)
    return result


def user_id(stage: Stage) -> int:
    """The numeric uid the stage's last USER names (a name cannot be checked statically
    against runAsNonRoot, so the Dockerfile must use a number)."""
    (*_, last) = stage.all("USER")
    uid = re.fullmatch(r"(\d+)(?::\d+)?", last.args)
    if uid is None:
        raise ValueError(f"line {last.line}: USER {last.args} is not a numeric uid[:gid]")
    return int(uid.group(1))
