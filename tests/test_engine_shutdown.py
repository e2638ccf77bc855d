"""A shutdown does not cut an action's claim off mid-verification: the result is recorded
first, the watch ends at its next look without a verdict (a half-done rollout looks worse
than it is, and a verdict of "worse" would propose an undo), and it stays open for a live
replica or the next start to take over."""

from __future__ import annotations

from typing import Any

from mistaken_rollback import ROLLBACK_TO_BAD, BreaksOnRollback, ProposesOneCall

from assistant.models import Actor, ProposalStatus
from assistant.runtime import open_runtime
from assistant.session import Session
from tools.sandbox import SandboxBackend


def test_a_shutdown_ends_a_verification_at_its_next_look_with_the_result_recorded(
        engine_settings: Any, runbook_index: Any) -> None:
    world = SandboxBackend.load("checkout-bad-deploy", engine_settings.scenario_dir)
    backend = BreaksOnRollback.from_state(world.state())  # never settles: watched to the bound
    with open_runtime(engine_settings, "checkout-bad-deploy", backend=backend,
                      index=runbook_index, planner=ProposesOneCall(ROLLBACK_TO_BAD)) as rt:
        session = Session(rt)
        turn = session.ask("t-drain", Actor(user_id="U02BOB"), "take checkout back to 40")
        pid = turn.pending[0].id
        rt.executor.stopping.set()
        turn_after = session.respond("t-drain", pid, Actor(user_id="U01ALICE"), approve=True)
        stored = session.proposal(pid)
        # Still held by this executor, unfinished: a live replica takes it over once the
        # lease of this one has stopped.
        still_open = rt.store.verifications.watching(pid, rt.executor.executor_id)
    assert stored.status is ProposalStatus.EXECUTED
    assert stored.result is not None and stored.result.verification is None
    assert stored.result.compensation is None
    assert [p.id for p in turn_after.pending] == []
    assert any("takes the watch over" in m.text for m in turn_after.messages)
    assert still_open is not None and still_open.proposal_id == pid
