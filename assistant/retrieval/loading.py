"""Load every runbook under some folders, collecting per-file problems instead of stopping."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import InputError
from assistant.models import Runbook
from assistant.retrieval.markdown import parse_runbook

MAX_FILE_BYTES = 1_000_000
MARKDOWN_SUFFIXES = (".md", ".markdown")
# Files that describe a repository rather than an incident; Hugo's ``_index.md`` is a
# section landing page, not a runbook.
_NOT_RUNBOOKS = frozenset(
    {"_index.md", "readme.md", "source.md", "license.md", "changelog.md", "contributing.md"}
)


@dataclass
class LoadReport:
    runbooks: list[Runbook] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def load_runbooks(dirs: Sequence[Path]) -> LoadReport:
    """Parse every Markdown file under ``dirs`` (folders or single files).

    A missing folder, or no Markdown file at all, is an InputError; a bad file is
    recorded in ``errors`` and the rest still load.
    """
    report = LoadReport()
    seen: dict[str, str] = {}
    for path, text in runbook_files(dirs, report):
        try:
            runbook = parse_runbook(path, text)
        except InputError as exc:
            report.errors.append(exc)
            continue
        if runbook.id in seen:
            report.errors.append(
                InputError(f"duplicate runbook id {runbook.id!r}, already defined in "
                           f"{seen[runbook.id]}", source=str(path))
            )
            continue
        seen[runbook.id] = runbook.path
        report.runbooks.append(runbook)
    return report


def runbook_files(dirs: Sequence[Path], report: LoadReport) -> Iterator[tuple[Path, str]]:
    """Each readable Markdown runbook under ``dirs`` with its text; files skipped are
    warnings in ``report``. No folders, a missing one, or no Markdown file at all is an
    InputError."""
    if not dirs:
        raise InputError("no runbook folders given")
    files = [f for d in dirs for f in _markdown_files(d, report)]
    if not files:
        where = ", ".join(str(d) for d in dirs)
        raise InputError(f"no Markdown runbooks found in {where}")
    for path in files:
        text = _read(path, report)
        if text is not None:
            yield path, text


def _markdown_files(root: Path, report: LoadReport) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError("runbook folder does not exist", source=str(root))
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") for part in relative) or not path.is_file():
            continue
        if path.suffix.lower() not in MARKDOWN_SUFFIXES:
            continue
        if path.name.lower() in _NOT_RUNBOOKS:
            report.warnings.append(f"{path}: skipped, not a runbook (repository or index page)")
            continue
        found.append(path)
    return found


def _read(path: Path, report: LoadReport) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            report.warnings.append(
                f"{path}: skipped, {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit"
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        report.warnings.append(f"{path}: skipped, cannot read: {exc.strerror or exc}")
        return None
    if b"\0" in data:
        report.warnings.append(f"{path}: skipped, binary file")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.warnings.append(f"{path}: skipped, not UTF-8 text")
        return None
