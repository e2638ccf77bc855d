"""Verifications whose watching process died, finished by this one.

The action's result was recorded before watching began, so the action stays what it
was (succeeded); only its verification is left open. A heartbeat that finds the watcher
gone takes the watch over and this finishes it on a thread of its own (watching takes
minutes; the lease must keep beating): the verdict against the health recorded before
the action, or, when the environment cannot be read, why it could not be made.

Recording is all this does. Telling the thread (the verdict, and the undo card when the
action made things worse) is the graph's verification step, run by whichever adapter takes
the report (Session.report_verification): the same step the watching process would have
run, so a resumed watch ends in the thread exactly as an uninterrupted one does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from assistant.executor import Executor
from assistant.models import PendingVerification
from assistant.storage import StoredProposal
from tools.backend import ToolFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationResumed:
    stored: StoredProposal
    notice: str  # one line for whoever runs the process


def finish_watch(executor: Executor, pending: PendingVerification) -> VerificationResumed | None:
    """Watch out the rest of ``pending``'s bound and record the verdict, or record that it
    could not be made; None when another executor finished it meanwhile."""
    store = executor.store
    pid, thread = pending.proposal_id, pending.thread_id
    what = f"{pending.call.render()} ({pid})"
    try:
        result = executor.watch(pending)
    except ToolFailure as exc:
        reason = executor.redact(str(exc))
        if not store.verifications.finish(pid, executor.executor_id, executor.backend.now(),
                                          gave_up=reason):
            return None
        store.audit.append("verification_unfinished", actor=executor.executor_id,
                           thread=thread, payload={"proposal_id": pid, "reason": reason})
        notice = f"verification unfinished: {what} in thread {thread}: {reason}"
    else:
        if result is None or result.verification is None:
            return None
        notice = f"verification resumed: {what} in thread {thread} -> " \
                 f"{result.verification.verdict}"
    return VerificationResumed(store.proposals.get(pid), notice)


def resume_in_background(executor: Executor, pending: PendingVerification,
                         tell: Callable[[VerificationResumed], None]) -> None:
    def run() -> None:
        try:
            found = finish_watch(executor, pending)
        except Exception:  # the database may be down; the watch stays open for a later take-over
            log.exception("resuming the verification of %s failed", pending.proposal_id)
            return
        if found is not None:
            tell(found)

    threading.Thread(target=run, name=f"opsbot-verify-{pending.proposal_id}",
                     daemon=True).start()
