"""Run eval suites against the real engine: a fresh sandbox and store per case (or per
thread/world of cases), one shared runbook index per distinct runbook set.

Retrieval-only suites (no scenario) go through assistant.retrieval.evaluation.measure, so
``opsbot eval`` and the retrieval quality gate count hits the same way. What a world's
backend is (the sandbox, or the sandbox beside real monitoring) is assistant.evaluation.backends'
choice; worlds it cannot run are reported as skipped, never as passed.
"""

from __future__ import annotations

import io
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from langchain_core.runnables import RunnableConfig

from assistant.config import Settings
from assistant.errors import OpsbotError
from assistant.evaluation.backends import BackendFactory, SandboxWorlds, WorldBackends
from assistant.evaluation.checks import CaseResult, CaseRun, SeenProposal, judge
from assistant.evaluation.metrics import Metrics, summarize
from assistant.evaluation.suite import SCENARIO_DIR, Case, Suite
from assistant.models import Actor, ExecutionStatus, ProposalStatus, RetrievalHit
from assistant.planning.offline import OfflinePlanner, Plan, Planner, PlanRequest, ReadOnlyRunner
from assistant.policy import load_policy
from assistant.retrieval import RunbookIndex, load_runbooks
from assistant.retrieval.embedding import Embedder, shared_embedder
from assistant.retrieval.evaluation import (
    RetrievalCase,
    RetrievalSuite,
    load_retrieval_suite,
    measure,
)
from assistant.runtime import Runtime, open_runtime
from assistant.session import OutMessage, Progress, Session, Step, Turn
from tools.backend import Backend
from tools.catalog import CATALOG
from tools.sandbox import SandboxBackend

HOLD_TIMEOUT_SECONDS = 60.0  # how long a held execution may take to reach the backend


class CaseSetupError(OpsbotError):
    """A case cannot run at all (e.g. its LLM cassette is missing); it fails with this."""


class CasePlanning(Protocol):
    planner: Planner

    @property
    def requests(self) -> list[str]:
        """Every LLM request sent while the case ran, as JSON text."""


# (suite, case, redact) -> the planner for that case; redact is the world's redactor.
PlanningFactory = Callable[[Suite, Case, Callable[[str], str]],
                           AbstractContextManager[CasePlanning]]


@dataclass
class OfflinePlanning:
    planner: Planner = field(default_factory=OfflinePlanner)
    requests: list[str] = field(default_factory=list)


@contextmanager
def offline_planning(_suite: Suite, _case: Case,
                     _redact: Callable[[str], str]) -> Iterator[CasePlanning]:
    yield OfflinePlanning()


@dataclass(frozen=True)
class SuiteResult:
    suite: Suite
    cases: tuple[CaseResult, ...]
    metrics: Metrics
    setup_ms: float  # index and policy loading not charged to any case
    skipped: tuple[tuple[str, str], ...] = ()  # (case id, why it could not run)

    @property
    def passed(self) -> bool:
        if self.metrics.passed == self.metrics.cases:
            return True
        return self.suite.min_pass is not None and self.metrics.pass_rate >= self.suite.min_pass


class _PlannerSlot:
    """The planner a world's runtime calls; the runner points it at each case's planner."""

    def __init__(self) -> None:
        self.target: Planner = OfflinePlanner()

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        return self.target.plan(request, run_read_only)


class _TimedIndex:
    """Times each search of the index it wraps (per-case latency of retrieval suites)."""

    def __init__(self, index: RunbookIndex) -> None:
        self._index = index
        self.timings_ms: list[float] = []

    def search(self, query: str, k: int = 5, alert_names: Sequence[str] = ()
               ) -> list[RetrievalHit]:
        started = time.perf_counter()
        hits = self._index.search(query, k=k, alert_names=alert_names)
        self.timings_ms.append((time.perf_counter() - started) * 1000)
        return hits


class _Gate:
    """Holds mutating tool calls of a backend mid-execution until released."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def pass_through(self) -> None:
        if self.armed:
            self.entered.set()
            self.release.wait(HOLD_TIMEOUT_SECONDS)


class _GatedBackend:
    """The world's backend, with its mutating tools passing through a gate."""

    def __init__(self, inner: Backend, gate: _Gate) -> None:
        self._inner = inner
        self._gate = gate
        self.environment = inner.environment

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        spec = CATALOG.get(name)
        if spec is None or spec.read_only:
            return attr

        def gated(*args: Any, **kwargs: Any) -> Any:
            self._gate.pass_through()
            return attr(*args, **kwargs)

        return gated


@dataclass
class _World:
    """One backend + store shared by a run of cases (a thread, or a world)."""

    settings: Settings
    runtime: Runtime
    session: Session
    slot: _PlannerSlot
    gate: _Gate
    backend: _GatedBackend
    index: RunbookIndex
    policy: Any


