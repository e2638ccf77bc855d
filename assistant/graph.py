"""The per-thread LangGraph graph: intake -> retrieve -> plan -> policy -> confirm -> execute.

State holds only JSON-able values so any checkpointer (SQLite, Postgres) can persist it and
any replica can resume it. ``pending`` survives across turns: whatever path a run takes, it
ends in ``confirm``, which interrupts while anything awaits a human, so a new question in
the thread never drops an open confirmation.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from assistant.answer import compose_answer, describe_result, describe_verification
from assistant.clicks import record_refused_click
from assistant.expiry import expire_overdue
from assistant.facts import estimate_blast_radius, resource_key
from assistant.models import (
    Actor,
    Approval,
    Chart,
    ChartMessage,
    ExecutionStatus,
    Outcome,
    Proposal,
    ProposalStatus,
    Reason,
    RetrievalHit,
    ToolCall,
    Watch,
)
from assistant.planning.candidates import CANDIDATE_FAILURES, not_proposed_note
from assistant.planning.diagnosis import OncePerQuestion, catalog_for_review, diagnose
from assistant.planning.entities import LinkedEntities, Linking, link_entities
from assistant.planning.intent import asks_by
from assistant.planning.offline import Observation, Plan, PlanRequest, focus_findings
from assistant.planning.review import review
from assistant.policy import requestable_tools, roles_of
from assistant.runtime import Runtime
from assistant.verification import alert_concerns
from tools.backend import ToolFailure, preview_call, run_tool
from tools.catalog import get_tool

RETRIEVAL_K = 3
logger = logging.getLogger(__name__)
HISTORY_MESSAGES = 20  # earlier thread messages a planner sees


class ThreadState(TypedDict, total=False):
    thread_id: str
    question: str | None
    actor: dict[str, Any] | None
    alert: dict[str, str] | None
    entities: dict[str, Any] | None  # carried across turns for follow-up questions
    hits: list[dict[str, Any]]
    plan: dict[str, Any] | None
    new_proposals: list[str]
    pending: list[str]
    to_execute: str | None
    to_verify: str | None  # executed; its verification is the next step
    # The messages of the latest step only: the Session hands each step's out as it
    # finishes, so the checkpoint never accumulates a thread's history (charts included).
    outbox: list[dict[str, Any]]


def _explain(reasons: Sequence[Reason]) -> str:
    return "; ".join(r.render() for r in reasons)


def message(kind: str, text: str, proposal_id: str | None = None,
            data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "proposal_id": proposal_id, "data": data}


def charts_of(obs: Observation) -> Chart | None:
    spec = get_tool(obs.call.tool)
    if not obs.ok or spec.chart is None:
        return None
    return spec.chart(spec.validate_args(obs.call.args), spec.read_output(obs.data))


def chart_messages(observations: Sequence[Observation], action_at: str | None = None,
                   proposal_id: str | None = None) -> list[dict[str, Any]]:
    """One chart per observation whose tool draws one (a metric query); adapters draw it
    (PNG file, Slack upload)."""
    charts = [chart for chart in map(charts_of, observations) if chart is not None]
    return [message("chart", chart.title, proposal_id,
                    ChartMessage(series=chart.series, action_at=action_at).model_dump(
                        mode="json"))
            for chart in charts]


# Told a transient note (a read, a finding) of a thread's run while the run goes on.
ProgressSink = Callable[[str, dict[str, Any]], None]


def build_graph(rt: Runtime, checkpointer: Any, tell: ProgressSink) -> Any:
    def audit(kind: str, actor: str | None, thread: str, payload: dict[str, Any]) -> None:
        rt.store.audit.append(kind, actor=actor, thread=thread, payload=payload)

    def intake(state: ThreadState) -> dict[str, Any]:
        actor = Actor.model_validate(state["actor"])
        thread = state["thread_id"]
        question = rt.redact(state.get("question") or "")
        rt.store.messages.add(thread, actor.user_id, question, rt.backend.now())
        audit("question", actor.user_id, thread, {"question": question,
                                                  "alert": state.get("alert") or {}})
        if not roles_of(rt.gate.snapshot(), actor):
            audit("denial", actor.user_id, thread, {"reason": "unknown user"})
            return {"plan": None, "new_proposals": [], "outbox": [message(
                "notice",
                f"I don't know user {actor.user_id}: no policy role is granted to them, "
                "so I can't look anything up or act for them. Ask an admin to add them "
                "to policies/.")]}
        previous = LinkedEntities.model_validate(state["entities"]) if state.get(
            "entities") else None
        linking = link_entities(question, state.get("alert"), rt.backend.inventory(), previous)
        entities = linking.entities if linking.resolved else previous
        return {
            "plan": {"linking": linking.model_dump(mode="json")},
            "entities": entities.model_dump(mode="json") if entities else None,
            "new_proposals": [],
        }

    def after_intake(state: ThreadState) -> str:
        return "retrieve" if state.get("plan") is not None else "confirm"

    def retrieve(state: ThreadState) -> dict[str, Any]:
        thread = state["thread_id"]
        alert = state.get("alert") or {}
        alert_names = [alert["alertname"]] if alert.get("alertname") else []
        linking = state["plan"]["linking"]  # type: ignore[index]
        ents = linking["entities"]
        if not alert_names and ents.get("deployment"):
            # Live telemetry narrows retrieval: alerts firing on the linked workload.
            workload = Watch(namespace=ents["namespace"], deployment=ents["deployment"])
            alert_names = sorted({
                a.name for a in rt.backend.inventory().alerts
                if a.state == "firing" and alert_concerns(a.labels, a.name, workload)
            })
        query = state.get("question") or ""
        hits = rt.index.search(rt.redact(query), k=RETRIEVAL_K, alert_names=alert_names)
        audit("retrieval", None, thread, {
            "alert_names": alert_names,
            "hits": [{"id": h.runbook_id, "score": round(h.score, 4),
                      "section": h.section.heading if h.section else None} for h in hits],
        })
        # Runbook text is data from files; it is stored in checkpoints, so it is redacted.
        return {"hits": [rt.redact_value(h.model_dump(mode="json")) for h in hits]}

    def run_read_only_for(actor: Actor, thread: str) -> Callable[[ToolCall], Observation]:
        def run(call: ToolCall) -> Observation:
            tell(thread, message("progress", f"reading {call.render()}"))
            decision = rt.gate.decide(actor, call).decision
            if decision.outcome is not Outcome.ALLOW:
                audit("tool_call", actor.user_id, thread, {
                    "call": call.model_dump(mode="json"), "outcome": decision.outcome.value,
                    "reasons": decision.explain()})
                return Observation(call=call, ok=False,
                                   error=f"policy {decision.outcome.value}: {decision.explain()}",
                                   text="")
            try:
                out = run_tool(rt.backend, call)
            except (ToolFailure, ValueError, KeyError) as exc:
                err = rt.redact(str(exc))
                audit("tool_call", actor.user_id, thread, {
                    "call": call.model_dump(mode="json"), "error": err})
                return Observation(call=call, ok=False, error=err, text="")
            text = rt.redact(out.text)
            audit("tool_call", actor.user_id, thread, {
                "call": call.model_dump(mode="json"), "output": text})
            return Observation(call=call, ok=True, text=text,
                               data=rt.redact_value(out.json_data()))
        return run

    def plan(state: ThreadState) -> dict[str, Any]:
        actor = Actor.model_validate(state["actor"])
        thread = state["thread_id"]
        hits = tuple(RetrievalHit.model_validate(h) for h in state.get("hits", []))
        question = rt.redact(state.get("question") or "")
        linking = Linking.model_validate(state["plan"]["linking"])  # type: ignore[index]
        inventory = rt.backend.inventory()
        run = OncePerQuestion(run_read_only_for(actor, thread))
        diagnosis = diagnose(linking.entities, inventory, rt.backend.now(), run)
        for finding in diagnosis.findings:
            tell(thread, message("progress", f"finding: {finding.summary}"))
        request = PlanRequest(
            question=question,
            linking=linking,
            hits=hits,
            runbooks={h.runbook_id: rt.index.get(h.runbook_id) for h in hits},
            inventory=inventory,
            allowed_tools=requestable_tools(rt.gate.snapshot(), actor, rt.backend.environment),
            history=tuple(m.text for m in rt.store.messages.list(thread))[-HISTORY_MESSAGES:],
            findings=diagnosis.findings,
        )
        result = rt.planner.plan(request, run)
        if result.reasoning:
            audit("model_reasoning", None, thread, {"reasoning": list(result.reasoning)})
        verdict = review(result.candidates, diagnosis.findings, catalog_for_review(inventory),
                         asks_by(question))
        # "stage" tells the evidence's vetoes apart from candidates that could not be built.
        for cand, why in verdict.dropped:
            audit("not_proposed", actor.user_id, thread, {
                "call": cand.call.model_dump(mode="json"), "rationale": cand.why,
                "runbook_id": cand.runbook_id, "runbook_step": cand.step_index,
                "stage": "review", "reason": rt.redact(why)})
        for cand, why in verdict.contested:
            audit("contested", actor.user_id, thread, {
                "call": cand.call.model_dump(mode="json"), "rationale": cand.why,
                "reason": rt.redact(why)})
        result = result.model_copy(update={
            "candidates": verdict.kept, "notes": (*result.notes, *verdict.notes),
            "findings": tuple(focus_findings(diagnosis.findings, linking.entities))})
        return {"plan": rt.redact_value(result.model_dump(mode="json"))}

    def pin(call: ToolCall) -> ToolCall:
        """What "the default" means now (a rollback's target revision), filled in by the
        tool, so the approval covers exactly what runs."""
        spec = get_tool(call.tool)
        args = spec.validate_args(call.args)
        if spec.pin is None:
            return call
        pinned = spec.pin(args, lambda probe: run_tool(rt.backend, probe))
        return ToolCall(tool=call.tool, args={**call.args, **pinned}) if pinned else call

    def propose(actor: Actor, thread: str, call: ToolCall, why: str,
                runbook_id: str | None, step: int | None) -> Proposal:
        """The one way a mutating call becomes a proposal: validated, decided, recorded.

        Raises one of CANDIDATE_FAILURES, having recorded nothing, when the call cannot be
        proposed (invalid arguments, a target the backend cannot find, size or preview)."""
        call = pin(call)
        gated = rt.gate.decide(actor, call)
        facts, decision = gated.facts, gated.decision
        proposal = Proposal(
            id=f"p-{uuid.uuid4().hex[:10]}",
            thread_id=thread,
            call=call,
            rationale=why,
            runbook_id=runbook_id,
            runbook_step=step,
            requester=actor,
            blast_radius=estimate_blast_radius(rt.backend, call),
            preview=rt.redact(preview_call(rt.backend, call)),
            args_hash=call.args_hash,
            created_at=facts.now,
            decision=decision,
        )
        status = (ProposalStatus.PENDING if decision.outcome is Outcome.CONFIRM
                  else ProposalStatus.DENIED_BY_POLICY)
        rt.store.proposals.save(proposal, status=status,
                                service=facts.blast_radius.service,
                                resource_key=resource_key(rt.backend.environment, call))
        audit("proposal", actor.user_id, thread, proposal.model_dump(mode="json"))
        audit("decision", actor.user_id, thread, {
            "proposal_id": proposal.id, "stage": "proposal",
            **decision.model_dump(mode="json")})
        return proposal

    def policy(state: ThreadState) -> dict[str, Any]:
        actor = Actor.model_validate(state["actor"])
        thread = state["thread_id"]
        result = Plan.model_validate(state["plan"])
        proposals: list[Proposal] = []
        not_proposed: list[str] = []
        for c in result.candidates:
            try:
                proposals.append(propose(actor, thread, c.call, c.why, c.runbook_id,
                                         c.step_index))
            except CANDIDATE_FAILURES as exc:
                note = rt.redact(not_proposed_note(c.call, exc))
                not_proposed.append(note)
                audit("not_proposed", actor.user_id, thread, {
                    "call": c.call.model_dump(mode="json"), "rationale": c.why,
                    "runbook_id": c.runbook_id, "runbook_step": c.step_index, "reason": note})
        result = result.model_copy(update={"notes": (*result.notes, *not_proposed)})
        answer = compose_answer(result, proposals)
        audit("answer", None, thread, {"text": answer})
        rt.store.messages.add(thread, "opsbot", answer, rt.backend.now())
        new = [p.id for p in proposals if p.decision.outcome is Outcome.CONFIRM]
        cards = [message("card", p.id, p.id) for p in proposals
                 if p.decision.outcome is Outcome.CONFIRM]
        return {
            "new_proposals": new,
            "pending": [*state.get("pending", []), *new],
            "outbox": [message("answer", answer), *chart_messages(result.observations), *cards],
        }

    def live_pending(state: ThreadState) -> tuple[list[str], list[dict[str, Any]]]:
        pending = state.get("pending", [])
        expired = expire_overdue(rt.store, rt.backend.now(), pending)
        notes = [message("notice", e.text, e.stored.proposal.id) for e in expired]
        still = [pid for pid in pending
                 if rt.store.proposals.get(pid).status is ProposalStatus.PENDING]
        return still, notes

    def confirm(state: ThreadState) -> dict[str, Any]:
        pending, notes = live_pending(state)
        if not pending:
            return {"pending": [], "to_execute": None, "outbox": notes}
        request = interrupt({"pending": pending})
        try:
            outcome = handle_click(request, pending)
        except Exception as exc:
            # The click must be consumed whatever fails: a resume value left in the
            # checkpoint would be replayed as the next person's click.
            logger.exception("click on %s failed", request.get("proposal_id"))
            text = rt.redact(f"Your click on {request.get('proposal_id')} was not applied: "
                             f"{exc}. Nothing ran; click again.")
            audit("error", request.get("actor", {}).get("user_id"), state["thread_id"], {
                "proposal_id": request.get("proposal_id"), "error": text})
            outcome = {"to_execute": None,
                       "outbox": [message("failure", text, request.get("proposal_id"))]}
        return {"pending": pending, **outcome, "outbox": [*notes, *outcome["outbox"]]}

    def refuse(actor: Actor, thread: str, pid: str, text: str) -> dict[str, Any]:
        """A click that changes nothing: told to the clicker and recorded."""
        text = rt.redact(text)
        record_refused_click(rt.store.audit, actor, thread, pid, text)
        return {"to_execute": None, "outbox": [message("refusal", text, pid)]}

    def handle_click(request: dict[str, Any], pending: list[str]) -> dict[str, Any]:
        pid = request["proposal_id"]
        actor = Actor.model_validate(request["actor"])
        approve = bool(request["approve"])
        stored = rt.store.proposals.get(pid)
        proposal = stored.proposal
        thread = proposal.thread_id
        if pid not in pending:
            return refuse(actor, thread, pid, f"Proposal {pid} is not awaiting confirmation "
                                              f"in this thread (it is {stored.status.value}).")
        gated = rt.gate.check_click(actor, proposal, stored.approvals)
        check, facts = gated.check, gated.facts
        if not approve:
            if actor.user_id != proposal.requester.user_id and not check.ok:
                return refuse(actor, thread, pid, f"{actor.user_id} may not deny {pid}: "
                                                  f"{_explain(check.reasons)}")
            if not rt.store.proposals.set_status(pid, ProposalStatus.DENIED,
                                                 expected=ProposalStatus.PENDING):
                now = rt.store.proposals.get(pid).status.value
                return refuse(actor, thread, pid, f"Too late to deny {pid}: it is {now}.")
            rt.store.proposals.add_approval(Approval(
                proposal_id=pid, approver=actor, args_hash=proposal.args_hash, approved=False,
                at=facts.now))
            audit("denial", actor.user_id, thread, {"proposal_id": pid})
            return {"pending": [p for p in pending if p != pid], "to_execute": None,
                    "outbox": [message("notice", f"{proposal.call.render()} denied by "
                                                 f"{actor.user_id}.", pid)]}
        if not check.ok:
            return refuse(actor, thread, pid, f"{actor.user_id} cannot approve {pid}: "
                                              f"{_explain(check.reasons)}")
        # The approval and the status change it makes are one write: the loser of two
        # approvers racing on two replicas is refused and leaves no approval behind.
        if not rt.store.proposals.approve(Approval(
                proposal_id=pid, approver=actor, args_hash=proposal.args_hash, approved=True,
                at=facts.now), enough=check.approvals_needed == 0):
            now = rt.store.proposals.get(pid).status
            return refuse(actor, thread, pid, f"Too late to confirm {pid}: it is {now.value}."
                          if now is not ProposalStatus.PENDING
                          else f"{actor.user_id} has already approved {pid}.")
        audit("approval", actor.user_id, thread, {
            "proposal_id": pid, "args_hash": proposal.args_hash,
            "remaining": check.approvals_needed, "policy_version": gated.version})
        if check.approvals_needed > 0:
            return {"to_execute": None, "outbox": [message(
                "notice", f"Approved by {actor.user_id}; {check.approvals_needed} more "
                          "approval(s) needed.", pid)]}
        return {"pending": [p for p in pending if p != pid], "to_execute": pid,
                "outbox": [message("notice", f"Confirmed by {actor.user_id}; running "
                                             f"{proposal.call.render()}.", pid)]}

    def after_confirm(state: ThreadState) -> str:
        if state.get("to_execute"):
            return "execute"
        return "confirm" if state.get("pending") else END

    def rerun(call: ToolCall) -> Observation:
        try:
            out = run_tool(rt.backend, call)
        except ToolFailure as exc:
            return Observation(call=call, ok=False, text="", error=rt.redact(str(exc)))
        return Observation(call=call, ok=True, text=rt.redact(out.text),
                           data=rt.redact_value(out.json_data()))

    def execute(state: ThreadState) -> dict[str, Any]:
        pid = state["to_execute"]
        assert pid is not None
        result = rt.executor.execute(pid)
        proposal = rt.store.proposals.get(pid).proposal
        text = describe_result(proposal, result)
        rt.store.messages.add(proposal.thread_id, "opsbot", text, rt.backend.now())
        ran = result.status is ExecutionStatus.SUCCEEDED
        return {"to_execute": None, "to_verify": pid if ran else None,
                "outbox": [message("result" if ran else "failure", text, pid)]}

    def after_execute(state: ThreadState) -> str:
        return "verify" if state.get("to_verify") else "confirm"

    def verify(state: ThreadState) -> dict[str, Any]:
        pid = state["to_verify"]
        assert pid is not None
        verified = rt.executor.verify(pid)
        stored = rt.store.proposals.get(pid)
        proposal = stored.proposal
        out: list[dict[str, Any]] = []
        if verified is not None and verified.verification is not None:
            text = describe_verification(verified.verification)
            rt.store.messages.add(proposal.thread_id, "opsbot", text, rt.backend.now())
            out.append(message("verification", text, pid))
        if state.get("plan"):
            # The same metrics again, now with the action marked: "did it help?" at a glance.
            asked = Plan.model_validate(state["plan"]).observations
            again = [rerun(o.call) for o in asked if get_tool(o.call.tool).chart is not None]
            acted_at = stored.claimed_at.isoformat() if stored.claimed_at else None
            out.extend(chart_messages(again, acted_at, pid))
        pending = list(state.get("pending", []))
        if verified is not None and verified.compensation is not None:
            undo = propose(proposal.requester, proposal.thread_id, verified.compensation,
                           f"verification says {proposal.call.render()} made things worse; "
                           "this undoes it", proposal.runbook_id, None)
            out.append(message("notice", f"Suggested: {undo.call.render()} "
                                         f"(policy {undo.decision.outcome.value})", undo.id))
            if undo.decision.outcome is Outcome.CONFIRM:
                pending.append(undo.id)
                out.append(message("card", undo.id, undo.id))
        return {"to_verify": None, "pending": pending, "outbox": out}

    builder = StateGraph(ThreadState)
    builder.add_node("intake", intake)
    builder.add_node("retrieve", retrieve)
    builder.add_node("plan", plan)
    builder.add_node("policy", policy)
    builder.add_node("confirm", confirm)
    builder.add_node("execute", execute)
    builder.add_node("verify", verify)
    builder.add_edge(START, "intake")
    builder.add_conditional_edges("intake", after_intake, ["retrieve", "confirm"])
    builder.add_edge("retrieve", "plan")
    builder.add_edge("plan", "policy")
    builder.add_edge("policy", "confirm")
    builder.add_conditional_edges("confirm", after_confirm, ["execute", "confirm", END])
    builder.add_conditional_edges("execute", after_execute, ["verify", "confirm"])
    builder.add_edge("verify", "confirm")
    return builder.compile(checkpointer=checkpointer)
