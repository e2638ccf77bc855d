"""Incident summary for the postmortem, from a thread's audit events. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.models import AuditEvent


def _short(text: str, limit: int = 160) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _call(payload: dict[str, Any]) -> str:
    call = payload.get("call") or {}
    args = ", ".join(f"{k}={v!r}" for k, v in sorted((call.get("args") or {}).items()))
    return f"{call.get('tool', '?')}({args})"


def _timeline_line(e: AuditEvent) -> str | None:
    p = e.payload
    who = e.actor or "opsbot"
    match e.kind:
        case "question":
            return f"{who} asked: “{_short(p.get('question', ''))}”"
        case "retrieval":
            hits = [h["id"] for h in p.get("hits", [])]
            return f"runbooks retrieved: {', '.join(hits) or 'none'}"
        case "tool_call":
            status = "error" if "error" in p else p.get("outcome", "ran")
            return f"{_call(p)} ({status})"
        case "proposal":
            return f"{who} proposed `{_call(p)}` ({p.get('id')})"
        case "decision":
            return (f"policy {p.get('outcome')} for {p.get('proposal_id')} at {p.get('stage')}: "
                    f"{_short('; '.join(r.get('message', '') for r in p.get('reasons', [])))}")
        case "approval":
            return f"{who} approved {p.get('proposal_id')}"
        case "denial":
            target = p.get("proposal_id", "the request")
            why = p.get("reason") or p.get("reasons") or "denied"
            return f"{who} — {target} not approved: {_short(str(why))}"
        case "execution":
            return (f"{p.get('proposal_id')} {p.get('status')} after {p.get('attempts')} "
                    f"attempt(s): {_short(p.get('output', ''))}")
        case "verification":
            return f"verification of {p.get('proposal_id')}: {p.get('verdict')}"
        case "interrupted" if p.get("by_hand"):
            return (f"{who} marked {p.get('proposal_id')} interrupted "
                    f"({_short(str(p.get('reason', '')))}); it was not re-run")
        case "interrupted":
            return f"{p.get('proposal_id')} was interrupted by a crash and not re-run"
        case _:
            return None


def incident_summary(thread_id: str, events: Iterable[AuditEvent]) -> str:
    events = list(events)
    if not events:
        return f"# Incident summary — thread {thread_id}\n\nNo events recorded for this thread."
    questions = [e for e in events if e.kind == "question"]
    proposals = {e.payload["id"]: e for e in events if e.kind == "proposal"}
    by_proposal: dict[str, list[AuditEvent]] = {}
    for e in events:
        pid = e.payload.get("proposal_id")
        if pid:
            by_proposal.setdefault(pid, []).append(e)
    runbooks = [h["id"] for e in events if e.kind == "retrieval" for h in e.payload["hits"][:1]]

    out = [f"# Incident summary — thread {thread_id}", ""]
    out.append("## What happened")
    first = questions[0] if questions else events[0]
    alert = (first.payload.get("alert") or {}) if questions else {}
    if alert:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.items()))
        out.append(f"- Alert: {labels}")
    if questions:
        out.append(f"- First question ({first.time:%Y-%m-%d %H:%M} UTC, {first.actor}): "
                   f"“{_short(first.payload.get('question', ''))}”")
    if runbooks:
        out.append(f"- Runbooks followed: {', '.join(dict.fromkeys(runbooks))}")
    out.append("")

    out.append("## Actions")
    if not proposals:
        out.append("- No actions were proposed.")
    open_items: list[str] = []
    for pid, prop in proposals.items():
        trail = by_proposal.get(pid, [])
        approvers = [e.actor for e in trail if e.kind == "approval"]
        executions = [e for e in trail if e.kind == "execution"]
        verdicts = [e.payload.get("verdict") for e in trail if e.kind == "verification"]
        decisions = [e for e in trail if e.kind == "decision"]
        first_decision = decisions[0].payload.get("outcome") if decisions else "?"
        line = (f"- `{_call(prop.payload)}` requested by {prop.actor}; policy {first_decision}")
        if approvers:
            line += f"; approved by {', '.join(a or '?' for a in approvers)}"
        denials = [e for e in trail if e.kind == "denial" and not e.payload.get("refused_click")]
        if denials:
            line += f"; not approved ({denials[-1].actor or 'expired'})"
        if executions:
            ex = executions[-1].payload
            line += f"; {ex.get('status')} ({ex.get('attempts')} attempt(s))"
        if verdicts:
            line += f"; verification: {verdicts[-1]}"
        out.append(line)
        if first_decision == "confirm" and not executions and not denials:
            open_items.append(f"`{_call(prop.payload)}` ({pid}) is still awaiting confirmation")
        if verdicts and verdicts[-1] != "improved":
            open_items.append(f"`{_call(prop.payload)}` did not clearly help ({verdicts[-1]})")
        if executions and executions[-1].payload.get("status") not in ("succeeded",
                                                                       "already-executed"):
            open_items.append(f"`{_call(prop.payload)}` {executions[-1].payload.get('status')}")
    out.append("")

    out.append("## Timeline (UTC)")
    for e in events:
        entry = _timeline_line(e)
        if entry:
            out.append(f"- {e.time:%H:%M:%S} — {entry}")
    out.append("")
    out.append("## Open questions")
    if not open_items:
        open_items.append("Root cause of the triggering change (for the postmortem)")
    out.extend(f"- {item}" for item in open_items)
    return "\n".join(out) + "\n"
