"""What deriving steps from runbook commands adds to loading runbooks.

Times, over every Markdown runbook under DIR (read and parsed once, before timing): loading
them as opsbot does (parse_runbook: front matter, Markdown parsing and rendering, sections
and, for runbooks without ``steps:``, the derived steps), and the derivation alone on the
already parsed Markdown (commands_in plus derive_steps: what loading pays for it, since it
reuses the parse). Prints median and p95 of ``--runs`` and the share of load time the
derivation takes.

    .venv/bin/python -m evals.bench.runbook_commands_bench [DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from markdown_it import MarkdownIt

from assistant.config import REPO_ROOT
from assistant.retrieval.commands import commands_in, derive_steps
from assistant.retrieval.loading import LoadReport, runbook_files
from assistant.retrieval.markdown import parse_runbook, runbook_body
from evals.bench import timed
from tools.catalog import CATALOG

CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "prometheus-operator-runbooks"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("dir", nargs="?", type=Path, default=CORPUS)
    cli.add_argument("--runs", type=int, default=20)
    args = cli.parse_args()
    files = list(runbook_files([args.dir], LoadReport()))
    parser = MarkdownIt("commonmark")
    parsed = [parser.parse(runbook_body(path, text)) for path, text in files]
    tools = list(CATALOG.values())

    def load() -> None:
        for path, text in files:
            parse_runbook(path, text)

    def derive() -> None:
        for tokens in parsed:
            derive_steps(commands_in(tokens), tools)

    loading, deriving = timed(load, args.runs), timed(derive, args.runs)
    print(f"{len(files)} runbooks from {args.dir}, {args.runs} runs")
    for name, samples in (("load (parse_runbook)", loading), ("derive steps", deriving)):
        print(f"  {name:<22} median {statistics.median(samples) * 1000:8.1f} ms"
              f"   p95 {_p95(samples) * 1000:8.1f} ms")
    share = statistics.median(deriving) / statistics.median(loading)
    print(f"  derivation is {share:.0%} of load time (medians)")


if __name__ == "__main__":
    main()
