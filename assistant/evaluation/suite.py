"""The eval suite format (DESIGN.md "Eval suite"), loaded with file:line errors.

Extensions to the contract, all optional and compatible:
- suite-level ``as``: the default chat user of every case;
- ``thread``: consecutive cases naming the same thread continue one chat thread in one
  sandbox, in order (follow-up questions);
- ``world``: consecutive cases naming the same world share one sandbox and one store while
  talking in different threads (two responders acting on the same service);
- ``confirm_as``: after the question, this user clicks Confirm on every proposal the case
  created that awaits confirmation; ``hold_execution`` keeps that execution in flight (a
  second replica runs it) until the next case of the world has finished;
- ``injected``: the question carries injected instructions (see evals/README.md, "unsafe");
- ``expect.decision_reason``, ``expect.asks_back``, ``expect.executed``;
- ``expect.answer_not_mentions``: words the answer must not say (not secrets: a miss fails
  the case, it is no leak);
- a ``not_proposes`` entry may be ``{tool, args}``: only proposals of that tool whose args
  match as a subset are forbidden;
- a ``proposes`` entry may say ``contested: true|false``: the proposal is (or is not) kept
  against the evidence, with that evidence on its card.

Errors inside a case name the case id besides the file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.models import Outcome
from assistant.retrieval.evaluation import load_retrieval_suite
from assistant.yamlfile import load_yaml_document, parse_yaml
from tools.catalog import CATALOG

SCENARIO_DIR = REPO_ROOT / "evals" / "scenarios"
DEFAULT_POLICIES = REPO_ROOT / "policies"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _known_tool(name: str) -> str:
    if name not in CATALOG:
        raise ValueError(f"unknown tool {name!r}; known tools: {', '.join(sorted(CATALOG))}")
    return name


class ExpectedCall(_Strict):
    """A tool and the arguments a call of it must have (a subset, recursively)."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    @field_validator("tool")
    @classmethod
    def _tool(cls, value: str) -> str:
        return _known_tool(value)


class ExpectedProposal(ExpectedCall):
    # True: kept only on the asker's order, the evidence against it on its card; False:
    # proposed with no such objection; None: either.
    contested: bool | None = None


class Expect(_Strict):
    runbook: tuple[str, ...] = ()
    proposes: tuple[ExpectedProposal, ...] | None = None  # None: not checked; () = nothing
    # A bare tool name forbids every proposal of it; {tool, args} only the matching ones.
    not_proposes: tuple[ExpectedCall, ...] = ()
    decision: dict[str, Outcome] = Field(default_factory=dict)
    decision_reason: dict[str, str] = Field(default_factory=dict)
    answer_mentions: tuple[str, ...] = ()
    answer_not_mentions: tuple[str, ...] = ()
    never_shows: tuple[str, ...] = ()
    asks_back: bool | None = None
    executed: tuple[str, ...] = ()

    @field_validator("runbook", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("executed")
    @classmethod
    def _tools(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_known_tool(v) for v in value)

    @field_validator("not_proposes", mode="before")
    @classmethod
    def _bare_names(cls, value: Any) -> Any:
        """A bare name is the call of that tool with any arguments."""
        if not isinstance(value, list | tuple):
            return value
        return [{"tool": _known_tool(v)} if isinstance(v, str) else v for v in value]

    @field_validator("decision", "decision_reason")
    @classmethod
    def _tool_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for tool in value:
            _known_tool(tool)
        return value

    @field_validator("never_shows")
    @classmethod
    def _non_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in value):
            raise ValueError("an empty string is in every text; name a real secret")
        return value

    @field_validator("answer_not_mentions")
    @classmethod
    def _non_empty_words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in value):
            raise ValueError("an empty string is in every answer; name the words to avoid")
        return value

    @property
    def acts(self) -> bool:
        """Does the case expect anything beyond retrieval?"""
        return any((self.proposes is not None, self.not_proposes, self.decision,
                    self.decision_reason, self.answer_mentions, self.answer_not_mentions,
                    self.never_shows, self.asks_back is not None, self.executed))


class Case(_Strict):
    id: str = Field(min_length=1)
    as_: str | None = Field(None, alias="as")
    question: str = Field(min_length=1)
    alert: dict[str, str] | None = None
    thread: str | None = None
    world: str | None = None
    confirm_as: str | None = None
    hold_execution: bool = False
    injected: bool = False
    # Incident time that passes in the case's world before the question is asked.
    after_minutes: float = Field(0.0, ge=0.0, le=7 * 24 * 60)
    expect: Expect = Expect()


class SuiteFile(_Strict):
    suite: str = Field(min_length=1)
    scenario: str | None = None
    runbooks: list[str] = Field(default_factory=list)
    policies: str | None = None
    k: int = Field(3, ge=1)
    min_pass: float | None = Field(None, ge=0.0, le=1.0)
    as_: str | None = Field(None, alias="as")
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class Suite:
    """A loaded suite: its file, resolved paths and cases (each with its actor set)."""

    name: str
    path: Path
    scenario: Path | None  # None: measures retrieval only
    runbook_dirs: tuple[Path, ...]
    policy_dir: Path
    k: int
    min_pass: float | None
    cases: tuple[Case, ...]

    @property
    def retrieval_only(self) -> bool:
        return self.scenario is None


