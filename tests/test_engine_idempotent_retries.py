"""A flag-flipping action (cordon, suspend) whose first attempt took effect but whose answer
was lost is retried by the executor, and the retry finds the effect in place: the action
succeeded, once, and says the state was already as asked."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import Actor, ExecutionStatus, ProposalStatus
from tools.backend import ToolFailure, run_tool

CASES = [
    pytest.param("ip-10-61-4-12 reports DiskPressure, cordon it",
                 {"alertname": "KubeNodePressure", "namespace": "monitoring",
                  "node": "ip-10-61-4-12", "condition": "DiskPressure"},
                 "cordon_node", "cordon node ip-10-61-4-12: it is already cordoned",
                 id="cordon"),
    pytest.param("the bank's SFTP is down tonight, suspend the payroll cronjob payslip-export "
                 "until it's back", None,
                 "suspend_cronjob", "suspend cronjob payroll/payslip-export: it is already "
                 "suspended", id="suspend"),
]


def _proposed(session: Any, question: str, alert: dict[str, str] | None, tool: str) -> Any:
    return next(p for p in session.ask("t1", Actor(user_id="U02BOB"), question, alert).pending
                if p.call.tool == tool)


@pytest.mark.parametrize(("question", "alert", "tool", "said"), CASES)
def test_a_retry_after_a_lost_answer_succeeds_saying_the_state_was_already_so(
        open_engine: Any, question: str, alert: dict[str, str] | None, tool: str,
        said: str) -> None:
    with open_engine("payroll-night-shift") as s:
        proposal = _proposed(s, question, alert, tool)
        backend = s.rt.backend
        applies = getattr(backend, tool)
        sent: list[object] = []

        def applies_then_loses_the_answer(args: Any, approved_by: str | None = None) -> Any:
            sent.append(args)
            out = applies(args, approved_by=approved_by)
            if len(sent) == 1:
                raise ToolFailure("timed out waiting for the API response", transient=True)
            return out

        setattr(backend, tool, applies_then_loses_the_answer)
        s.rt.executor.sleep = lambda _seconds: None
        for approver in ("U01ALICE", "U04DAN")[:proposal.decision.approvals_required]:
            s.respond("t1", proposal.id, Actor(user_id=approver), approve=True)
        stored = s.proposal(proposal.id)
        assert stored.status is ProposalStatus.EXECUTED
        assert stored.result is not None
        assert stored.result.status is ExecutionStatus.SUCCEEDED
        assert (stored.result.attempts, len(sent)) == (2, 2)
        assert said in stored.result.output and "nothing changed" in stored.result.output


@pytest.mark.parametrize(("question", "alert", "tool", "said"), CASES)
def test_a_first_run_finding_someone_else_s_effect_in_place_does_not_claim_it(
        open_engine: Any, question: str, alert: dict[str, str] | None, tool: str,
        said: str) -> None:
    with open_engine("payroll-night-shift") as s:
        proposal = _proposed(s, question, alert, tool)
        backend = s.rt.backend
        # Between the proposal and its approval, someone else does the same by hand.
        run_tool(backend, proposal.call, approved_by="someone-else")
        for approver in ("U01ALICE", "U04DAN")[:proposal.decision.approvals_required]:
            s.respond("t1", proposal.id, Actor(user_id=approver), approve=True)
        stored = s.proposal(proposal.id)
        assert stored.result is not None
        assert stored.result.status is ExecutionStatus.FAILED
        assert "would change nothing" in stored.result.output
        assert "as asked" not in stored.result.output
        assert stored.result.verification is None
