"""Wait for a human: expire what is overdue, interrupt while anything awaits confirmation,
and hand the click to the click handler when one comes.

``pending`` survives across turns: whatever path a run takes, it ends here, so a new
question in the thread never drops an open confirmation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langgraph.graph import END
from langgraph.types import interrupt

from assistant.clicks import ClickHandler
from assistant.expiry import expire_overdue
from assistant.models import ProposalStatus
from assistant.redaction import Redactor
from assistant.steps.state import ThreadState, Update, message
from assistant.storage import AuditLog, Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Confirm:
    store: Store
    clock: Callable[[], datetime]  # the environment's, which proposals are stamped with
    click: ClickHandler
    audit: AuditLog
    redactor: Redactor

    def _live_pending(self, state: ThreadState) -> tuple[list[str], list[dict[str, Any]]]:
        pending = state.get("pending", [])
        expired = expire_overdue(self.store, self.clock(), pending)
        notes = [message("notice", e.text, e.stored.proposal.id) for e in expired]
        still = [pid for pid in pending
                 if self.store.proposals.get(pid).status is ProposalStatus.PENDING]
        return still, notes

    def __call__(self, state: ThreadState) -> Update:
        pending, notes = self._live_pending(state)
        if not pending:
            return {"pending": [], "to_execute": None, "outbox": notes}
        request = interrupt({"pending": pending})
        try:
            outcome = self.click(request, pending)
        except Exception as exc:
            # The click must be consumed whatever fails: a resume value left in the
            # checkpoint would be replayed as the next person's click.
            logger.exception("click on %s failed", request.get("proposal_id"))
            text = self.redactor.redact(
                f"Your click on {request.get('proposal_id')} was not applied: {exc}. "
                "Nothing ran; click again.")
            self.audit.append("error", actor=request.get("actor", {}).get("user_id"),
                              thread=state["thread_id"], payload={
                                  "proposal_id": request.get("proposal_id"), "error": text})
            outcome = {"to_execute": None,
                       "outbox": [message("failure", text, request.get("proposal_id"))]}
        return {"pending": pending, **outcome, "outbox": [*notes, *outcome["outbox"]]}


def after_confirm(state: ThreadState) -> str:
    if state.get("to_execute"):
        return "execute"
    return "confirm" if state.get("pending") else END
