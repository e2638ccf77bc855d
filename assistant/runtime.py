"""Wire the adapters together once, at the edge, and hand them to the engine."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from assistant.config import Settings
from assistant.executor import Executor
from assistant.heartbeat import ClaimEnded, Heartbeat
from assistant.planning.offline import OfflinePlanner, Planner
from assistant.policy.source import FixedPolicy, PolicyChange, PolicyProvider, PolicySource
from assistant.redaction import Redactor
from assistant.redaction_setup import build_redactor, redact_logging
from assistant.retrieval import RunbookIndex, load_runbooks
from assistant.retrieval.embedding import MiniLMEmbedder
from assistant.storage import new_executor_id, open_checkpointer, open_store
from assistant.storage.audit_key import audit_key_for
from assistant.storage.spool import ResultSpool
from tools.sandbox import SandboxBackend

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    backend: Any  # tools.backend.Backend
    policies: PolicyProvider
    store: Any
    index: RunbookIndex
    redactor: Redactor
    executor: Executor
    checkpointer: Any
    save_state: Callable[[], None]
    planner: Planner
    # Claims the start-up ended (runs a crash cut short, results recorded late), for the
    # adapter to tell their threads.
    ended_at_start: list[ClaimEnded]
    heartbeat: Heartbeat  # adapters subscribe to hear of claims later beats end
    # Set when the process starts shutting down: backend waits end at once, a verification
    # stops watching at its next look, the LLM planner makes no further model call.
    shutdown: threading.Event

    @property
    def interrupted(self) -> list[str]:
        """One line per claim the start-up ended, for whoever runs the process."""
        return [ended.notice for ended in self.ended_at_start]

    @property
    def policy(self) -> Any:
        """The policy in force now (files are reloaded when they change)."""
        return self.policies.current()

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def redact_value(self, value: Any) -> Any:
        return self.redactor.redact_value(value)


def _sandbox(settings: Settings, scenario: str, persist: bool) -> tuple[Any, Callable[[], None]]:
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


def _audit_policy_change(store: Any, change: PolicyChange) -> None:
    store.audit.append("policy", actor=None, thread=None, payload={
        "files": list(change.files), "version": change.version,
        "reloaded": change.error is None, "error": change.error})


def build_index(settings: Settings) -> RunbookIndex:
    """Open the persistent index and bring it up to date with the runbook folders.

    Files that fail to load are left out with a warning naming file and line (``opsbot
    index`` prints them too); the rest serve.
    """
    report = load_runbooks(list(settings.runbook_dirs))
    for warning in report.warnings:
        logger.warning("%s", warning)
    for error in report.errors:
        logger.warning("runbook skipped: %s", error)
    index, _ = RunbookIndex.open_synced(settings.index_dir, MiniLMEmbedder(), report.runbooks)
    return index


def choose_planner(settings: Settings, redactor: Redactor,
                   shutdown: threading.Event) -> Planner:
    """The LLM planner when an endpoint is configured, else the offline one."""
    from assistant.planning.llm import LLMSettings, build_llm_planner

    llm = LLMSettings.from_env(settings.env)
    if llm is None:
        return OfflinePlanner()
    return build_llm_planner(llm, redactor.redact, fallback=OfflinePlanner(),
                             stopping=shutdown)


@contextmanager
def open_runtime(
    settings: Settings,
    scenario: str,
    *,
    persist_sandbox: bool = True,
    index: RunbookIndex | None = None,
    backend: Any | None = None,
    planner: Planner | None = None,
    policy: Any | None = None,
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
    on_stage("loading the redaction rules")
    redactor = build_redactor(settings)
    redact_logging(redactor)
    policies: PolicyProvider = (FixedPolicy(policy) if policy is not None
                                else PolicySource(settings.policy_dir))
    save_state: Callable[[], None] = lambda: None  # noqa: E731
    with ExitStack() as stack:
        if backend is None and settings.backend == "kubernetes":
            from tools.real.backend import open_backend, sleep_unless

            on_stage("connecting to the cluster and monitoring")
            backend = stack.enter_context(open_backend(settings.env,
                                                       sleep=sleep_unless(shutdown)))
        elif backend is None:
            backend, save_state = _sandbox(settings, scenario, persist_sandbox)
        on_stage("opening the database")
        store = open_store(settings.db_url, redactor.redact_value, audit_key=audit_key_for(
            settings.audit_key_file, settings.home, create=True),
            wait_seconds=settings.db_wait_seconds)
        stack.callback(store.close)
        store.audit.check_writable()
        policies.listen(lambda change: _audit_policy_change(store, change))
        spool = ResultSpool(settings.spool_dir)
        heartbeat = Heartbeat(store, new_executor_id(), settings.executor_heartbeat_seconds,
                              spool)
        ended_at_start = heartbeat.start()
        stack.callback(heartbeat.close)
        executor_id = heartbeat.executor_id
        checkpointer = stack.enter_context(
            open_checkpointer(settings.db_url, wait_seconds=settings.db_wait_seconds))
        executor = Executor(
            backend=backend,
            policies=policies,
            store=store,
            redact=redactor.redact,
            executor_id=executor_id,
            spool=spool,
            verify_bound_seconds=settings.verify_seconds,
            stopping=shutdown,
        )
        if index is None:
            on_stage("building runbook index")
            index = build_index(settings)
        yield Runtime(
            settings=settings,
            backend=backend,
            policies=policies,
            store=store,
            index=index,
            redactor=redactor,
            executor=executor,
            checkpointer=checkpointer,
            save_state=save_state,
            planner=planner or choose_planner(settings, redactor, shutdown),
            ended_at_start=ended_at_start,
            heartbeat=heartbeat,
            shutdown=shutdown,
        )
