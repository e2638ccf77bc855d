"""Diagnose and plan: evidence reads, findings, the planner's candidates, and the review
that vetoes what the evidence contradicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.analysis import Finding
from assistant.gate import PolicyGate
from assistant.models import Actor, Inventory, RetrievalHit
from assistant.planning.alert_scope import within_thread_alert
from assistant.planning.diagnosis import (
    NAMED_LOOKED_AT,
    OncePerQuestion,
    catalog_for_review,
    diagnose,
    diagnose_actions,
    drafts_for,
    hypotheses_answered,
    neighbours_note,
    troubled_neighbours,
)
from assistant.planning.entities import LinkedEntities, Linking, also_named
from assistant.planning.intent import asks_by, forbids_everything, split_words
from assistant.planning.offline import Planner, PlanRequest, focus_findings
from assistant.planning.orders import with_orders
from assistant.planning.overview import others_in_trouble, overview_subjects
from assistant.planning.relinking import relink
from assistant.planning.review import review
from assistant.planning.silence_asks import with_silence_asks
from assistant.planning.symptoms import Tied, tied_beside
from assistant.planning.unnamed import tied_unnamed, unnamed_note
from assistant.policy import requestable_tools
from assistant.redaction import Redactor
from assistant.retrieval.live import RunbookLookup
from assistant.steps.reads import ReadOnlyRunner
from assistant.steps.retrieve import retrieve
from assistant.steps.state import ProgressSink, ThreadState, Update, message
from assistant.storage import AuditLog, MessageStore
from tools.backend import Backend

HISTORY_MESSAGES = 20  # earlier thread messages a planner sees


class _HeldProgress:
    """Passes progress on to ``tell``, except inside ``with``: then it is held and passed
    on when the block ends."""

    def __init__(self, tell: ProgressSink) -> None:
        self._tell = tell
        self._held: list[tuple[str, dict[str, Any]]] | None = None

    def __call__(self, thread: str, raw: dict[str, Any]) -> None:
        if self._held is None:
            self._tell(thread, raw)
        else:
            self._held.append((thread, raw))

    def __enter__(self) -> None:
        self._held = []

    def __exit__(self, *exc: object) -> None:
        held, self._held = self._held or [], None
        for thread, raw in held:
            self._tell(thread, raw)


@dataclass(frozen=True)
class PlanStep:
    gate: PolicyGate
    backend: Backend
    index: RunbookLookup
    planner: Planner
    messages: MessageStore
    audit: AuditLog
    redactor: Redactor
    tell: ProgressSink

    def __call__(self, state: ThreadState) -> Update:
        actor = Actor.model_validate(state["actor"])
        thread = state["thread_id"]
        hits = tuple(RetrievalHit.model_validate(h) for h in state.get("hits", []))
        question = self.redactor.redact(state.get("question") or "")
        linking = Linking.model_validate(state["linking"])
        inventory = self.backend.inventory()
        held = _HeldProgress(self.tell)
        run = OncePerQuestion(ReadOnlyRunner(self.gate, self.backend, self.audit,
                                             self.redactor, held, actor, thread))
        # The sweep only reads: its tool calls are recorded in one transaction instead of
        # one each, and what it tells the thread waits until they are, so no read is shown
        # before its record exists.
        with held, self.audit.batch():
            relinked = relink(
                linking, question, inventory,
                lambda e: focus_findings(diagnose(e, inventory, self.backend.now(), run)
                                         .findings, e))
            unnamed = tied_unnamed(
                linking, question, inventory,
                lambda e: focus_findings(diagnose(e, inventory, self.backend.now(), run)
                                         .findings, e)) if relinked is None else ()
            if relinked is not None:
                linking = relinked.linking
            elif unnamed:
                linking = Linking(entities=unnamed[0].entities, source="evidence")
            if relinked is not None or unnamed:
                # The runbooks were chosen for the loosely named workload's alerts, or
                # for no workload at all.
                hits = tuple(retrieve(self.backend, self.index, self.audit, self.redactor,
                                      thread, question, state.get("alert") or {},
                                      linking.entities))
            named = (also_named(question, linking.entities, inventory)[:NAMED_LOOKED_AT]
                     if linking.resolved else [])
            # The other parts of the question tied to other workloads are asked about too.
            named = [*named, *(t.entities for t in unnamed[1:])][:NAMED_LOOKED_AT]
            diagnosis = diagnose(linking.entities, inventory, self.backend.now(), run)
            tied = self._tied_beside(question, linking, named, diagnosis.findings, inventory,
                                     run)
            if tied is not None:
                named = [*named, tied.entities]
            about_named = [(other, focus_findings(
                diagnose(other, inventory, self.backend.now(), run).findings, other))
                for other in named]
            # An overview looks into every workload in trouble, as a subject's neighbours.
            looked_at = (overview_subjects(inventory, linking.entities.namespace)
                         if linking.overview else
                         troubled_neighbours(linking.entities, inventory, diagnosis.findings))
            nearby = [finding for other in looked_at
                      if other not in named
                      for finding in focus_findings(
                          diagnose(other, inventory, self.backend.now(), run).findings, other)]
        also = [finding for _, found in about_named for finding in found]
        set_aside = relinked.set_aside if relinked is not None else ()
        for finding in (*diagnosis.findings, *also, *nearby, *set_aside):
            self.tell(thread, message("progress", f"finding: {finding.summary}"))
        request = PlanRequest(
            question=question,
            linking=linking,
            hits=hits,
            runbooks={h.runbook_id: self.index.get(h.runbook_id) for h in hits},
            inventory=inventory,
            allowed_tools=requestable_tools(self.gate.snapshot(), actor,
                                            self.backend.environment),
            history=tuple(m.text for m in self.messages.list(thread))[-HISTORY_MESSAGES:],
            # An overview's "in trouble" must agree with what its diagnoses found.
            findings=(*diagnosis.findings, *nearby) if linking.overview else diagnosis.findings,
        )
        result = self.planner.plan(request, run)
        if result.reasoning:
            self.audit.append("model_reasoning", actor=None, thread=thread,
                              payload={"reasoning": list(result.reasoning)})
        drafted = [cand for other, found in about_named
                   for cand in drafts_for(other, found, inventory)]
        ordered = with_orders(question, linking.entities, (*result.candidates, *drafted),
                              inventory, (*diagnosis.findings, *also, *nearby))
        silences = with_silence_asks(question, ordered.candidates, inventory,
                                     (*diagnosis.findings, *also), actor.user_id)
        scoped = within_thread_alert(silences.candidates, linking.entities)
        with held, self.audit.batch():
            checked = diagnose_actions(scoped, inventory, self.backend.now(), run)
        for finding in checked:
            self.tell(thread, message("progress", f"finding: {finding.summary}"))
        names = {d.name for d in inventory.deployments}
        asked = asks_by(question, names)
        verdict = review(scoped, (*diagnosis.findings, *also, *checked),
                         catalog_for_review(inventory), asked,
                         # The trouble a symptom was tied to clears the subject as a suspect.
                         (*nearby, *(tied.findings if tied is not None else ())),
                         hands_off=forbids_everything(
                             question, names, {d.namespace for d in inventory.deployments}))
        # "stage" tells the evidence's vetoes apart from what the asker's own words set
        # aside (an unclear order, a silence of an instance that fires nothing) and from
        # candidates that could not be built.
        for stage, dropped in (("order", ordered.dropped), ("silence_ask", silences.dropped),
                               ("review", verdict.dropped)):
            for cand, why in dropped:
                self.audit.append("not_proposed", actor=actor.user_id, thread=thread, payload={
                    "call": cand.call.model_dump(mode="json"), "rationale": cand.why,
                    "runbook_id": cand.runbook_id, "runbook_step": cand.step_index,
                    "stage": stage, "reason": self.redactor.redact(why)})
        for cand, why in verdict.contested:
            self.audit.append("contested", actor=actor.user_id, thread=thread, payload={
                "call": cand.call.model_dump(mode="json"), "rationale": cand.why,
                "reason": self.redactor.redact(why)})
        result = result.model_copy(update={
            "candidates": verdict.kept,
            "notes": (*([relinked.note] if relinked is not None else []),
                      *([unnamed_note(unnamed)] if unnamed else []),
                      *([_tied_note(linking, tied)] if tied is not None else []), *result.notes,
                      *ordered.notes, *silences.notes, *verdict.notes,
                      *([] if linking.overview else
                        neighbours_note(linking.entities, diagnosis.findings, nearby)),
                      *others_in_trouble(split_words(question, names).own, linking.loose,
                                         linking.entities, inventory, diagnosis.findings),
                      *hypotheses_answered(linking.entities, diagnosis.findings, asked,
                                           ordered.candidates)),
            "findings": (*focus_findings(diagnosis.findings, linking.entities), *also,
                         *checked, *nearby, *set_aside)})
        update: Update = {"plan": self.redactor.redact_value(result.model_dump(mode="json"))}
        if relinked is not None or unnamed:
            # A follow-up in this thread is about the workload the evidence chose.
            update["entities"] = linking.entities.model_dump(mode="json")
        return update

    def _tied_beside(self, question: str, linking: Linking, named: list[LinkedEntities],
                     findings: Sequence[Finding], inventory: Inventory,
                     run: OncePerQuestion) -> Tied | None:
        """The workload a symptom the subject does not show is about, as one more named."""
        e = linking.entities
        if not linking.resolved or e.deployment is None or len(named) >= NAMED_LOOKED_AT:
            return None
        return tied_beside(
            question, e, focus_findings(findings, e), inventory,
            {(e.namespace or "", e.deployment), *((n.namespace or "", n.deployment or "")
                                                  for n in named)},
            lambda other: focus_findings(
                diagnose(other, inventory, self.backend.now(), run).findings, other))


def _tied_note(linking: Linking, tied: Tied) -> str:
    e = linking.entities
    return (f"{e.namespace}/{e.deployment} does not show the trouble you describe, but "
            f"{tied.because()}, so what they call for is proposed too (policy and an "
            "approver decide)")