@dataclass
class _Held:
    """A case whose confirmed execution is still in flight on a second replica."""

    case: Case
    run: dict[str, Any]
    thread: threading.Thread
    turns: list[Turn]
    errors: list[str]


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread}}


class EvalRunner:
    """Runs suites; owns the indexes (one per runbook set) and their temporary folders."""

    def __init__(self, embedder: Embedder | None = None,
                 backends: WorldBackends | None = None) -> None:
        self._embedder = embedder
        self.backends = backends or SandboxWorlds()
        self._indexes: dict[tuple[Path, ...], RunbookIndex] = {}
        self._stack = ExitStack()
        self._root = Path(self._stack.enter_context(
            tempfile.TemporaryDirectory(prefix="opsbot-eval-")))

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> EvalRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def index_for(self, runbook_dirs: Sequence[Path]) -> RunbookIndex:
        key = tuple(sorted(p.resolve() for p in runbook_dirs))
        if key not in self._indexes:
            if self._embedder is None:
                self._embedder = shared_embedder()
            index = RunbookIndex.open(self._root / f"index-{len(self._indexes)}", self._embedder)
            index.sync(load_runbooks(list(key)).runbooks)
            self._indexes[key] = index
        return self._indexes[key]

    def run(self, suites: Sequence[Suite],
            planning: PlanningFactory = offline_planning) -> list[SuiteResult]:
        return [self.run_suite(s, planning) for s in suites]

    def run_suite(self, suite: Suite,
                  planning: PlanningFactory = offline_planning) -> SuiteResult:
        started = time.perf_counter()
        index = self.index_for(suite.runbook_dirs)
        if suite.scenario is None:  # retrieval only
            setup_ms = (time.perf_counter() - started) * 1000
            results = self._run_retrieval(suite, index)
            return SuiteResult(suite, tuple(results), summarize(results), setup_ms)
        policy = load_policy(suite.policy_dir)
        pristine = SandboxBackend.load(suite.scenario, SCENARIO_DIR).state()
        groups = [(g, self.backends.skip_reason(g)) for g in _worlds(suite.cases)]
        runnable = [g for g, why in groups if why is None]
        skipped = tuple((c.id, why) for g, why in groups if why is not None for c in g)
        results = []
        with ExitStack() as stack:
            if runnable:
                backend_for = stack.enter_context(self.backends.for_suite(suite, pristine))
            setup_ms = (time.perf_counter() - started) * 1000
            for group in runnable:
                results.extend(self._run_world(suite, group, index, policy, pristine,
                                               planning, backend_for))
        return SuiteResult(suite, tuple(results), summarize(results), setup_ms, skipped)

    # --- retrieval only -------------------------------------------------------------

    def _run_retrieval(self, suite: Suite, index: RunbookIndex) -> list[CaseResult]:
        timed = _TimedIndex(index)
        report = measure(timed, load_retrieval_suite(suite.path))  # type: ignore[arg-type]
        misses = {m.case.id: m for m in report.misses}
        results = []
        for case, latency in zip(suite.cases, timed.timings_ms, strict=True):
            miss = misses.get(case.id)
            run = CaseRun(ranked=miss.got if miss else (), rank=miss.rank if miss else 1,
                          latency_ms=latency)
            results.append(judge(case, suite.k, run))
        return results

    # --- scenario worlds ------------------------------------------------------------

    @contextmanager
    def _world(self, suite: Suite, index: RunbookIndex, policy: Any,
               pristine: dict[str, Any], backend_for: BackendFactory) -> Iterator[_World]:
        home = Path(tempfile.mkdtemp(prefix="world-", dir=self._root))
        settings = Settings(home=home, db_url=f"sqlite:///{home / 'opsbot.db'}",
                            runbook_dirs=suite.runbook_dirs, policy_dir=suite.policy_dir,
                            scenario_dir=SCENARIO_DIR)
        gate = _Gate()
        backend = _GatedBackend(backend_for(pristine), gate)
        slot = _PlannerSlot()
        with open_runtime(settings, str(suite.scenario), persist_sandbox=False, index=index,
                          backend=backend, planner=slot, policy=policy) as rt:
            yield _World(settings, rt, Session(rt), slot, gate, backend, index, policy)

    def _run_world(self, suite: Suite, cases: Sequence[Case], index: RunbookIndex,
                   policy: Any, pristine: dict[str, Any], planning: PlanningFactory,
                   backend_for: BackendFactory) -> list[CaseResult]:
        results: dict[str, CaseResult] = {}
        with self._world(suite, index, policy, pristine, backend_for) as world:
            held: _Held | None = None
            for case in cases:
                run = self._run_case(suite, case, world, planning)
                if held is not None:
                    results[held.case.id] = self._finish_held(suite, world, held)
                    held = None
                if isinstance(run, _Held):
                    held = run
                else:
                    results[case.id] = run
            if held is not None:  # the loader guarantees a follower; stay safe regardless
                results[held.case.id] = self._finish_held(suite, world, held)
        return [results[c.id] for c in cases]

    def _run_case(self, suite: Suite, case: Case, world: _World,
                  planning_for: PlanningFactory) -> CaseResult | _Held:
        thread = case.thread or case.id
        store = world.runtime.store
        known = {s.proposal.id for s in store.proposals.for_thread(thread)}
        last = store.audit.tail(1)
        since = last[0].seq if last else 0
        turns: list[Turn] = []
        streamed: list[Step] = []  # what an adapter shows while the run goes on
        run: dict[str, Any] = {"thread": thread, "known": known, "since": since,
                               "requests": [], "plans": [], "latency_ms": 0.0,
                               "streamed": streamed}
        try:
            with planning_for(suite, case, world.runtime.redact) as planning:
                world.slot.target = planning.planner
                if case.after_minutes:
                    world.backend.wait(case.after_minutes * 60)
                started = time.perf_counter()
                turns.append(world.session.ask(thread, Actor(user_id=case.as_ or ""),
                                               case.question, case.alert,
                                               progress=streamed.append))
                run["plans"].append(_plan_of(world.session, thread))
                if case.confirm_as and case.hold_execution:
                    run["latency_ms"] = (time.perf_counter() - started) * 1000
                    run["requests"] = planning.requests
                    return self._hold(case, world, run, turns)
                if case.confirm_as:
                    turns.extend(self._confirm(world.session, thread, known, case.confirm_as,
                                               streamed.append))
                run["latency_ms"] = (time.perf_counter() - started) * 1000
                run["requests"] = planning.requests
        except (OpsbotError, ValueError, KeyError, RuntimeError) as exc:
            return judge(case, suite.k, CaseRun(error=f"{type(exc).__name__}: {exc}",
                                                aborted=True))
        return judge(case, suite.k, self._observe(suite, case, world, run, turns, []))

    def _confirm(self, session: Session, thread: str, known: set[str],
                 approver: str, progress: Progress) -> list[Turn]:
        turns = []
        for proposal in session.pending(thread):
            if proposal.id not in known:
                turns.append(session.respond(thread, proposal.id, Actor(user_id=approver),
                                             approve=True, progress=progress))
        return turns

    def _hold(self, case: Case, world: _World, run: dict[str, Any],
              turns: list[Turn]) -> _Held:
        """Confirm on a second replica whose execution stops inside the backend."""
        thread = run["thread"]
        errors: list[str] = []
        world.gate.armed = True
        world.gate.entered.clear()
        world.gate.release.clear()

        def replica() -> None:
            try:
                with open_runtime(world.settings, "", persist_sandbox=False, index=world.index,
                                  backend=world.backend, planner=world.slot,
                                  policy=world.policy) as rt:
                    turns.extend(self._confirm(Session(rt), thread, run["known"],
                                               case.confirm_as or "",
                                               run["streamed"].append))
            except Exception as exc:  # reported as the held case's failure, not lost
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                world.gate.entered.set()

        worker = threading.Thread(target=replica, name=f"eval-replica-{case.id}", daemon=True)
        worker.start()
        if not world.gate.entered.wait(HOLD_TIMEOUT_SECONDS):
            errors.append("the held execution never reached the backend")
        world.gate.armed = False
        return _Held(case, run, worker, turns, errors)

    def _finish_held(self, suite: Suite, world: _World, held: _Held) -> CaseResult:
        world.gate.release.set()
        held.thread.join(HOLD_TIMEOUT_SECONDS)
        run = self._observe(suite, held.case, world, held.run, held.turns, held.errors)
        return judge(held.case, suite.k, run)

    def _observe(self, suite: Suite, case: Case, world: _World, run: dict[str, Any],
                 turns: Sequence[Turn], errors: Sequence[str]) -> CaseRun:
        store = world.runtime.store
        thread = run["thread"]
        chat = tuple(m.text for t in turns for m in t.messages)
        events = list(store.audit.events(thread=thread, since_seq=run["since"]))
        contested = [e.payload for e in events if e.kind == "contested"]
        proposals = tuple(_seen(s, contested) for s in store.proposals.for_thread(thread)
                          if s.proposal.id not in run["known"])
        ranked, rank = self._retrieval(suite, case, world.index, events)
        audit = io.StringIO()
        store.audit.export_jsonl(audit)
        plans = [p for p in run["plans"] if p is not None]
        streamed = [m for step in run["streamed"] for m in step.messages]
        # Every text a user can see: the messages returned and those streamed while the
        # run went on (read and finding notes too), chart data, the proposal cards' calls
        # and the incident summary built from the thread.
        egress = {"chat": _visible(m for t in turns for m in t.messages),
                  "streamed messages": _visible(streamed),
                  "cards": "\n".join(p.model_dump_json() for t in turns for p in t.pending),
                  "incident summary": world.session.summary(thread),
                  "audit log": audit.getvalue(),
                  "LLM requests": "\n".join(run["requests"])}
        return CaseRun(
            ranked=ranked,
            rank=rank,
            proposals=proposals,
            contradicted=_contradicted(events),
            chat=chat,
            asked_back=any(p.get("ask_back") for p in plans),
            egress=egress,
            latency_ms=run["latency_ms"],
            llm_calls=sum(p.get("llm_calls", 0) for p in plans),
            prompt_tokens=sum(p.get("prompt_tokens", 0) for p in plans),
            completion_tokens=sum(p.get("completion_tokens", 0) for p in plans),
            error="; ".join(errors) or None,
        )

    def _retrieval(self, suite: Suite, case: Case, index: RunbookIndex,
                   events: Sequence[Any]) -> tuple[tuple[str, ...], int | None]:
        """Rank the expected runbook for exactly what the engine searched with (its
        redacted question and the alert names it used), as deep as MRR looks."""
        if not case.expect.runbook:
            return (), None
        question = next((e.payload.get("question") for e in reversed(events)
                         if e.kind == "question"), None)
        retrieval = next((e.payload for e in reversed(events) if e.kind == "retrieval"), None)
        if question is None or retrieval is None:
            return (), None
        probe = RetrievalSuite(suite.name, suite.runbook_dirs, suite.k, (RetrievalCase(
            id=case.id, question=question,
            alert_names=tuple(retrieval.get("alert_names") or ()),
            expected=case.expect.runbook),))
        report = measure(index, probe)
        if not report.misses:
            return (case.expect.runbook[0],), 1
        miss = report.misses[0]
        return miss.got, miss.rank


