"""Runbooks for the question: ranked by the index, narrowed by alerts firing on the
linked workload."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import RetrievalHit, Watch
from assistant.planning.entities import LinkedEntities, Linking
from assistant.redaction import Redactor
from assistant.retrieval.live import RunbookLookup
from assistant.steps.state import ThreadState, Update
from assistant.storage import AuditLog
from assistant.verification import alert_concerns
from tools.backend import Backend

RETRIEVAL_K = 3


def retrieve(backend: Backend, index: RunbookLookup, audit: AuditLog, redactor: Redactor,
             thread: str, question: str, alert: dict[str, str],
             entities: LinkedEntities) -> list[RetrievalHit]:
    """The runbooks for the question about ``entities``, audited."""
    alert_names = [alert["alertname"]] if alert.get("alertname") else []
    if not alert_names and entities.deployment:
        # Live telemetry narrows retrieval: alerts firing on the linked workload.
        workload = Watch(namespace=entities.namespace, deployment=entities.deployment)
        alert_names = sorted({
            a.name for a in backend.inventory().alerts
            if a.state == "firing" and alert_concerns(a.labels, a.name, workload)
        })
    elif not alert_names and entities.alertname:
        # A follow-up in a thread about an alert on no workload (a Job's, a node's)
        # is still about that alert: its pages stay the ones to look in.
        alert_names = [entities.alertname]
    hits = index.search(redactor.redact(question), k=RETRIEVAL_K, alert_names=alert_names)
    audit.record("retrieval", actor=None, thread=thread, payload={
        "alert_names": alert_names,
        "hits": [{"id": h.runbook_id, "score": round(h.score, 4),
                  "section": h.section.heading if h.section else None} for h in hits],
    })
    return hits


@dataclass(frozen=True)
class Retrieve:
    backend: Backend
    index: RunbookLookup
    audit: AuditLog
    redactor: Redactor

    def __call__(self, state: ThreadState) -> Update:
        hits = retrieve(self.backend, self.index, self.audit, self.redactor,
                        state["thread_id"], state.get("question") or "",
                        state.get("alert") or {},
                        Linking.model_validate(state["linking"]).entities)
        # Runbook text is data from files; it is stored in checkpoints, so it is redacted.
        return {"hits": [self.redactor.redact_value(h.model_dump(mode="json")) for h in hits]}