class _Problem(Exception):
    """A rule broken at ``loc`` inside the suite document; becomes an InputError there."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _resolve(entry: str, suite_file: Path, field: str) -> Path:
    for base in (suite_file.parent, REPO_ROOT):
        candidate = (base / entry).resolve()
        if candidate.exists():
            return candidate
    raise _Problem((field,), f"{entry!r} exists neither beside the suite nor in the repo")


def _scenario_path(entry: str, suite_file: Path) -> Path:
    by_name = SCENARIO_DIR / f"{entry}.yaml"
    if "/" not in entry and not entry.endswith((".yaml", ".yml")):
        if by_name.exists():
            return by_name
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise _Problem(("scenario",), f"unknown scenario {entry!r}; known: {known}")
    return _resolve(entry, suite_file, "scenario")


def _check_cases(raw: SuiteFile) -> tuple[Case, ...]:
    """Cross-field rules pydantic cannot see, each pointing at the case's line."""

    def fail(i: int, key: str, message: str) -> _Problem:
        return _Problem(("cases", i, key), message)

    seen: set[str] = set()
    closed: set[str] = set()  # worlds whose run of consecutive cases has ended
    previous_world: str | None = None
    cases = []
    for i, case in enumerate(raw.cases):
        if case.id in seen:
            raise fail(i, "id", f"duplicate case id {case.id!r}")
        seen.add(case.id)
        actor = case.as_ or raw.as_
        if actor is None and raw.scenario is not None:
            raise fail(i, "id", "no `as`: name the chat user here or at suite level")
        if raw.scenario is None:
            if not case.expect.runbook:
                raise fail(i, "expect", "a suite without a scenario measures retrieval only: "
                                        "give expect.runbook")
            extra = case.expect.acts or case.thread or case.world or case.confirm_as
            if extra:
                raise fail(i, "expect", "only expect.runbook can be checked without a "
                                        "scenario; add `scenario:` to check actions")
        if case.hold_execution and case.confirm_as is None:
            raise fail(i, "hold_execution", "hold_execution needs confirm_as")
        world = case.world or case.thread
        if world is not None and world != previous_world and world in closed:
            raise fail(i, "world" if case.world else "thread",
                       f"cases of {world!r} must be consecutive")
        if previous_world is not None and world != previous_world:
            closed.add(previous_world)
        if case.hold_execution:
            follower = raw.cases[i + 1] if i + 1 < len(raw.cases) else None
            if follower is None or (follower.world or follower.thread) != world or world is None:
                raise fail(i, "hold_execution", "the execution is held until the next case of "
                                                "the same world: add one after this case")
            if follower.hold_execution:
                raise fail(i + 1, "hold_execution", "the case right after a held execution "
                                                    "cannot hold one too")
        previous_world = world
        cases.append(case.model_copy(update={"as_": actor}))
    return tuple(cases)


def _case_id(data: Any, index: int) -> str | None:
    cases = data.get("cases") if isinstance(data, dict) else None
    case = cases[index] if isinstance(cases, list) and 0 <= index < len(cases) else None
    found = case.get("id") if isinstance(case, dict) else None
    return str(found) if found is not None else None


def _naming_case(error: InputError, path: Path) -> InputError:
    """The error, its message led by the id of the case it is in: a line number alone is
    hard to find again in a file of a hundred cases once it has been edited."""
    index = re.match(r"cases\.(\d+)(\.|$)", error.field or "")
    if index is None:
        return error
    try:
        data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    except (InputError, OSError, UnicodeDecodeError):
        return error  # the YAML itself is broken there (a key given twice): no case to name
    case = _case_id(data, int(index.group(1)))
    if case is None:
        return error
    return InputError(f"case {case!r}: {error.message}", source=error.source, line=error.line,
                      field=error.field)


def load_suite(path: Path) -> Suite:
    """Read and check one suite file; every error is an InputError with file and line, and
    the case id when it is inside a case."""
    try:
        raw, lines = load_yaml_document(SuiteFile, path)
    except InputError as error:
        raise _naming_case(error, path) from error
    try:
        cases = _check_cases(raw)
        scenario = _scenario_path(raw.scenario, path) if raw.scenario else None
        policies = _resolve(raw.policies, path, "policies") if raw.policies \
            else DEFAULT_POLICIES
    except _Problem as problem:
        located = InputError(problem.message, source=str(path),
                             line=lines.line_of(problem.loc),
                             field=".".join(str(p) for p in problem.loc))
        raise _naming_case(located, path) from problem
    return Suite(
        name=raw.suite,
        path=path,
        scenario=scenario,
        runbook_dirs=load_retrieval_suite(path).runbook_dirs,
        policy_dir=policies,
        k=raw.k,
        min_pass=raw.min_pass,
        cases=cases,
    )


def suite_files(targets: Sequence[Path]) -> list[Path]:
    """Suite files named directly or found (``*.yaml``, sorted) in named directories."""
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            files = sorted([*target.glob("*.yaml"), *target.glob("*.yml")])
            if not files:
                raise InputError("no *.yaml suite in this directory", source=str(target))
            found.extend(files)
        elif target.exists():
            found.append(target)
        else:
            raise InputError("no such suite file or directory", source=str(target))
    return found


def load_suites(targets: Iterable[Path]) -> list[Suite]:
    return [load_suite(p) for p in suite_files(list(targets))]
