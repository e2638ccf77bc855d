"""`opsbot demo`: one scripted incident, end to end, offline, with timings."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from assistant.config import Settings
from assistant.models import Actor, ExecutionStatus, ProposalStatus
from assistant.runtime import open_runtime
from assistant.session import Session, Turn
from assistant.summary import incident_summary
from assistant.terminal import render_turn

RESPONDER = Actor(user_id="U02BOB", display_name="bob (responder)")
APPROVER = Actor(user_id="U01ALICE", display_name="alice (SRE)")
SECOND_SRE = Actor(user_id="U04DAN", display_name="dan (SRE)")


def _question_for(alert_name: str, labels: dict[str, str]) -> str:
    target = labels.get("pod") or labels.get("deployment") or labels.get("service")
    namespace = labels.get("namespace")
    if namespace and target:
        where = f" on {namespace}/{target}"
    elif namespace or target:
        where = f" in {namespace or target}"
    else:
        where = ""
    return f"{alert_name} is firing{where}. what's going on and how do we fix it?"


def run_demo(settings: Settings, scenario: str, out: TextIO,
             chart_dir: Path | None = None) -> int:
    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    started = time.perf_counter()
    timings: dict[str, float] = {}

    def add(turn: Turn) -> Turn:
        for node, ms in turn.timings_ms.items():
            timings[node] = timings.get(node, 0.0) + ms
        return turn

    with open_runtime(settings, scenario, persist_sandbox=False) as rt:
        setup_ms = (time.perf_counter() - started) * 1000
        session = Session(rt)
        inventory = rt.backend.inventory()
        firing = [a for a in inventory.alerts if a.state == "firing"]
        if not firing:
            say(f"scenario {scenario} has no firing alert to start from")
            return 1
        alert = firing[0]
        thread = f"demo-{scenario}"
        say(f"== opsbot demo: {scenario} ({inventory.environment}) ==")
        say(rt.redact(f"\n🔔 alert {alert.name} fired: "
                      + ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))))
        question = _question_for(alert.name, alert.labels)
        say(rt.redact(f"\n{RESPONDER.user_id} asks: {question}\n"))
        turn = add(session.ask(thread, RESPONDER, question, {"alertname": alert.name,
                                                              **alert.labels}))
        say(rt.redact(render_turn(session, turn, chart_dir)))
        requester, approver = RESPONDER, APPROVER
        refused = [s for s in rt.store.proposals.for_thread(thread)
                   if s.status is ProposalStatus.DENIED_BY_POLICY]
        if not turn.pending and refused:
            # The responder's role may not request this; an SRE may, and another SRE approves.
            requester, approver = APPROVER, SECOND_SRE
            say(f"\n{requester.user_id} ({requester.display_name}) asks the same in the thread:")
            turn = add(session.ask(thread, requester, question, {"alertname": alert.name,
                                                                   **alert.labels}))
            say(rt.redact(render_turn(session, turn, chart_dir)))
        executed = False
        if not turn.pending:
            say("\nopsbot proposed nothing that can be confirmed; no action runs.")
        else:
            proposal = turn.pending[0]
            if not proposal.decision.requester_may_approve:
                say(f"\n{requester.user_id} tries to confirm their own proposal:")
                add_turn = add(session.respond(thread, proposal.id, requester, approve=True))
                say(rt.redact(render_turn(session, add_turn, chart_dir)))
            say(f"\n{approver.user_id} clicks Confirm:")
            turn = add(session.respond(thread, proposal.id, approver, approve=True))
            say(rt.redact(render_turn(session, turn, chart_dir)))
            stored = session.proposal(proposal.id)
            executed = (stored.status is ProposalStatus.EXECUTED and stored.result is not None
                        and stored.result.status is ExecutionStatus.SUCCEEDED)
        say("\n" + rt.redact(incident_summary(thread, rt.store.audit.events(thread=thread))))
        check = rt.store.audit.verify()
        say(f"audit log: {'verified' if check.ok else 'BROKEN'} ({check.checked} events)")
    total_ms = (time.perf_counter() - started) * 1000
    steps = ", ".join(f"{k} {v:.0f} ms" for k, v in timings.items())
    say(f"\ntimings: total {total_ms:.0f} ms (setup + index {setup_ms:.0f} ms); {steps}")
    return 0 if executed and check.ok else 1
