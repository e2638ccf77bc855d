"""The Slack adapter's own tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from assistant.slack.records import SlackRecords

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.fixture
def records(db_url: str) -> Iterator[SlackRecords]:
    opened = SlackRecords.open(db_url)
    SlackRecords.open(db_url).close()  # a second replica starting on the same database
    yield opened
    opened.close()


def test_threads_are_remembered_per_channel_newest_first(records: SlackRecords) -> None:
    assert records.remember_thread("C1", "1.1", T0)
    assert not records.remember_thread("C1", "1.1", T0 + timedelta(minutes=5))
    assert records.remember_thread("C1", "2.2", T0 + timedelta(minutes=1))
    assert records.remember_thread("C2", "3.3", T0)
    assert records.knows_thread("C1", "2.2") and not records.knows_thread("C2", "1.1")
    assert [t.id for t in records.recent_threads("C1", 10)] == ["slack:C1:1.1", "slack:C1:2.2"]


def test_cards_keep_their_message_and_last_rendering(records: SlackRecords) -> None:
    records.save_card("p-1", "C1", "1.1", "1.5", "digest-a")
    records.save_card("p-2", "C1", "1.1", "1.6", "digest-b")
    records.save_card("p-3", "C1", "9.9", "9.95", "digest-c")
    records.set_card_rendered("p-1", "digest-z")
    assert [(c.proposal_id, c.ts, c.rendered) for c in records.cards_in_thread("C1", "1.1")] \
        == [("p-1", "1.5", "digest-z"), ("p-2", "1.6", "digest-b")]


def test_one_claimant_opens_an_alert_group_and_a_failed_opening_can_be_retried(
        records: SlackRecords) -> None:
    assert records.claim_alert_group("g1", "C1", T0)
    assert not records.claim_alert_group("g1", "C1", T0)
    records.release_alert_group("g1")
    assert records.claim_alert_group("g1", "C1", T0)
    # The opener died before posting: after a while one other caller may take over.
    assert not records.take_over_alert_group("g1", T0, T0 + timedelta(minutes=1))
    later = T0 + timedelta(minutes=10)
    assert records.take_over_alert_group("g1", later - timedelta(minutes=5), later)
    assert not records.take_over_alert_group("g1", later - timedelta(minutes=5), later)
    records.update_alert_group("g1", status="firing", fingerprints=("b", "a"), now=T0,
                               thread_ts="5.5")
    records.release_alert_group("g1")  # has a thread now: stays
    group = records.alert_group("g1")
    assert group is not None
    assert (group.thread_ts, group.status, group.fingerprints) == ("5.5", "firing", ("a", "b"))
    records.update_alert_group("g1", status="resolved", fingerprints=(), now=T0)
    assert records.alert_group("g1").thread_ts == "5.5"  # type: ignore[union-attr]
    assert records.firing_alert_groups("C1") == []


def test_a_slack_thread_id_splits_back_into_channel_and_ts() -> None:
    from assistant.slack.records import split_thread_id, thread_id

    assert split_thread_id(thread_id("C0X", "1710000000.000100")) == ("C0X",
                                                                      "1710000000.000100")
    assert split_thread_id("cli-1234abcd") is None
    assert split_thread_id("demo-checkout-bad-deploy") is None


def test_an_event_is_taken_once_across_replicas_and_redeliveries_are_counted(
        records: SlackRecords, db_url: str) -> None:
    other_replica = SlackRecords.open(db_url)
    try:
        assert records.take_event("Ev0DUPE", "replica-a", T0)
        assert not other_replica.take_event("Ev0DUPE", "replica-b", T0)
        assert not records.take_event("Ev0DUPE", "replica-a", T0 + timedelta(minutes=1))
        assert other_replica.event_taker("Ev0DUPE") == ("replica-a", 3)
        assert other_replica.event_taker("Ev0NEVER") is None
    finally:
        other_replica.close()


def test_events_older_than_the_retry_horizon_are_forgotten(records: SlackRecords) -> None:
    records.take_event("Ev0OLD", "replica-a", T0)
    records.take_event("Ev0NEW", "replica-a", T0 + timedelta(hours=2))
    assert records.forget_events(T0 + timedelta(hours=1)) == 1
    assert records.event_taker("Ev0OLD") is None
    assert records.event_taker("Ev0NEW") == ("replica-a", 1)


def test_of_replicas_acting_at_one_instant_one_claims_the_incidents_first_action(
        db_url: str) -> None:
    replicas = [SlackRecords.open(db_url) for _ in range(4)]  # a connection pool each
    start = threading.Barrier(len(replicas))
    won: dict[int, bool] = {}

    def act(n: int) -> None:
        start.wait()
        won[n] = replicas[n].claim_first_action("slack:C1:1.1", T0, f"p-{n}",
                                                T0 + timedelta(minutes=3))

    racers = [threading.Thread(target=act, args=(n,)) for n in range(len(replicas))]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    try:
        assert len(won) == len(replicas) and sum(won.values()) == 1
        later = replicas[0]
        assert not later.claim_first_action("slack:C1:1.1", T0, "p-late", T0)
        # The same group firing again after it resolved is a new incident in that thread.
        assert later.claim_first_action("slack:C1:1.1", T0 + timedelta(hours=1), "p-9", T0)
    finally:
        for replica in replicas:
            replica.close()
