"""The result spool keeps a result on disk until its recording finished, never hands a
result that is being recorded to a replay, and a late result ends only its own claim."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from proposal_records import approved, succeeded

from assistant.models import ProposalStatus
from assistant.storage import DatabaseUnavailableError, Store, UnknownProposalError
from assistant.storage.spool import ResultSpool, SpooledResult

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_result_is_kept_while_it_is_recorded_and_forgotten_once_recorded(
        spool: ResultSpool) -> None:
    with spool.kept("T1", succeeded("P1")):
        assert spool.pending() == ["P1"]
        assert spool.replay(lambda entry: None) == 0  # its writer holds it
    assert spool.pending() == []


def test_a_result_whose_recording_failed_is_replayed_once(spool: ResultSpool) -> None:
    with pytest.raises(RuntimeError), spool.kept("T1", succeeded("P1")):
        raise RuntimeError("database is locked")
    assert spool.pending() == ["P1"]
    seen: list[SpooledResult] = []
    assert spool.replay(seen.append) == 1
    assert [(e.thread_id, e.result) for e in seen] == [("T1", succeeded("P1"))]
    assert spool.pending() == [] and spool.replay(seen.append) == 0


def test_a_replay_stops_at_an_outage_and_keeps_the_results_for_the_next(
        spool: ResultSpool) -> None:
    for pid in ("P1", "P2"):
        with pytest.raises(RuntimeError), spool.kept("T1", succeeded(pid)):
            raise RuntimeError("database is locked")
    tried: list[str] = []

    def still_down(entry: SpooledResult) -> None:
        tried.append(entry.result.proposal_id)
        raise DatabaseUnavailableError("still locked")

    with pytest.raises(DatabaseUnavailableError, match="still locked"):
        spool.replay(still_down)
    assert tried == ["P1"]
    assert spool.pending() == ["P1", "P2"]


def test_a_result_that_cannot_be_recorded_stays_and_the_others_are_recorded(
        spool: ResultSpool) -> None:
    for pid in ("P1", "P2"):
        with pytest.raises(RuntimeError), spool.kept("T1", succeeded(pid)):
            raise RuntimeError("down")

    def record(entry: SpooledResult) -> None:
        if entry.result.proposal_id == "P1":
            raise UnknownProposalError("P1")  # another database than the one it ran against

    assert spool.replay(record) == 1
    assert spool.pending() == ["P1"]


def test_an_unreadable_spool_file_stays_and_the_others_are_recorded(
        spool: ResultSpool) -> None:
    for pid in ("P1", "P2"):
        with pytest.raises(RuntimeError), spool.kept("T1", succeeded(pid)):
            raise RuntimeError("down")
    (spool.folder / "P1.json").write_text("{not json")
    seen: list[str] = []
    assert spool.replay(lambda entry: seen.append(entry.result.proposal_id)) == 1
    assert seen == ["P2"]
    assert spool.pending() == ["P1"]


def test_a_late_result_ends_its_own_claim_even_once_marked_interrupted(store: Store) -> None:
    approved(store, "P1")
    store.proposals.claim("P1", "E1", T0)
    assert store.proposals.interrupt("P1", "E1", T0) is not None
    assert not store.proposals.finish("P1", succeeded("P1"))
    assert store.proposals.record_late("P1", succeeded("P1"))
    stored = store.proposals.get("P1")
    assert stored.status is ProposalStatus.EXECUTED and stored.result == succeeded("P1")
    assert not store.proposals.record_late("P1", succeeded("P1"))


def test_a_late_result_of_another_executor_changes_nothing(store: Store) -> None:
    approved(store, "P1")
    store.proposals.claim("P1", "E2", T0)
    assert not store.proposals.record_late("P1", succeeded("P1"))  # executed_by E1
    assert store.proposals.get("P1").status is ProposalStatus.EXECUTING
