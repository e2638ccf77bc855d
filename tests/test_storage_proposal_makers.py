"""Each proposal keeps the executor whose run recorded it, and only such a proposal is ever
closed as never shown; those stored before makers were recorded are left to expire."""

from __future__ import annotations

import pytest
from conftest import FakeRedaction, RawDatabase
from proposal_records import CHECKOUT, proposal, stored_before_makers

from assistant.models import ProposalStatus
from assistant.storage import Store, open_store, schema
from assistant.unshown import REASON, close_unshown


def test_a_proposal_keeps_the_process_that_made_it(store: Store) -> None:
    store.proposals.save(proposal("P1"), service="checkout", resource_key=CHECKOUT,
                         made_by="host:1:abc")
    assert store.proposals.get("P1").made_by == "host:1:abc"


def test_an_unshown_proposal_of_a_gone_maker_is_closed_once_and_audited(store: Store) -> None:
    for pid in ("SHOWN", "UNSHOWN"):
        store.proposals.save(proposal(pid), service="checkout", resource_key=CHECKOUT,
                             made_by="host:1:gone")
    candidates = store.proposals.for_thread("T1")
    closed = close_unshown(store, candidates, ["SHOWN"], lambda maker: True)
    assert [s.proposal.id for s in closed] == ["UNSHOWN"]
    assert store.proposals.get("UNSHOWN").status is ProposalStatus.NEVER_SHOWN
    assert store.proposals.get("SHOWN").status is ProposalStatus.PENDING
    assert close_unshown(store, candidates, ["SHOWN"], lambda maker: True) == []
    assert [e.payload for e in store.audit.events(thread="T1") if e.kind == "denial"] == [
        {"proposal_id": "UNSHOWN", "reason": REASON}]


def test_proposals_stored_before_the_upgrade_have_no_maker_and_stay_pending(
        db_url: str, raw_db: RawDatabase, redaction: FakeRedaction,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old = proposal("OLD")
    with monkeypatch.context() as previous:
        previous.setattr(schema, "MIGRATIONS",
                         tuple(m for m in schema.MIGRATIONS if m.version < 10))
        open_store(db_url, redaction.redact).close()
        stored_before_makers(raw_db, old)
    with open_store(db_url, redaction.redact) as upgraded:
        stored = upgraded.proposals.get("OLD")
        assert stored.made_by is None
        assert close_unshown(upgraded, [stored], [], lambda maker: True) == []
        assert upgraded.proposals.get("OLD").status is ProposalStatus.PENDING
