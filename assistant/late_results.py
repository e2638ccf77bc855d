"""Results recorded late: actions that ran while the database could not take their result.

The executor keeps such a result in the spool (storage/spool.py). A heartbeat, or the
next start on the same home, records it here: the execution audit event (unless the
executor got that far), the claim's end (executed or failed, which releases the
resource), and a message for the proposal's thread, which an adapter shows with the card
brought up to date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from assistant.answer import describe_result
from assistant.executor import audit_execution
from assistant.storage import Store, StoredProposal
from assistant.storage.spool import ResultSpool, SpooledResult
from assistant.storage.timestamps import utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LateResult:
    stored: StoredProposal
    thread_text: str  # what the proposal's thread is told
    notice: str  # one line for whoever runs the process


def record_spooled(store: Store, spool: ResultSpool) -> list[LateResult]:
    """Record every spooled result nobody is recording now. A database outage stops it: it
    is raised when nothing was recorded yet, else the ones recorded are returned (their
    threads must hear of them) and the rest wait for the next beat."""
    found: list[LateResult] = []

    def record(entry: SpooledResult) -> None:
        result, thread = entry.result, entry.thread_id
        pid = result.proposal_id
        audited = any(e.kind == "execution" and e.payload.get("proposal_id") == pid
                      for e in store.audit.events(thread=thread))
        if not audited:
            audit_execution(store.audit, store.proposals.get(pid).proposal, result)
        if not store.proposals.record_late(pid, result) and audited:
            # Both writes were made; the process died before deleting its spool file, so
            # there is nothing late to tell.
            return
        stored = store.proposals.get(pid)
        text = (f"The result of {stored.proposal.call.render()} ({pid}) could not be recorded "
                "when it ran (the database was unavailable); it is recorded now:\n"
                + describe_result(stored.proposal, result))
        store.messages.add(thread, "opsbot", text, utc_now())
        found.append(LateResult(stored, text, (
            f"recorded late: {stored.proposal.call.render()} ({pid}) in thread {thread} "
            f"-> {result.status.value}")))

    try:
        spool.replay(record)
    except Exception:
        if not found:
            raise
        log.warning("the database failed again after %d late result(s); the rest wait for "
                    "the next beat", len(found), exc_info=True)
    return found
