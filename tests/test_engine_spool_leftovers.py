"""A spool file that outlived its recording (the process died after the database took the
result but before the file was deleted) is dropped quietly: the thread is not told that a
result recorded on time was recorded late."""

from __future__ import annotations

from typing import Any

from assistant.late_results import record_spooled
from assistant.models import Actor, ProposalStatus
from assistant.storage.spool import SpooledResult

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}
QUESTION = "why does checkout keep restarting since the deploy?"


def test_a_spool_file_left_after_its_result_was_recorded_tells_nobody(
        open_engine: Any) -> None:
    with open_engine("checkout-bad-deploy", {"OPSBOT_VERIFY_SECONDS": "0"}) as s:
        rt = s.rt
        pid = s.ask("t1", Actor(user_id="U02BOB"), QUESTION, ALERT).pending[0].id
        s.respond("t1", pid, Actor(user_id="U01ALICE"), approve=True)
        stored = rt.store.proposals.get(pid)
        assert stored.status is ProposalStatus.EXECUTED and stored.result is not None
        spool = rt.executor.spool
        # What SIGKILL between the database's commit and the file's unlink leaves behind.
        (spool.folder / f"{pid}.json").write_text(
            SpooledResult(thread_id="t1", result=stored.result).model_dump_json())
        told_before = [m.text for m in rt.store.messages.list("t1")]

        assert record_spooled(rt.store, spool) == []
        assert spool.pending() == []
        assert [m.text for m in rt.store.messages.list("t1")] == told_before
        executions = [e for e in rt.store.audit.events(thread="t1") if e.kind == "execution"]
        assert [e.payload["proposal_id"] for e in executions] == [pid]
