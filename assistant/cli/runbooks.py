"""`opsbot runbooks coverage DIR...`: which runbook commands the tool catalog can run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.redaction import Redactor
from assistant.retrieval.coverage import Coverage, measure_coverage
from assistant.retrieval.loading import LoadReport, runbook_files
from assistant.retrieval.markdown import runbook_body
from tools.catalog import CATALOG

UNMAPPED_SHOWN = 25
COMMAND_CHARS = 110


def register(subparsers: argparse._SubParsersAction) -> None:
    runbooks = subparsers.add_parser(
        "runbooks", help="what the runbooks ask for, against the tool catalog",
        description="Inspect Markdown runbooks as opsbot reads them.")
    sub = runbooks.add_subparsers(dest="runbooks_command", required=True)
    coverage = sub.add_parser(
        "coverage", help="the commands runbooks give and how many a tool runs",
        description="List the distinct commands (kubectl, amtool, PromQL ...) in the "
                    "runbooks under DIR, how many of the reads and of the changes map to a "
                    "catalog tool, and the unmapped command forms by frequency.")
    coverage.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    coverage.add_argument("--json", action="store_true", help="print JSON")
    coverage.set_defaults(func=_coverage)


def _coverage(args: argparse.Namespace) -> int:
    report = LoadReport()
    result = measure_coverage(_bodies(args.dirs, report), CATALOG.values())
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    # Runbook text is printed: it passes the redactor like every other egress.
    rows = Redactor().redact_value(_json(result))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print(rows)
    return 1 if report.errors else 0


def _bodies(dirs: list[Path], report: LoadReport) -> Iterator[str]:
    for path, text in runbook_files(dirs, report):
        try:
            yield runbook_body(path, text)
        except InputError as exc:
            report.errors.append(exc)


def _json(result: Coverage) -> dict[str, Any]:
    reads, changes = result.share(reads=True), result.share(reads=False)
    return {
        "runbooks": result.runbooks,
        "runbooks_with_commands": result.with_commands,
        "distinct_commands": len(result.commands),
        "reads": {"mapped": reads.mapped, "total": reads.total,
                  "percent": round(reads.percent, 1)},
        "changes": {"mapped": changes.mapped, "total": changes.total,
                    "percent": round(changes.percent, 1)},
        "commands": [{"command": c.key, "tool": c.tool, "reads": c.reads,
                      "occurrences": c.occurrences, "runbooks": c.runbooks}
                     for c in sorted(result.commands, key=lambda c: (c.tool is None, c.key))],
        "unmapped_forms": [{"form": f, "occurrences": n, "distinct": d}
                           for f, n, d in result.unmapped_forms()],
    }


def _print(rows: dict[str, Any]) -> None:
    print(f"{rows['runbooks']} runbooks, {rows['runbooks_with_commands']} with commands; "
          f"{rows['distinct_commands']} distinct commands")
    for label, key in (("reads", "reads"), ("changes", "changes")):
        share = rows[key]
        print(f"  {label:<8} {share['mapped']:>4} of {share['total']:<4} map to a tool "
              f"({share['percent']:.1f}%)")
    print("\ndistinct commands (tool, or - when none runs it; uses):")
    for c in rows["commands"]:
        kind = "read" if c["reads"] else "change"
        command = c["command"]
        if len(command) > COMMAND_CHARS:
            command = command[: COMMAND_CHARS - 1] + "…"
        print(f"  {c['tool'] or '-':<20} {kind:<6} {c['occurrences']:>3}  {command}")
    forms = rows["unmapped_forms"]
    if forms:
        print("\nunmapped, by frequency (uses, distinct commands):")
        for row in forms[:UNMAPPED_SHOWN]:
            print(f"  {row['occurrences']:>4} {row['distinct']:>3}  {row['form']}")
        if len(forms) > UNMAPPED_SHOWN:
            print(f"  … {len(forms) - UNMAPPED_SHOWN} more forms (--json lists all)")
