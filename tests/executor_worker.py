"""A process that approves and executes one proposal, for tests that kill it mid-way.

    python tests/executor_worker.py PROPOSAL_ID hang|then-wait|watch-hang

The home and database come from the environment (OPSBOT_HOME...). The rollback it runs
prints "running" and then either never returns (``hang``: killed mid-action), or applies
and prints "ran", then waits for a line on stdin before the executor records the result
(``then-wait``: the test takes a database lock first, so the process is killed while
recording), or runs and records at once and then hangs while watching its effect
(``watch-hang``: printed "watching", killed mid-verification).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from assistant.config import Settings
from assistant.executor import Executor
from assistant.gate import PolicyGate
from assistant.heartbeat import Heartbeat
from assistant.models import Actor, Approval, ProposalStatus
from assistant.policy.source import PolicySource
from assistant.storage import new_executor_id, open_store
from assistant.storage.audit_key import audit_key_for
from assistant.storage.spool import ResultSpool
from tools.sandbox import SandboxBackend


def main(pid: str, mode: str) -> None:
    settings = Settings.from_env()
    # The same key as the runtime that wrote the log: a process without it may not append.
    store = open_store(settings.db_url, lambda value: value,
                       audit_key=audit_key_for(settings.audit_key_file, settings.home,
                                               create=True),
                       wait_seconds=settings.db_wait_seconds)
    spool = ResultSpool(settings.spool_dir)
    heartbeat = Heartbeat(store, new_executor_id(), settings.executor_heartbeat_seconds, spool)
    heartbeat.start()
    backend = SandboxBackend.load("checkout-bad-deploy", settings.scenario_dir)
    rollback = backend.rollback_deployment

    def rollback_under_test(args: Any, approved_by: str | None = None) -> Any:
        print("running", flush=True)
        if mode == "hang":
            time.sleep(600)
        out = rollback(args, approved_by=approved_by)
        print("ran", flush=True)
        if mode != "watch-hang":
            sys.stdin.readline()
        return out

    def watch_forever(seconds: float) -> None:
        print("watching", flush=True)
        time.sleep(600)

    backend.rollback_deployment = rollback_under_test  # type: ignore[method-assign]
    proposal = store.proposals.get(pid).proposal
    store.proposals.add_approval(Approval(
        proposal_id=pid, approver=Actor(user_id="U01ALICE"), args_hash=proposal.args_hash,
        approved=True, at=backend.now()))
    store.proposals.set_status(pid, ProposalStatus.APPROVED)
    if mode == "watch-hang":
        backend.wait = watch_forever  # type: ignore[method-assign]
    gate = PolicyGate(PolicySource(settings.policy_dir), backend, store.proposals)
    executor = Executor(backend=backend, gate=gate, store=store,
                        redact=lambda text: text, executor_id=heartbeat.executor_id,
                        spool=spool, verify_bound_seconds=settings.verify_seconds)
    executor.execute(pid)
    executor.verify(pid)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
