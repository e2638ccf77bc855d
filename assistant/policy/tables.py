"""Table-driven policy tests (`policies/tests/*.yaml`), like `opa test`.

A file names the policy it tests (default: the directory above `tests/`), shared default
facts, and cases: who asks, which call, the facts, and the expected outcome and reason ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from assistant.errors import InputError
from assistant.models import Actor, Decision, Facts, Outcome, ToolCall
from assistant.policy.compiled import Policy
from assistant.policy.engine import decide
from assistant.policy.schema import Strict
from assistant.yamlfile import load_yaml_file
from tools.catalog import CATALOG


class TableCall(Strict):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid_args(self) -> TableCall:
        spec = CATALOG.get(self.tool)
        if spec is None:
            raise ValueError(f"unknown tool {self.tool!r}")
        try:
            spec.validate_args(self.args)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"args.{where}: {first['msg']}") from exc
        return self


class Expectation(Strict):
    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)  # rule ids that must all be present
    break_glass: bool | None = None
    approvals_required: int | None = None
    approver_roles: list[str] | None = None


class TableCase(Strict):
    id: str
    user: str = Field(alias="as")
    groups: list[str] = Field(default_factory=list)
    call: TableCall
    facts: Facts
    expect: Expectation

    def actor(self) -> Actor:
        return Actor(user_id=self.user, groups=tuple(self.groups))

    def tool_call(self) -> ToolCall:
        return ToolCall(tool=self.call.tool, args=self.call.args)


class TableFile(Strict):
    policies: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)  # defaults for every case
    cases: list[TableCase]

    @model_validator(mode="before")
    @classmethod
    def _default_facts(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            return data
        defaults = data.get("facts") or {}
        if not isinstance(defaults, dict):
            return data
        cases = [
            {**case, "facts": {**defaults, **(case.get("facts") or {})}}
            if isinstance(case, dict) else case
            for case in data["cases"]
        ]
        return {**data, "cases": cases}


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    decision: Decision
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def check_case(case: TableCase, decision: Decision) -> tuple[str, ...]:
    """What differs from the expectation, as readable lines; empty when it holds."""
    expect, problems = case.expect, []
    if decision.outcome is not expect.outcome:
        problems.append(f"outcome {decision.outcome.value}, expected {expect.outcome.value}")
    got = {r.rule for r in decision.reasons}
    missing = [rule for rule in expect.reasons if rule not in got]
    if missing:
        problems.append(f"missing reasons {missing}; got {sorted(got)}")
    if expect.break_glass is not None and decision.break_glass != expect.break_glass:
        problems.append(f"break_glass {decision.break_glass}, expected {expect.break_glass}")
    if (expect.approvals_required is not None
            and decision.approvals_required != expect.approvals_required):
        problems.append(f"approvals_required {decision.approvals_required}, "
                        f"expected {expect.approvals_required}")
    if (expect.approver_roles is not None
            and sorted(decision.approver_roles) != sorted(expect.approver_roles)):
        problems.append(f"approver_roles {list(decision.approver_roles)}, "
                        f"expected {sorted(expect.approver_roles)}")
    return tuple(problems)


def table_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InputError("no such directory", source=str(directory))
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise InputError("no policy test files (*.yaml)", source=str(directory))
    return files


def policy_dir_for(path: Path, table: TableFile) -> Path:
    if table.policies is None:
        return path.parent.parent
    return (path.parent / table.policies).resolve()


def run_table(path: Path, load: Callable[[Path], Policy]) -> list[CaseResult]:
    """Run one test file; ``load`` maps a policy directory to a compiled policy."""
    table = load_yaml_file(TableFile, path)
    policy = load(policy_dir_for(path, table))
    results = []
    for case in table.cases:
        decision = decide(policy, case.actor(), case.tool_call(), case.facts)
        results.append(CaseResult(case.id, decision, check_case(case, decision)))
    return results
