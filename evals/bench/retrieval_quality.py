"""Retrieval quality of eval suites: hit@1, hit@k, MRR and every miss.

    .venv/bin/python -m evals.bench.retrieval_quality [SUITE.yaml ...] [--index-dir DIR]

Default suite: ../shared/evals/real-runbooks.yaml. Each suite's runbooks are indexed into
a temporary folder (or --index-dir) with the real embedding model, then every case with
``expect.runbook`` is searched exactly as the assistant does (RunbookIndex.search).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.errors import OpsbotError
from assistant.retrieval.embedding import MiniLMEmbedder
from assistant.retrieval.evaluation import QualityReport, load_retrieval_suite, measure
from assistant.retrieval.index import RunbookIndex
from assistant.retrieval.loading import load_runbooks

DEFAULT_SUITE = REPO_ROOT.parent / "shared" / "evals" / "real-runbooks.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", type=Path, default=[DEFAULT_SUITE])
    parser.add_argument("--index-dir", type=Path, help="keep the index here (default: temp)")
    args = parser.parse_args(argv)
    embedder = MiniLMEmbedder()
    try:
        for suite_path in args.suites:
            with tempfile.TemporaryDirectory() as scratch:
                folder = args.index_dir or Path(scratch)
                _run(suite_path, folder, embedder)
    except OpsbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(suite_path: Path, index_dir: Path, embedder: MiniLMEmbedder) -> None:
    suite = load_retrieval_suite(suite_path)
    loaded = load_runbooks(suite.runbook_dirs)
    for problem in (*loaded.warnings, *map(str, loaded.errors)):
        print(f"  note: {problem}")
    index = RunbookIndex.open(index_dir, embedder)
    sync = index.sync(loaded.runbooks)
    started = time.perf_counter()
    report = measure(index, suite)
    per_query_ms = (time.perf_counter() - started) * 1000 / len(suite.cases)
    _print(report, len(loaded.runbooks), sync.chunks_embedded, sync.seconds, per_query_ms)


def _print(report: QualityReport, runbooks: int, chunks: int, build_s: float,
           per_query_ms: float) -> None:
    print(f"suite {report.suite}: {report.cases} cases over {runbooks} runbooks "
          f"({chunks} sections embedded in {build_s:.1f} s)")
    print(f"  hit@1 {report.hit_at_1:.3f}   hit@{report.k} {report.hit_at_k:.3f}   "
          f"MRR {report.mrr:.3f}   mean query {per_query_ms:.1f} ms")
    for miss in report.misses:
        rank = f"rank {miss.rank}" if miss.rank else "not in top 10"
        print(f"  miss {miss.case.id} ({rank}): {miss.case.question!r}")
        print(f"       expected {' | '.join(miss.case.expected)}; got {', '.join(miss.got)}")
    ranks = [m.rank for m in report.misses if m.rank]
    if ranks:
        print(f"  median rank of the misses that were found: {statistics.median(ranks)}")


if __name__ == "__main__":
    sys.exit(main())
