"""Retrieval quality of an eval suite: hit@1, hit@k and MRR over its `expect.runbook` cases.

Reads the suite format of DESIGN.md and ignores the keys that other parts of an eval
(scenario, proposals, decisions) use, so any suite can be measured for retrieval alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.retrieval.index import RunbookIndex
from assistant.yamlfile import load_yaml_file

# Depth searched for the reciprocal rank, so a miss at k still counts for something.
MRR_DEPTH = 10


class _Expect(BaseModel):
    model_config = ConfigDict(extra="ignore")

    runbook: list[str] = []

    @field_validator("runbook", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class _Case(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    alert: dict[str, str] | None = None
    expect: _Expect = _Expect()


class _Suite(BaseModel):
    model_config = ConfigDict(extra="ignore")

    suite: str
    runbooks: list[str] = []
    k: int = Field(3, ge=1)
    cases: list[_Case] = Field(min_length=1)


@dataclass(frozen=True)
class RetrievalCase:
    id: str
    question: str
    alert_names: tuple[str, ...]
    expected: tuple[str, ...]


@dataclass(frozen=True)
class RetrievalSuite:
    name: str
    runbook_dirs: tuple[Path, ...]
    k: int
    cases: tuple[RetrievalCase, ...]


@dataclass(frozen=True)
class Miss:
    case: RetrievalCase
    rank: int | None  # 1-based rank of the first expected runbook, None if not in the depth
    got: tuple[str, ...]


@dataclass(frozen=True)
class QualityReport:
    suite: str
    k: int
    cases: int
    hit_at_1: float
    hit_at_k: float
    mrr: float
    misses: tuple[Miss, ...]  # every case whose expected runbook was not first


def load_retrieval_suite(path: Path) -> RetrievalSuite:
    """The suite's retrieval cases; `runbooks` paths are relative to the file or the repo."""
    suite = load_yaml_file(_Suite, path)
    dirs = tuple(_resolve(entry, path) for entry in suite.runbooks) or (REPO_ROOT / "runbooks",)
    cases = tuple(
        RetrievalCase(
            id=c.id,
            question=c.question,
            alert_names=(c.alert["alertname"],) if c.alert and "alertname" in c.alert else (),
            expected=tuple(c.expect.runbook),
        )
        for c in suite.cases
        if c.expect.runbook
    )
    return RetrievalSuite(suite.suite, dirs, suite.k, cases)


def _resolve(entry: str, suite_file: Path) -> Path:
    beside = (suite_file.parent / entry).resolve()
    if beside.exists():
        return beside
    from_root = (REPO_ROOT / entry).resolve()
    if from_root.exists():
        return from_root
    raise InputError(f"runbook path {entry!r} exists neither beside the suite nor in the repo",
                     source=str(suite_file), field="runbooks")


def measure(index: RunbookIndex, suite: RetrievalSuite) -> QualityReport:
    if not suite.cases:
        raise InputError(f"suite {suite.name!r} has no case with expect.runbook")
    first = at_k = reciprocal = 0.0
    misses = []
    for case in suite.cases:
        hits = index.search(case.question, k=max(suite.k, MRR_DEPTH),
                            alert_names=case.alert_names)
        got = tuple(h.runbook_id for h in hits)
        rank = next((i + 1 for i, rid in enumerate(got) if rid in case.expected), None)
        first += rank == 1
        at_k += rank is not None and rank <= suite.k
        reciprocal += 1 / rank if rank else 0.0
        if rank != 1:
            misses.append(Miss(case, rank, got[: suite.k]))
    n = len(suite.cases)
    return QualityReport(suite.name, suite.k, n, first / n, at_k / n, reciprocal / n,
                         tuple(misses))
