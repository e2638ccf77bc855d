"""Wire the adapters together once, at the edge, and hand them to the engine."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from assistant.config import Settings
from assistant.executor import Executor
from assistant.gate import PolicyGate
from assistant.heartbeat import ClaimEnded, Heartbeat
from assistant.planning.offline import OfflinePlanner, Planner
from assistant.policy import Policy
from assistant.policy.source import FixedPolicy, PolicyChange, PolicyProvider, PolicySource
from assistant.redaction import Redactor
from assistant.redaction_setup import build_redactor, redact_logging
from assistant.resumed_verifications import resume_in_background
from assistant.retrieval import RunbookIndex, load_runbooks
from assistant.retrieval.embedding import shared_embedder
from assistant.retrieval.folders import runbook_folders
from assistant.retrieval.live import LiveRunbookIndex, RunbookLookup, log_problems
from assistant.storage import Store, new_executor_id, open_checkpointer, open_store
from assistant.storage.audit_key import audit_key_for
from assistant.storage.spool import ResultSpool
from assistant.telemetry.audit_metrics import AuditMetrics
from assistant.telemetry.metrics import Metrics
from assistant.telemetry.planner_metrics import MeteredPlanner
from tools.backend import Backend
from tools.sandbox import SandboxBackend

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    backend: Backend
    policies: PolicyProvider
    gate: PolicyGate  # every decision the engine acts on goes through it
    store: Store
    index: RunbookLookup
    redactor: Redactor
    executor: Executor
    checkpointer: BaseCheckpointSaver[str]
    save_state: Callable[[], None]
    planner: Planner
    # Claims the start-up ended (runs a crash cut short, results recorded late), for the
    # adapter to tell their threads.
    ended_at_start: list[ClaimEnded]
    heartbeat: Heartbeat  # adapters subscribe to hear of claims later beats end
    metrics: Metrics  # adapters add their own (Slack errors, queue depth) to the same registry
    # Set when the process starts shutting down: backend waits end at once, a verification
    # stops watching at its next look, the LLM planner makes no further model call.
    shutdown: threading.Event

    @property
    def interrupted(self) -> list[str]:
        """One line per claim the start-up ended, for whoever runs the process."""
        return [ended.notice for ended in self.ended_at_start]

    @property
    def policy(self) -> Policy:
        """The policy in force now (files are reloaded when they change)."""
        return self.policies.current()

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def redact_value(self, value: Any) -> Any:
        return self.redactor.redact_value(value)


def _sandbox(settings: Settings, scenario: str,
             persist: bool) -> tuple[SandboxBackend, Callable[[], None]]:
    """A sandbox whose state outlives the process, so a restart resumes the same world."""
    fresh = SandboxBackend.load(scenario, settings.scenario_dir)
    if not persist:
        return fresh, lambda: None
    state_file = settings.home / "sandbox" / f"{fresh.scenario_name}.json"
    backend = fresh
    if state_file.exists():
        backend = SandboxBackend.from_state(json.loads(state_file.read_text()))

    def save() -> None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(backend.state()))
        tmp.replace(state_file)

    return backend, save


def _audit_policy_change(store: Store, change: PolicyChange) -> None:
    store.audit.append("policy", actor=None, thread=None, payload={
        "files": list(change.files), "version": change.version,
        "reloaded": change.error is None, "error": change.error})


def runbook_folders_of(settings: Settings) -> tuple[Path, ...]:
    """The configured runbook folders and those `opsbot index DIR` added."""
    return runbook_folders(settings.runbook_dirs, settings.home)


def build_index(settings: Settings) -> RunbookIndex:
    """Open the persistent index and bring it up to date with the runbook folders.

    Files that fail to load are left out with a warning naming file and line (``opsbot
    index`` prints them too); the rest serve.
    """
    report = load_runbooks(runbook_folders_of(settings))
    log_problems(report)
    index, _ = RunbookIndex.open_synced(settings.index_dir, shared_embedder(), report.runbooks)
    return index


def live_index(settings: Settings) -> LiveRunbookIndex:
    """``build_index``, then kept in step with the folders while the process runs."""
    return LiveRunbookIndex(build_index(settings), lambda: runbook_folders_of(settings),
                            settings.index_dir)


def choose_planner(settings: Settings, redactor: Redactor,
                   shutdown: threading.Event) -> Planner:
    """The LLM planner when an endpoint is configured, else the offline one."""
    from assistant.planning.llm import build_llm_planner

    llm = settings.config.llm.endpoint()
    if llm is None:
        return OfflinePlanner()
    return build_llm_planner(llm, redactor.redact, fallback=OfflinePlanner(),
                             stopping=shutdown)


def _metered(planner: Planner, metrics: Metrics) -> Planner:
    from assistant.planning.llm import LLMPlanner

    return MeteredPlanner(planner, metrics, uses_llm=isinstance(planner, LLMPlanner))


@contextmanager
def open_runtime(
    settings: Settings,
    scenario: str,
    *,
    persist_sandbox: bool = True,
    index: RunbookLookup | None = None,
    backend: Backend | None = None,
    planner: Planner | None = None,
    policy: Policy | None = None,
    metrics: Metrics | None = None,
    shutdown: threading.Event | None = None,
    on_stage: Callable[[str], None] = logger.info,
) -> Iterator[Runtime]:
    """Everything one process needs, built from settings.

    Callers that run many isolated threads (the eval runner) pass the expensive or
    per-case parts in: a shared index, a fresh sandbox per case, another planner; a
    backend built outside is given ``shutdown`` to end its waits. ``on_stage`` hears
    what the start-up is doing ("building runbook index"), for a probe to report.
    """
    shutdown = shutdown if shutdown is not None else threading.Event()
    settings.home.mkdir(parents=True, exist_ok=True)
    metrics = metrics or Metrics()
    on_stage("loading the redaction rules")
    redactor = build_redactor(
        settings, on_redaction=lambda kind: metrics.redactions.labels(kind=kind).inc())
    redact_logging(redactor)
    policies: PolicyProvider = (FixedPolicy(policy) if policy is not None
                                else PolicySource(settings.policy_dir))
    save_state: Callable[[], None] = lambda: None  # noqa: E731
    with ExitStack() as stack:
        if backend is None and settings.backend == "kubernetes":
            from tools.real.backend import open_backend, sleep_unless

            on_stage("connecting to the cluster and monitoring")
            backend = stack.enter_context(open_backend(settings.config.kubernetes,
                                                       sleep=sleep_unless(shutdown)))
        elif backend is None:
            backend, save_state = _sandbox(settings, scenario, persist_sandbox)
        on_stage("opening the database")
        store = open_store(settings.db_url, redactor.redact_value, audit_key=audit_key_for(
            settings.audit_key_file, settings.home, create=True),
            wait_seconds=settings.db_wait_seconds)
        stack.callback(store.close)
        store.audit.check_writable()
        store.audit.subscribe(AuditMetrics(metrics))
        policies.listen(lambda change: _audit_policy_change(store, change))
        spool = ResultSpool(settings.spool_dir)
        metrics.watch_spool(lambda: len(spool.pending()))
        heartbeat = Heartbeat(store, new_executor_id(), settings.executor_heartbeat_seconds,
                              spool)
        gate = PolicyGate(policies, backend, store.proposals)
        executor = Executor(
            backend=backend,
            gate=gate,
            store=store,
            redact=redactor.redact,
            executor_id=heartbeat.executor_id,
            spool=spool,
            verify_bound_seconds=settings.verify_seconds,
            stopping=shutdown,
        )
        ended_at_start = heartbeat.start(resume=lambda pending: resume_in_background(
            executor, pending, heartbeat.tell))
        stack.callback(heartbeat.close)
        checkpointer = stack.enter_context(
            open_checkpointer(settings.db_url, wait_seconds=settings.db_wait_seconds))
        if index is None:
            on_stage("building runbook index")
            index = live_index(settings)
        yield Runtime(
            settings=settings,
            backend=backend,
            policies=policies,
            gate=gate,
            store=store,
            index=index,
            redactor=redactor,
            executor=executor,
            checkpointer=checkpointer,
            save_state=save_state,
            planner=_metered(planner or choose_planner(settings, redactor, shutdown),
                             metrics),
            ended_at_start=ended_at_start,
            heartbeat=heartbeat,
            metrics=metrics,
            shutdown=shutdown,
        )
