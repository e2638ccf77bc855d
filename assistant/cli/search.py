"""`opsbot index` and `opsbot search`: build the runbook index and query it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from assistant.config import Settings
from assistant.errors import InputError
from assistant.redaction import Redactor
from assistant.retrieval.folders import IndexedFolders, runbook_folders
from assistant.retrieval.index import Progress
from assistant.retrieval.loading import LoadReport, load_runbooks
from assistant.retrieval.snippet import snippet


def register(subparsers: argparse._SubParsersAction) -> None:
    index = subparsers.add_parser(
        "index", help="index runbooks (re-embeds only what changed)",
        description="Bring the index up to date with runbooks/, $OPSBOT_RUNBOOKS and every "
                    "folder added here before. DIR is added to that list, kept under "
                    "OPSBOT_HOME, so later commands and running servers answer from it too.",
    )
    index.add_argument("dirs", nargs="*", type=Path, metavar="DIR",
                       help="a runbook folder to add")
    index.add_argument("--forget", nargs="+", type=Path, default=[], metavar="DIR",
                       help="stop indexing these folders added earlier")
    index.set_defaults(func=_index)

    search = subparsers.add_parser("search", help="find the runbooks that answer a question")
    search.add_argument("question")
    search.add_argument("--k", type=int, default=5, help="how many runbooks (default 5)")
    search.add_argument("--alert", action="append", default=[], metavar="NAME",
                        help="name of a firing alert; its runbook comes first (repeatable)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(func=_search)


def _index(args: argparse.Namespace) -> int:
    settings = Settings.from_config(args.opsbot_config.tree)
    added = IndexedFolders(settings.home)
    kept = runbook_folders(settings.runbook_dirs, settings.home)
    forgotten = {f.expanduser().resolve() for f in args.forget}
    dirs = tuple(f for f in dict.fromkeys((*kept, *(d.expanduser().resolve()
                                                    for d in args.dirs)))
                 if f not in forgotten)
    report = load_runbooks(dirs)  # a missing folder stops here, before it is recorded
    if args.forget:
        added.forget(args.forget)
    if args.dirs:
        added.add(args.dirs)
    from assistant.retrieval.embedding import shared_embedder
    from assistant.retrieval.index import RunbookIndex

    _, sync = RunbookIndex.open_synced(settings.index_dir, shared_embedder(), report.runbooks,
                                       terminal_progress(sys.stderr))
    print(f"indexed {len(report.runbooks)} runbooks from {', '.join(map(str, dirs))} "
          f"into {settings.index_dir}")
    rebuilt = " (rebuilt: embedding model or chunking changed)" if sync.rebuilt else ""
    print(f"added {sync.added}, updated {sync.updated}, removed {sync.removed}, "
          f"unchanged {sync.unchanged}; {sync.chunks_embedded} sections embedded "
          f"in {sync.seconds:.1f} s{rebuilt}")
    if args.dirs or args.forget:
        print(f"indexed folders kept in {added.path}")
    _print_problems(report)
    return 1 if report.errors else 0


def terminal_progress(stream: TextIO) -> Progress | None:
    """Embedding progress on one rewritten line, when ``stream`` is a terminal (a log
    file or a pipe gets only the summary)."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        stream.write(f"\rembedding sections: {done:,}/{total:,} ({100 * done // total}%){end}")
        stream.flush()

    return show


def _print_problems(report: LoadReport) -> None:
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)


def _search(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise InputError("must be at least 1", field="--k")
    settings = Settings.from_config(args.opsbot_config.tree)
    from assistant.retrieval.embedding import shared_embedder
    from assistant.retrieval.index import RunbookIndex
    from assistant.retrieval.lock import sync_lock

    # Opening a folder without a manifest (a first build, or a rebuild, still running in
    # another process) empties it, so search opens as the one process syncing.
    with sync_lock(settings.index_dir):
        index = RunbookIndex.open(settings.index_dir, shared_embedder())
        if index.is_empty:
            report = load_runbooks(runbook_folders(settings.runbook_dirs, settings.home))
            _print_problems(report)
            sync = index.sync(report.runbooks)
            print(f"(indexed {sync.added} runbooks first)", file=sys.stderr)
    hits = index.search(args.question, k=args.k, alert_names=args.alert)
    rows = [
        {
            "rank": rank,
            "runbook": hit.runbook_id,
            "title": hit.title,
            "score": round(hit.score, 4),
            "section": hit.section.heading if hit.section else None,
            "snippet": snippet(hit.section.text, args.question) if hit.section else "",
            "path": hit.path,
        }
        for rank, hit in enumerate(hits, start=1)
    ]
    # Runbook text is printed: it passes the redactor like every other egress.
    rows = Redactor().redact_value(rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_rows(rows)
    return 0


def _print_rows(rows: Sequence[dict]) -> None:
    if not rows:
        print("no runbooks indexed")
    for row in rows:
        section = f" — {row['section']}" if row["section"] else ""
        print(f"{row['rank']}. {row['runbook']} ({row['score']:.3f}) {row['title']}{section}")
        if row["snippet"]:
            print(f"   {row['snippet']}")
