"""The whole loop with state in PostgreSQL: store, audit chain and LangGraph checkpoints."""

from assistant.config import Settings
from assistant.models import Actor, ProposalStatus
from assistant.runtime import open_runtime
from assistant.session import Session


def test_incident_loop_on_postgres_survives_a_new_process_view(
    tmp_path, postgres_url, runbook_index
):
    settings = Settings.from_env({"OPSBOT_HOME": str(tmp_path), "OPSBOT_DB": postgres_url})
    with open_runtime(settings, "checkout-bad-deploy", index=runbook_index) as rt:
        turn = Session(rt).ask("t1", Actor(user_id="U02BOB"),
                               "checkout\x00 crash looping since the deploy")
        pid = turn.pending[0].id
    # A second runtime (as another replica or a restarted process would) resumes the thread.
    with open_runtime(settings, "checkout-bad-deploy", index=runbook_index) as rt:
        session = Session(rt)
        assert [p.id for p in session.pending("t1")] == [pid]
        done = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        assert any(m.kind == "result" for m in done.messages)
        assert session.proposal(pid).status is ProposalStatus.EXECUTED
        assert rt.store.audit.verify().ok
        question = next(e for e in rt.store.audit.events(thread="t1") if e.kind == "question")
        assert "\x00" not in question.payload["question"]
