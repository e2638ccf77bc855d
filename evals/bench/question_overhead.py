"""Where one question's time goes: per graph node, in the environment, and in the framework.

Runs the shipped and generalisation eval cases (offline planner, fresh sandbox and SQLite
store per world, as ``opsbot eval`` runs them) and prints, per graph node, the median and
p95 of the time inside the node function; per question (the eval latency column: the ask
plus any confirm clicks), the total, the time inside the backend's tool implementations,
and the framework overhead (total minus tools; the offline planner makes no LLM calls).
The graph machinery column is each graph run minus its nodes: checkpoint writes and reads,
channel updates.

The baseline, timed in this process on the same disk, is the floor any checkpointed
LangGraph engine pays: an empty graph of the same shape (five nodes ending in an
interrupt) on opsbot's SQLite checkpointer; and one synced SQLite commit, the unit most
of the overhead is counted in.

Wall-clock time on a loaded machine measures the machine as much as opsbot, so each
question's process CPU time (every thread's, so background checkpoint writes count) is
reported beside it, against the empty graph's CPU time in the same process: the CPU ratio
is the number to compare between runs.

    .venv/bin/python -m evals.bench.question_overhead [SUITE_OR_DIR ...] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.context import register_configure_hook
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from assistant.evaluation import EvalRunner, load_suites
from assistant.evaluation.backends import BackendFactory, SandboxWorlds
from assistant.evaluation.runner import CasePlanning, OfflinePlanning
from assistant.evaluation.suite import Case, Suite
from assistant.storage import open_checkpointer
from assistant.storage.database import connect_sqlite
from evals.bench import timed
from tools.backend import Backend
from tools.catalog import CATALOG

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SUITES = (REPO / "evals" / "suites", REPO / "evals" / "generalisation")
BASELINE_RUNS = 200
NODES = ("intake", "retrieve", "plan", "policy", "confirm", "execute")
GRAPH_RUN = "LangGraph"  # the name LangGraph gives a compiled graph's own run


@dataclass
class CaseTimes:
    tools_ms: float = 0.0
    tools_cpu_ms: float = 0.0
    cpu_ms: float = 0.0
    graph_ms: float = 0.0
    nodes_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


class Recorder:
    """Collects the timings of the case running now, on the thread that runs it (a held
    execution's second replica runs on another thread and is not part of its latency)."""

    def __init__(self) -> None:
        self.current: CaseTimes | None = None
        self.thread: int | None = None
        self.cases: dict[str, CaseTimes] = {}

    def recording(self) -> CaseTimes | None:
        return self.current if threading.get_ident() == self.thread else None

    @contextmanager
    def case(self, key: str) -> Iterator[None]:
        times = self.current = CaseTimes()
        self.thread = threading.get_ident()
        cpu = time.process_time()
        try:
            yield
        finally:
            times.cpu_ms = (time.process_time() - cpu) * 1000
            self.cases[key] = times
            self.current = self.thread = None


class NodeTimer(BaseCallbackHandler):
    """Times graph runs and the node functions inside them (LangGraph names each node's
    run after the node and tags it with ``langgraph_node``)."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._started: dict[UUID, tuple[str, float]] = {}

    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, *,
                       run_id: UUID, parent_run_id: UUID | None = None,
                       metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        name = kwargs.get("name") or ""
        node = (metadata or {}).get("langgraph_node")
        if parent_run_id is None and name == GRAPH_RUN:
            self._started[run_id] = (GRAPH_RUN, time.perf_counter())
        elif name in NODES and name == node:
            self._started[run_id] = (name, time.perf_counter())

    def _end(self, run_id: UUID) -> None:
        started = self._started.pop(run_id, None)
        times = self._recorder.recording()
        if started is None or times is None:
            return
        name, at = started
        ms = (time.perf_counter() - at) * 1000
        if name == GRAPH_RUN:
            times.graph_ms += ms
        else:
            times.nodes_ms[name].append(ms)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id)  # an interrupt ends the confirm node (and the run) this way


class TimedBackend:
    """A world's backend whose tool implementations (catalog tools) are timed."""

    def __init__(self, inner: Backend, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self.environment = inner.environment
        self.kind = inner.kind

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in CATALOG:
            return attr

        def tool(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return attr(*args, **kwargs)
            finally:
                times = self._recorder.recording()
                if times is not None:
                    times.tools_ms += (time.perf_counter() - started) * 1000
                    times.tools_cpu_ms += (time.process_time() - cpu) * 1000

        return tool


class TimedWorlds(SandboxWorlds):
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    @contextmanager
    def for_suite(self, suite: Suite, pristine: dict[str, Any]) -> Iterator[BackendFactory]:
        with super().for_suite(suite, pristine) as factory:
            yield lambda state: TimedBackend(factory(state), self._recorder)  # type: ignore[return-value]


def case_key(suite: Suite, case_id: str) -> str:
    return f"{suite.name}/{case_id}"


def recorded_planning(recorder: Recorder) -> Callable[..., Any]:
    @contextmanager
    def planning(suite: Suite, case: Case, _redact: Callable[[str], str]
                 ) -> Iterator[CasePlanning]:
        with recorder.case(case_key(suite, case.id)):
            yield OfflinePlanning()

    return planning


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(label: str, values: Sequence[float]) -> str:
    if not values:
        return f"  {label:<34}{'-':>7}"
    return (f"  {label:<34}{len(values):>7}{statistics.median(values):>10.1f}"
            f"{pct(values, 0.95):>10.1f}")


class Steps(TypedDict, total=False):
    n: int


def empty_graph_ms(runs: int) -> tuple[list[float], list[float]]:
    """The same node sequence doing nothing, each run a new thread ending in an interrupt:
    the wall and the process CPU milliseconds of each run."""
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp, \
            open_checkpointer(f"sqlite:///{Path(tmp) / 'floor.db'}") as saver:
        builder = StateGraph(Steps)
        names = NODES[:4]
        for name in names:
            builder.add_node(name, lambda s: {"n": s.get("n", 0) + 1})
        builder.add_node("confirm", lambda s: interrupt({"pending": s.get("n")}))
        builder.add_edge(START, names[0])
        for a, b in zip((*names, "confirm"), (*names[1:], "confirm", END), strict=True):
            builder.add_edge(a, b)
        graph = builder.compile(checkpointer=saver)
        wall, cpu = [], []
        for _ in range(runs):
            started, used = time.perf_counter(), time.process_time()
            list(graph.stream({"n": 0}, {"configurable": {"thread_id": uuid.uuid4().hex}},
                              stream_mode="updates"))
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        return wall, cpu


def synced_commit_ms(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        conn = connect_sqlite(str(Path(tmp) / "commit.db"))
        try:
            conn.execute("CREATE TABLE t (v TEXT)")

            def commit() -> None:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t VALUES (?)", ("x" * 200,))
                conn.execute("COMMIT")

            return [s * 1000 for s in timed(commit, runs)]
        finally:
            conn.close()


def profile_lines(profile: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(r"assistant|tools|sqlite3|checkpoint", top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", type=Path, default=list(DEFAULT_SUITES))
    parser.add_argument("--profile", action="store_true",
                        help="also print where the time goes (cProfile, main thread)")
    parser.add_argument("--top", type=int, default=30, help="with --profile: rows shown")
    opts = parser.parse_args(argv)

    recorder = Recorder()
    hook: ContextVar[NodeTimer | None] = ContextVar("opsbot_bench_node_timer", default=None)
    register_configure_hook(hook, True)
    hook.set(NodeTimer(recorder))
    suites = load_suites(opts.targets)
    profile = cProfile.Profile()
    with EvalRunner(backends=TimedWorlds(recorder)) as runner:
        for suite in suites:  # builds the indexes (and warms the embedder) untimed
            runner.index_for(suite.runbook_dirs)
        started = time.perf_counter()
        if opts.profile:
            profile.enable()
        results = runner.run(suites, recorded_planning(recorder))
        if opts.profile:
            profile.disable()
        wall = time.perf_counter() - started

    totals, tools, overhead, graph, outside = [], [], [], [], []
    cpu_totals, cpu_overhead = [], []
    nodes: dict[str, list[float]] = defaultdict(list)
    failed = 0
    for result in results:
        for case in result.cases:
            times = recorder.cases.get(case_key(result.suite, case.id))
            if times is None:
                continue  # a retrieval-only case runs no graph
            failed += not case.passed
            totals.append(case.latency_ms)
            tools.append(times.tools_ms)
            overhead.append(case.latency_ms - times.tools_ms)
            cpu_totals.append(times.cpu_ms)
            cpu_overhead.append(times.cpu_ms - times.tools_cpu_ms)
            node_sum = sum(sum(v) for v in times.nodes_ms.values())
            graph.append(times.graph_ms - node_sum)
            outside.append(case.latency_ms - times.graph_ms)
            for name, values in times.nodes_ms.items():
                nodes[name].extend(values)

    floor, floor_cpu = empty_graph_ms(BASELINE_RUNS)
    commit = synced_commit_ms(BASELINE_RUNS)
    print(f"{len(totals)} questions from {len(suites)} suites in {wall:.1f} s "
          f"(offline planner: no LLM time); {failed} failed")
    print(f"  {'per node (ms, node function only)':<34}{'runs':>7}{'median':>10}{'p95':>10}")
    for name in NODES:
        print(row(name, nodes.get(name, [])))
    print(f"  {'per question (ms)':<34}{'n':>7}{'median':>10}{'p95':>10}")
    print(row("total (eval latency)", totals))
    print(row("inside tool implementations", tools))
    print(row("framework overhead", overhead))
    print(row("  graph machinery (checkpoints)", graph))
    print(row("  session, outside graph runs", outside))
    print(f"  {'per question, process CPU (ms)':<34}{'n':>7}{'median':>10}{'p95':>10}")
    print(row("CPU total", cpu_totals))
    print(row("CPU framework overhead", cpu_overhead))
    print(f"  {'baseline, same process (ms)':<34}{'runs':>7}{'median':>10}{'p95':>10}")
    print(row("empty 5-node graph to interrupt", floor))
    print(row("  its process CPU", floor_cpu))
    print(row("one synced SQLite commit", commit))
    over = statistics.median(overhead)
    print(f"framework overhead p50 {over:.1f} ms = {over / statistics.median(floor):.1f}x the "
          f"empty graph = {over / statistics.median(commit):.0f} synced commits; "
          f"target <= 30 ms: {'met' if over <= 30 else 'MISSED'}")
    cpu_over = statistics.median(cpu_overhead)
    print(f"CPU overhead p50 {cpu_over:.1f} ms, p95 {pct(cpu_overhead, 0.95):.1f} ms = "
          f"{cpu_over / statistics.median(floor_cpu):.2f}x the empty graph's CPU")
    if opts.profile:
        print(profile_lines(profile, opts.top))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