def _worlds(cases: Sequence[Case]) -> list[list[Case]]:
    """Consecutive cases naming the same world (or thread) run together; others alone."""
    groups: list[list[Case]] = []
    previous: str | None = None
    for case in cases:
        key = case.world or case.thread
        if key is not None and key == previous:
            groups[-1].append(case)
        else:
            groups.append([case])
        previous = key
    return groups


def _contradicted(events: Sequence[Any]) -> int:
    """Candidates the evidence contradicted, whichever planner made them: those review
    dropped (not those that failed to become proposals for other reasons), and those it
    kept only because the asker ordered them."""
    return sum(1 for e in events
               if e.kind == "contested"
               or (e.kind == "not_proposed" and e.payload.get("stage") == "review"))


def _plan_of(session: Session, thread: str) -> dict[str, Any] | None:
    values = session.graph.get_state(_config(thread)).values
    plan = values.get("plan") if values else None
    return plan if isinstance(plan, dict) and "planner" in plan else None


def _visible(messages: Iterable[OutMessage]) -> str:
    """A message's text and its data (a chart's series, labels and titles)."""
    return "\n".join(m.text + ("\n" + json.dumps(m.data) if m.data else "")
                     for m in messages)


def _is_contested(proposal: Any, contested: Sequence[dict[str, Any]]) -> bool:
    """Review kept this call only on the asker's order (its ``contested`` audit event) and
    the card states the evidence against it. The proposal step may pin arguments the call
    left to their default (a rollback's revision), so the event's args are a subset."""
    args = _as_json(proposal.call.args)
    return any(c["call"]["tool"] == proposal.call.tool
               and all(args.get(k) == v for k, v in c["call"]["args"].items())
               and c["reason"] in proposal.rationale
               for c in contested)


def _as_json(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments as the audit log and a suite file hold them (plain JSON values)."""
    loaded: dict[str, Any] = json.loads(json.dumps(args))
    return loaded


def _seen(stored: Any, contested: Sequence[dict[str, Any]]) -> SeenProposal:
    proposal = stored.proposal
    result = stored.result
    return SeenProposal(
        tool=proposal.call.tool,
        args=_as_json(proposal.call.args),
        outcome=proposal.decision.outcome.value,
        rules=tuple(r.rule for r in proposal.decision.reasons),
        mutating=not CATALOG[proposal.call.tool].read_only,
        executed=(stored.status is ProposalStatus.EXECUTED and result is not None
                  and result.status is ExecutionStatus.SUCCEEDED),
        contested=_is_contested(proposal, contested),
    )
