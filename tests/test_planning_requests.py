import pytest

from assistant.planning.requests import (
    requested_replicas,
    requested_values,
    unclear_values,
)


def test_explicit_replica_count_is_read_but_not_durations_or_percentages():
    assert requested_replicas("scale search-api to 12") == 12
    assert requested_replicas("give it 6 replicas") == 6
    assert requested_replicas("latency up to 90 percent") is None
    assert requested_replicas("silence it to 30 minutes") is None
    assert requested_replicas("why is it slow") is None


@pytest.mark.parametrize("text", [
    "restart count is at 48",
    "scale journal-store back up at 9",
    "the autoscaler has sat at 20/20 replicas",
    "scale journal-store up by 2 replicas",
    "scale journal-store down 2 pods",
    "scale journal-store to 3 or 5",
    "scale journal-store to 3-5",
    "scale journal-store to 2.5x",
    "journal-store is at 96% cpu on all 5 pods, scale it out",
    "it has 3 replicas and they are all pegged, scale it",
    "the 4 pods of journal-store are slow, add capacity",
])
def test_a_count_that_is_not_one_stated_target_is_no_replica_count(text: str) -> None:
    assert requested_replicas(text) is None
    assert "replicas" not in requested_values(text)


def test_a_time_in_the_sentence_is_not_the_replica_count() -> None:
    assert requested_values("scale journal-store at 10:30 to 5") == {"replicas": 5}
    assert requested_values("from 10 replicas to 4") == {"replicas": 4}


@pytest.mark.parametrize("text", [
    "roll back journal-store from revision 13",
    "roll back journal-store since revision 13 broke it",
    "roll back journal-store after rev 13 went out",
])
def test_the_revision_rolled_back_from_is_not_the_revision_to_roll_back_to(text: str) -> None:
    assert "revision" not in requested_values(text)
    assert unclear_values(text) == []


@pytest.mark.parametrize(("text", "unclear"), [
    ("roll back journal-store to revision 3 or 4", ["revision"]),
    ("roll back journal-store revision 3", ["revision"]),
    ("scale journal-store to 3 or 5", ["replicas"]),
    ("scale journal-store to 5 replicas, no 6", ["replicas"]),
])
def test_a_value_stated_more_than_one_way_is_unclear(text: str, unclear: list[str]) -> None:
    assert unclear_values(text) == unclear
    assert requested_values(text) == {}


def test_one_stated_target_is_read() -> None:
    assert requested_values("roll back journal-store to revision 3") == {"revision": 3}
    assert requested_values("roll back journal-store from rev 13 to rev 12") == {"revision": 12}
    assert requested_values("scale journal-store to 5 replicas") == {"replicas": 5}
