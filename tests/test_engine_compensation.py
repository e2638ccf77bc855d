"""An action that makes things worse is reported as such, and its undo is proposed (through
policy and a human again), never run on its own."""

from mistaken_rollback import ROLLBACK_TO_BAD, BreaksOnRollback, ProposesOneCall

from assistant.compensation import compensating_call
from assistant.models import Actor, ProposalStatus, ToolCall
from assistant.runtime import open_runtime
from assistant.session import Session
from tools.outputs import FromTo, RestartChange, RollbackChange, ScaleChange, changed
from tools.sandbox import SandboxBackend


def test_scale_and_rollback_have_inverses_restart_does_not():
    scale = ToolCall(tool="scale_deployment", args={"namespace": "s", "deployment": "d",
                                                    "replicas": 8})
    scaled = changed(ScaleChange(replicas=FromTo(before=4, after=8)))
    assert compensating_call(scale, scaled).args["replicas"] == 4
    rolled = changed(RollbackChange(revision=FromTo(before=42, after=40),
                                    image=FromTo(before="c:42", after="c:40"), change=None,
                                    target_healthy=False, pods_replaced=[]))
    assert compensating_call(ROLLBACK_TO_BAD, rolled).args["revision"] == 42
    restart = ToolCall(tool="restart_deployment", args={"namespace": "s", "deployment": "d"})
    assert compensating_call(restart, changed(RestartChange(pods_restarted=["a"]))) is None


def test_worse_after_action_proposes_the_undo_for_confirmation(engine_settings, runbook_index):
    world = SandboxBackend.load("checkout-bad-deploy", engine_settings.scenario_dir)
    backend = BreaksOnRollback.from_state(world.state())
    with open_runtime(engine_settings, "checkout-bad-deploy", backend=backend,
                      index=runbook_index, planner=ProposesOneCall(ROLLBACK_TO_BAD)) as rt:
        session = Session(rt)
        turn = session.ask("t1", Actor(user_id="U02BOB"), "roll checkout back to 40")
        pid = turn.pending[0].id
        done = session.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        result = session.proposal(pid).result
        assert result.verification.verdict == "worse", result.verification.detail
        assert result.compensation == ToolCall(tool="rollback_deployment", args={
            "namespace": "shop", "deployment": "checkout", "revision": 42})
        (undo,) = session.pending("t1")
        assert undo.call == result.compensation
        assert any(m.kind == "card" and m.proposal_id == undo.id for m in done.messages)
        assert session.proposal(undo.id).status is ProposalStatus.PENDING
