"""A shutdown does not cut an action's claim off mid-verification: the watch ends at its
next look, and the result is recorded with the verdict so far and why it ended early."""

from __future__ import annotations

from typing import Any

from test_engine_compensation import ROLLBACK_TO_BAD, BreaksOnRollback, ProposesOneCall

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
        session.respond("t-drain", pid, Actor(user_id="U01ALICE"), approve=True)
        stored = session.proposal(pid)
    assert stored.status is ProposalStatus.EXECUTED
    assert stored.result is not None and stored.result.verification is not None
    assert stored.result.verification.detail.endswith(
        f"(after {rt.executor.verify_interval_seconds:.0f} s; watching stopped early: opsbot "
        "was shutting down)")
