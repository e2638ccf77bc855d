"""Runbooks for the question: ranked by the index, narrowed by alerts firing on the
linked workload."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import Watch
from assistant.planning.entities import Linking
from assistant.redaction import Redactor
from assistant.retrieval.live import RunbookLookup
from assistant.steps.state import ThreadState, Update
from assistant.storage import AuditLog
from assistant.verification import alert_concerns
from tools.backend import Backend

RETRIEVAL_K = 3


@dataclass(frozen=True)
class Retrieve:
    backend: Backend
    index: RunbookLookup
    audit: AuditLog
    redactor: Redactor

    def __call__(self, state: ThreadState) -> Update:
        thread = state["thread_id"]
        alert = state.get("alert") or {}
        alert_names = [alert["alertname"]] if alert.get("alertname") else []
        entities = Linking.model_validate(state["linking"]).entities
        if not alert_names and entities.deployment:
            # Live telemetry narrows retrieval: alerts firing on the linked workload.
            workload = Watch(namespace=entities.namespace, deployment=entities.deployment)
            alert_names = sorted({
                a.name for a in self.backend.inventory().alerts
                if a.state == "firing" and alert_concerns(a.labels, a.name, workload)
            })
        query = state.get("question") or ""
        hits = self.index.search(self.redactor.redact(query), k=RETRIEVAL_K,
                                 alert_names=alert_names)
        self.audit.append("retrieval", actor=None, thread=thread, payload={
            "alert_names": alert_names,
            "hits": [{"id": h.runbook_id, "score": round(h.score, 4),
                      "section": h.section.heading if h.section else None} for h in hits],
        })
        # Runbook text is data from files; it is stored in checkpoints, so it is redacted.
        return {"hits": [self.redactor.redact_value(h.model_dump(mode="json")) for h in hits]}
