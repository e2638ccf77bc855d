"""What keeping runbooks in step costs a running opsbot (assistant/retrieval/live.py).

At most once a second, when a question comes, the runbook folders are walked and every
Markdown file stat-ed. This times that walk on the real corpus (/work/shared/corpora, ../
shared from the repo) plus the shipped runbooks, and on a wiki ``--copies`` times its size,
against the policy source's way (reading and hashing every file) in the same process.

    .venv/bin/python -m evals.bench.runbook_reload_bench [--copies 40] [--runs 30]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.retrieval.live import folder_fingerprint
from assistant.retrieval.loading import MARKDOWN_SUFFIXES
from evals.bench import timed

CORPUS = REPO_ROOT.parent / "shared" / "corpora"


def _hashed(folders: Sequence[Path]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(
        (str(p), hashlib.sha256(p.read_bytes()).hexdigest())
        for f in folders for p in f.rglob("*") if p.suffix.lower() in MARKDOWN_SUFFIXES))


def _report(label: str, folders: Sequence[Path], runs: int) -> None:
    files = len(folder_fingerprint(folders))
    stat = timed(lambda: folder_fingerprint(folders), runs)
    hashed = timed(lambda: _hashed(folders), runs)

    def ms(samples: list[float]) -> str:
        p95 = statistics.quantiles(samples, n=20)[-1]
        return f"median {statistics.median(samples) * 1e3:7.2f} ms  p95 {p95 * 1e3:7.2f} ms"

    ratio = statistics.median(hashed) / statistics.median(stat)
    print(f"{label}: {files} files")
    print(f"  stat walk (live.py)        {ms(stat)}")
    print(f"  read + sha256 (policy way) {ms(hashed)}  ({ratio:.1f}x the stat walk)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"the corpus is not here ({CORPUS}); nothing to measure", file=sys.stderr)
        return 1
    real = [REPO_ROOT / "runbooks", CORPUS]
    _report("shipped runbooks + corpus", real, args.runs)
    with tempfile.TemporaryDirectory(prefix="opsbot-reload-bench-") as tmp:
        for n in range(args.copies):
            shutil.copytree(CORPUS, Path(tmp) / f"copy-{n}")
        _report(f"a wiki of {args.copies} corpus copies", [Path(tmp)], args.runs)
    print("checked at most once per CHECK_SECONDS (1 s), or 20x the last walk if longer "
          "(WALK_BUDGET), and outside the search lock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
