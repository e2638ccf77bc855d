"""What happens to a click that changes nothing: the one place it is recorded."""

from __future__ import annotations

from assistant.models import Actor
from assistant.storage import AuditLog


def record_refused_click(audit: AuditLog, actor: Actor, thread: str, proposal_id: str,
                         text: str) -> None:
    """Audit a Confirm or Deny that was refused; ``text`` is already redacted."""
    audit.append("denial", actor=actor.user_id, thread=thread, payload={
        "proposal_id": proposal_id, "refused_click": True, "reasons": text})
