"""`opsbot eval`: run eval suites against the engine, print the numbers, compare reports."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from assistant.config import REPO_ROOT
from assistant.errors import InputError

if TYPE_CHECKING:  # the runner pulls in the whole engine; import it only to run
    from assistant.evaluation import EvalRunner
    from assistant.evaluation.runner import PlanningFactory

DEFAULT_SUITES = REPO_ROOT / "evals" / "suites"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval", help="run eval suites (default: evals/suites) and print their numbers",
        description="Run eval suites against the engine in fresh sandboxes. Exits 1 when a "
                    "case fails (or a suite misses its min_pass), 2 on bad input.",
    )
    p.add_argument("suites", nargs="*", type=Path, metavar="SUITE_OR_DIR",
                   help=f"suite files or directories of them (default: {DEFAULT_SUITES})")
    p.add_argument("--planner", choices=("offline", "llm"), default="offline",
                   help="offline = runbook steps (default); llm = replay LLM cassettes")
    p.add_argument("--record", action="store_true",
                   help="with --planner llm: call the endpoint in OPENAI_* and (re)write the "
                        "cassettes under evals/cassettes/<suite>/<case>.yaml")
    p.add_argument("--cassettes", type=Path, metavar="DIR",
                   help="with --planner llm: the cassette folder to replay from or record "
                        "into (default: evals/cassettes), e.g. to record your own endpoint "
                        "beside the shipped recordings and --compare the two reports")
    p.add_argument("--monitoring", choices=("sandbox", "real"), default="sandbox",
                   help="sandbox = simulated metrics and alerts (default); real = start "
                        "Debian's Prometheus and Alertmanager on loopback, load each "
                        "scenario into them and run the read-only cases against them "
                        "(workloads stay simulated; cases that act or let time pass are "
                        "skipped and counted)")
    p.add_argument("--json", type=Path, metavar="REPORT", help="also write the report as JSON")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"),
                   help="compare two JSON reports instead of running suites")
    p.set_defaults(func=_eval)


def run_eval(targets: Sequence[Path], planning: PlanningFactory, planner: str,
             json_out: Path | None, out: TextIO, runner: EvalRunner | None = None,
             monitoring: str = "sandbox") -> int:
    """Run, print, optionally write JSON; 0 when every suite passes, else 1."""
    from assistant.evaluation import EvalRunner, build_report, load_suites, render
    from assistant.evaluation.backends import world_backends
    from assistant.evaluation.report import report_leaks
    from assistant.redaction import Redactor

    suites = load_suites(targets or [DEFAULT_SUITES])
    owned = runner is None
    active = runner or EvalRunner(backends=world_backends(monitoring))
    try:
        results = active.run(suites, planning)
    finally:
        if owned:
            active.close()
    report = build_report(results, planner, active.backends.name)
    text = render(report)
    leaks = report_leaks(report, results, [text, json.dumps(report)])
    if leaks:
        report["passed"] = False
        report["report_leaks"] = leaks
        text += "\nLEAK in the report itself: " + "; ".join(leaks)
    # Reports are egress too: they pass the redactor even though the checks found nothing.
    redactor = Redactor()
    print(redactor.redact(text), file=out)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(redactor.redact_value(report), indent=2) + "\n",
                            encoding="utf-8")
    return 0 if report["passed"] else 1


def _planning(args: argparse.Namespace) -> PlanningFactory:
    from assistant.evaluation import offline_planning

    if args.planner == "offline":
        for flag, given in (("--record", args.record), ("--cassettes", args.cassettes)):
            if given:
                raise InputError(f"{flag} only applies to --planner llm", field=flag)
        return offline_planning
    from assistant.evaluation.llm_planning import cassette_planning
    from assistant.planning.llm.cassettes import CASSETTE_DIR

    return cassette_planning(record=args.record, cassette_dir=args.cassettes or CASSETTE_DIR,
                             configured=args.opsbot_config.tree.llm)


def _eval(args: argparse.Namespace) -> int:
    if args.compare:
        if args.suites:
            raise InputError("--compare takes two reports and runs no suite", field="--compare")
        from assistant.evaluation import load_report, render_comparison

        old, new = (load_report(p) for p in args.compare)
        text, worse = render_comparison(old, new)
        print(text)
        return 1 if worse else 0
    return run_eval(args.suites, _planning(args), args.planner, args.json, sys.stdout,
                    monitoring=args.monitoring)
