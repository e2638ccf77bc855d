"""Each shipped scenario, asked in plain English: the right action, the right arguments,
the right policy outcome — and a user without the role is refused with the reason."""

import pytest
from conftest import ENGINE_DATABASES

from assistant.models import Actor, ExecutionStatus, Outcome, ProposalStatus

# The design promises the same engine behaviour on either database.
pytestmark = ENGINE_DATABASES

CASES = [
    ("checkout-bad-deploy", "U02BOB", "why does checkout keep restarting since the deploy?",
     "rollback_deployment", {"namespace": "shop", "deployment": "checkout", "revision": 41}),
    ("cart-memory-leak", "U02BOB", "cart pods keep getting OOMKilled, memory climbs all day",
     "restart_deployment", {"namespace": "shop", "deployment": "cart"}),
    ("search-traffic-spike", "U01ALICE",
     "search-api in the search namespace: latency through the roof, cpu pegged",
     "scale_deployment", {"namespace": "search", "deployment": "search-api", "replicas": 8}),
    ("payments-budget-exhausted", "U02BOB",
     "payments error budget is burning since the last deploy, what do we do?",
     "rollback_deployment", {"namespace": "payments", "deployment": "payments-api",
                             "revision": 87}),
]


def _proposals(session, thread):
    return [s for s in session.rt.store.proposals.for_thread(thread)]


@pytest.mark.parametrize(("scenario", "user", "question", "tool", "args"), CASES)
def test_question_proposes_the_runbook_action_for_confirmation(
    open_engine, scenario, user, question, tool, args
):
    with open_engine(scenario) as session:
        turn = session.ask("t1", Actor(user_id=user), question)
        assert [p.call.tool for p in turn.pending] == [tool]
        proposal = turn.pending[0]
        assert proposal.call.args == args
        assert proposal.decision.outcome is Outcome.CONFIRM
        assert any(m.kind == "card" and m.proposal_id == proposal.id for m in turn.messages)
        answer = next(m.text for m in turn.messages if m.kind == "answer")
        assert "*Runbook*" in answer and "§" in answer


def test_alert_driven_thread_proposes_a_scoped_silence(open_engine):
    alert = {"alertname": "NodeFilesystemSpaceFillingUp", "namespace": "monitoring",
             "mountpoint": "/mnt/scratch"}
    with open_engine("noisy-disk-alert") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"), "is this disk alert real?", alert)
        assert [p.call.tool for p in turn.pending] == ["silence_alert"]
        call = turn.pending[0].call
        assert call.args["alertname"] == "NodeFilesystemSpaceFillingUp"
        assert call.args["matchers"] == {"namespace": "monitoring", "mountpoint": "/mnt/scratch"}


def test_a_silence_the_askers_words_set_aside_is_audited_as_not_proposed(open_engine):
    with open_engine("noisy-disk-alert") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"),
                           "the disk alert on ip-10-20-3-99 is noise, silence it for 1h")
        assert turn.pending == ()
        [row] = [e for e in session.rt.store.audit.events(thread="t1")
                 if e.kind == "not_proposed"]
        assert row.payload["stage"] == "silence_ask"
        assert row.payload["call"]["tool"] == "silence_alert"
        assert "ip-10-20-3-99" in row.payload["reason"]


def test_a_confirmed_silence_is_created_by_its_approver(open_engine):
    alert = {"alertname": "NodeFilesystemSpaceFillingUp", "namespace": "monitoring",
             "mountpoint": "/mnt/scratch"}
    with open_engine("noisy-disk-alert") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"), "is this disk alert real?", alert)
        proposal = turn.pending[0]
        assert "by the approver" in proposal.preview
        earlier = {s["id"] for s in session.rt.backend.state()["silences"]}
        session.respond("t1", proposal.id, Actor(user_id="U01ALICE"), approve=True)
        assert session.proposal(proposal.id).result.status is ExecutionStatus.SUCCEEDED
        [created] = [s for s in session.rt.backend.state()["silences"] if s["id"] not in earlier]
        assert created["created_by"] == "U01ALICE"


