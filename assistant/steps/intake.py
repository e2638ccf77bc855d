"""First step of a question: record it, refuse an unknown asker, link its entities."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.gate import PolicyGate
from assistant.models import Actor
from assistant.planning.entities import LinkedEntities, link_entities
from assistant.policy import roles_of
from assistant.redaction import Redactor
from assistant.steps.state import Atomic, ThreadState, Update, message
from assistant.storage import AuditLog, MessageStore
from tools.backend import Backend


@dataclass(frozen=True)
class Intake:
    gate: PolicyGate
    backend: Backend
    messages: MessageStore
    audit: AuditLog
    redactor: Redactor
    transaction: Atomic

    def __call__(self, state: ThreadState) -> Update:
        actor = Actor.model_validate(state["actor"])
        thread = state["thread_id"]
        question = self.redactor.redact(state.get("question") or "")
        known = bool(roles_of(self.gate.snapshot(), actor))
        now = self.backend.now()
        with self.transaction():
            self.messages.add(thread, actor.user_id, question, now)
            self.audit.append("question", actor=actor.user_id, thread=thread, payload={
                "question": question, "alert": state.get("alert") or {}})
            if not known:
                self.audit.append("denial", actor=actor.user_id, thread=thread,
                                  payload={"reason": "unknown user"})
        fresh: Update = {"new_proposals": [], "linking": None, "plan": None}
        if not known:
            return {**fresh, "known_actor": False, "outbox": [message(
                "notice",
                f"I don't know user {actor.user_id}: no policy role is granted to them, "
                "so I can't look anything up or act for them. Ask an admin to add them "
                "to policies/.")]}
        previous = LinkedEntities.model_validate(state["entities"]) if state.get(
            "entities") else None
        linking = link_entities(question, state.get("alert"), self.backend.inventory(),
                                previous)
        entities = linking.entities if linking.resolved else previous
        return {
            **fresh,
            "known_actor": True,
            "linking": linking.model_dump(mode="json"),
            "entities": entities.model_dump(mode="json") if entities else None,
        }


def after_intake(state: ThreadState) -> str:
    return "retrieve" if state.get("known_actor") else "confirm"