@pytest.mark.parametrize(("scenario", "user", "question", "tool", "args"), CASES)
def test_viewer_cannot_request_the_action_and_is_told_why(
    open_engine, scenario, user, question, tool, args
):
    with open_engine(scenario) as session:
        turn = session.ask("t1", Actor(user_id="U03CAROL"), question)
        assert turn.pending == ()
        stored = _proposals(session, "t1")
        assert [s.proposal.call.tool for s in stored] == [tool]
        assert stored[0].status is ProposalStatus.DENIED_BY_POLICY
        decision = stored[0].proposal.decision
        assert decision.outcome is Outcome.DENY
        assert "not-granted" in {r.rule for r in decision.reasons}
        answer = next(m.text for m in turn.messages if m.kind == "answer")
        assert "DENIED" in answer and "not-granted" in answer


def test_unknown_user_is_refused_before_anything_runs(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        turn = session.ask("t1", Actor(user_id="U99MALLORY"), "roll back checkout")
        assert turn.pending == ()
        assert "U99MALLORY" in turn.messages[0].text
        kinds = [e.kind for e in session.rt.store.audit.events(thread="t1")]
        assert kinds == ["question", "denial"]


def test_unknown_service_asks_back_and_proposes_nothing(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"),
                           "billing keeps crash looping after the deploy, roll it back")
        assert turn.pending == ()
        answer = turn.messages[0].text
        assert "billing" in answer and "Which one?" in answer
        assert _proposals(session, "t1") == []


def test_confirm_by_sre_executes_once_and_verifies(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"), "checkout is crash looping, help")
        pid = turn.pending[0].id
        refused = session.respond("t1", pid, Actor(user_id="U02BOB"), approve=True)
        assert refused.messages[0].kind == "refusal"
        assert "self-approval" in refused.messages[0].text
        done = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert [m.kind for m in done.messages if m.kind != "chart"] == [
            "notice", "result", "verification"]
        assert "verification: improved" in done.messages[2].text
        stored = session.proposal(pid)
        assert stored.status is ProposalStatus.EXECUTED
        assert stored.result.status is ExecutionStatus.SUCCEEDED
        assert stored.result.verification.verdict == "improved"
        again = session.respond("t1", pid, Actor(user_id="U04DAN"), approve=True)
        assert again.messages[0].kind == "refusal"
        assert "executed" in again.messages[0].text
        kinds = [e.kind for e in session.rt.store.audit.events(thread="t1")]
        assert kinds.count("execution") == 1
        assert session.rt.store.audit.verify().ok


def test_deny_closes_the_proposal_without_running_it(open_engine):
    with open_engine("cart-memory-leak") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"), "restart cart? it is leaking memory")
        pid = turn.pending[0].id
        denied = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=False)
        assert "denied by U01ALICE" in denied.messages[0].text
        assert session.proposal(pid).status is ProposalStatus.DENIED
        assert session.pending("t1") == []


def test_follow_up_question_reuses_the_thread_entities(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        session.ask("t1", Actor(user_id="U02BOB"), "what's wrong with checkout?")
        turn = session.ask("t1", Actor(user_id="U02BOB"), "and is it crash looping again?")
        first = session.rt.store.proposals.for_thread("t1")[0].proposal
        assert first.call.args["deployment"] == "checkout"
        assert any("checkout" in m.text for m in turn.messages if m.kind == "answer")


def test_new_question_keeps_an_open_confirmation_pending(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        turn = session.ask("t1", Actor(user_id="U02BOB"), "checkout crash looping since deploy")
        pid = turn.pending[0].id
        session.ask("t1", Actor(user_id="U03CAROL"), "what are the logs of checkout saying?")
        assert pid in [p.id for p in session.pending("t1")]
        done = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert any(m.kind == "result" for m in done.messages)


def test_a_follow_up_in_a_jobs_alert_thread_looks_in_that_alerts_pages(open_engine):
    with open_engine("payroll-night-shift") as session:
        alert = {"alertname": "KubeJobFailed", "namespace": "payroll",
                 "job_name": "payslip-export-29513850"}
        session.ask("t1", Actor(user_id="U02BOB"), "the payslip export failed", alert)
        session.ask("t1", Actor(user_id="U02BOB"), "so why did it stop?")
        searched = [e.payload["alert_names"] for e in session.rt.store.audit.events(thread="t1")
                    if e.kind == "retrieval"]
        assert searched == [["KubeJobFailed"], ["KubeJobFailed"]]
