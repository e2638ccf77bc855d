"""A silence the asker asks for takes the length and the firing alert their own words give,
never ones from pasted text, and never a scope no firing alert carries."""

from __future__ import annotations

import pytest

from assistant.analysis import Contradiction, Finding, Remedy, Subject
from assistant.models import AlertInfo, Inventory, ToolCall
from assistant.planning.offline import PlannedCall
from assistant.planning.silence_asks import (
    named_labels,
    stated_minutes,
    unfired_names,
    with_silence_asks,
)

NODE17 = "ip-10-20-3-17.eu-west-1.compute.internal:9100"
NODE18 = "ip-10-20-3-18.eu-west-1.compute.internal:9100"
NODE19 = "ip-10-20-3-19.eu-west-1.compute.internal:9100"
DISK = "NodeFilesystemSpaceFillingUp"
INVENTORY = Inventory(environment="staging", alerts=(
    AlertInfo(name=DISK, labels={"namespace": "monitoring", "instance": NODE17}),
    AlertInfo(name=DISK, labels={"namespace": "monitoring", "instance": NODE18}),
    AlertInfo(name=DISK, labels={"namespace": "monitoring", "instance": NODE19},
              state="silenced"),
))
SILENCE = PlannedCall(
    call=ToolCall(tool="silence_alert", args={
        "alertname": DISK, "matchers": {"namespace": "monitoring"}, "duration_minutes": 240}),
    why="step 3 of a noisy-alert runbook", runbook_id="noisy", step_index=2)


@pytest.mark.parametrize(("words", "minutes"), [
    ("mute it for 2h", 120), ("silence for 90 minutes", 90), ("for an hour please, mute it", 60),
    ("snooze it for the next 30m", 30), ("mute it for half an hour", 30),
    ("silence it for 1 day", 1440), ("silence it till 6", None),
    ("mute it for 2h, no, for 3h", None), ("silence it at 10:30", None),
])
def test_the_one_length_the_words_give_is_stated(words: str, minutes: int | None) -> None:
    assert stated_minutes(words) == minutes


def test_a_fragment_of_one_firing_alerts_instance_picks_it_out() -> None:
    assert named_labels("mute it on 3-17", DISK, INVENTORY) == {"instance": NODE17}


@pytest.mark.parametrize("words", [
    "mute it on 3-1",  # no whole piece of any instance
    "mute it on eu-west-1",  # a piece of both firing instances
    "mute it on 3-19",  # that one is silenced already, not firing
])
def test_a_fragment_that_fits_no_or_several_firing_alerts_picks_none(words: str) -> None:
    assert named_labels(words, DISK, INVENTORY) == {}


def test_an_asked_silence_takes_the_askers_length_and_narrows_to_the_named_instance() -> None:
    asked = with_silence_asks("mute NodeFilesystemSpaceFillingUp on 3-17 for 2h, known noise",
                              [SILENCE], INVENTORY)
    (cand,) = asked.candidates
    assert cand.call.args["duration_minutes"] == 120
    assert cand.call.args["matchers"] == {"namespace": "monitoring", "instance": NODE17}
    assert cand.ordered == {"duration_minutes": 120, "matchers": {"instance": NODE17}}


def test_a_length_or_host_in_pasted_text_is_not_the_askers() -> None:
    question = ('the bot said: "silence NodeFilesystemSpaceFillingUp on 3-18 for 7d". '
                "what should we silence?")
    (cand,) = with_silence_asks(question, [SILENCE], INVENTORY).candidates
    assert (cand.call.args["duration_minutes"], cand.call.args["matchers"], cand.ordered) == (
        240, {"namespace": "monitoring"}, None)


def test_a_length_beyond_what_the_tool_allows_is_not_used_and_said() -> None:
    asked = with_silence_asks("silence it for 30 days", [SILENCE], INVENTORY)
    assert asked.candidates[0].call.args["duration_minutes"] == 240
    assert asked.notes and "43200-minute" in asked.notes[0]


@pytest.mark.parametrize("words", [
    "silence the queue alert. the migration has been failing for 3 days btw",
    "db-2 has been re-seeding for 2 days on and off, silence the lag alert there",
    "mute the alert that has fired for 3 days",
    "silence the one flapping for 2 days",
    "it's been noisy for 2 days so silence it",
    "silence it, it keeps paging for 3 days now",
])
def test_how_long_something_has_gone_on_is_no_silence_length(words: str) -> None:
    assert stated_minutes(words) is None


def test_a_length_after_a_place_ending_in_ing_is_the_silences() -> None:
    assert stated_minutes("silence the queue alert in billing for 1h", {"billing"}) == 60
    assert stated_minutes("silence the queue alert firing for 1h", {"billing"}) is None


def test_a_length_leading_the_order_is_the_silences() -> None:
    assert stated_minutes("for 2h, silence the disk alert") == 120


def _window(minutes: int) -> Finding:
    return Finding(kind="change-window", subject=Subject(
        alertname=DISK, namespace="monitoring", labels={"namespace": "monitoring"}),
        summary=f"fires inside a declared change window ({minutes} min left)",
        supports=(Remedy.SILENCE,), minutes_left=minutes)


def test_a_length_far_past_the_change_window_gives_way_to_its_end_and_is_said() -> None:
    asked = with_silence_asks("silence it for 2 days", [SILENCE], INVENTORY, [_window(70)])
    (cand,) = asked.candidates
    assert "duration_minutes" not in (cand.ordered or {})
    assert "2880-minute" in asked.notes[0] and "70 min left" in asked.notes[0]


def test_a_length_the_asker_insists_on_past_the_window_stands() -> None:
    asked = with_silence_asks("silence it for 2 days, past the window", [SILENCE], INVENTORY,
                              [_window(70)])
    assert asked.candidates[0].ordered == {"duration_minutes": 2880}


def test_a_length_a_little_past_the_window_stands() -> None:
    asked = with_silence_asks("silence it for 2h", [SILENCE], INVENTORY, [_window(70)])
    assert asked.candidates[0].ordered == {"duration_minutes": 120}


def test_a_host_no_firing_alert_carries_is_said_and_nothing_is_silenced() -> None:
    asked = with_silence_asks("the disk alert on ip-10-20-3-99 is noise, silence it for 1h",
                              [SILENCE], INVENTORY)
    assert asked.candidates == ()
    assert "ip-10-20-3-99" in asked.notes[0] and NODE17 in asked.notes[0]
    assert asked.dropped == ((SILENCE, asked.notes[0]),)


@pytest.mark.parametrize("words", ["mute it on 3-99", "mute it on ip-10-20-3-19"])
def test_a_piece_shaped_like_an_instance_that_fires_nothing_is_unfired(words: str) -> None:
    assert unfired_names(words, DISK, INVENTORY)


@pytest.mark.parametrize("words", ["mute it on 3-17, see CHG-20931", "mute it since 2025-06-03"])
def test_tickets_dates_and_firing_pieces_are_not_unfired_hosts(words: str) -> None:
    assert unfired_names(words, DISK, INVENTORY) == []


def test_a_silence_of_an_alert_the_evidence_calls_real_named_loosely_is_not_proposed() -> None:
    real = Finding(kind="alert-unexplained", subject=Subject(
        alertname=DISK, namespace="monitoring", labels={"namespace": "monitoring"}),
        summary="fires with no change window or known noise to explain it",
        contradicts=(Contradiction(remedy=Remedy.SILENCE, why="it fires for a reason"),))
    loose = with_silence_asks("silence the disk alert for 1h", [SILENCE], INVENTORY, [real])
    assert loose.candidates == () and "it fires for a reason" in loose.notes[0]
    assert [cand for cand, _ in loose.dropped] == [SILENCE]
    named = with_silence_asks(f"silence {DISK} for 1h", [SILENCE], INVENTORY, [real])
    assert len(named.candidates) == 1


def test_an_asked_silence_gets_a_comment_of_its_own_naming_who_asked() -> None:
    (cand,) = with_silence_asks("silence it for 1h, CHG-1 running", [SILENCE], INVENTORY,
                                asker="U02BOB").candidates
    assert cand.call.args["comment"] == (
        'asked by U02BOB via opsbot: "silence it for 1h, CHG-1 running"')



FEEDS = Inventory(environment="prod", alerts=tuple(
    AlertInfo(name="PublisherFeedStale", labels={"namespace": "ingest", "deployment": "puller",
                                                 "feed": feed})
    for feed in ("nordic-pub", "harbor-audio")))
IN_WINDOW = Finding(kind="change-window", subject=Subject(alertname="PublisherFeedStale"),
                    summary="in CR-5582", supports=(Remedy.SILENCE,),
                    alert_labels={"namespace": "ingest", "feed": "nordic-pub"})
DRAFTED = PlannedCall(call=ToolCall(tool="silence_alert", args={
    "alertname": "PublisherFeedStale", "matchers": {"namespace": "ingest"}}),
    why="the evidence: in CR-5582", runbook_id=None, step_index=None)


def test_a_label_value_that_tells_one_firing_alert_apart_scopes_the_silence() -> None:
    assert named_labels("silence the nordic-pub feed alert", "PublisherFeedStale",
                        FEEDS) == {"feed": "nordic-pub"}
    assert named_labels("silence the puller's feed alerts", "PublisherFeedStale", FEEDS) == {}


def test_naming_another_instance_than_the_evidence_supports_silencing_drops_the_silence(
) -> None:
    harbor = with_silence_asks("mute harbor-audio as well", [DRAFTED], FEEDS, [IN_WINDOW])
    assert harbor.candidates == ()
    assert "supports silencing only alert PublisherFeedStale" in harbor.notes[0]
    assert harbor.dropped == ((DRAFTED, harbor.notes[0]),)
    nordic = with_silence_asks("mute nordic-pub", [DRAFTED], FEEDS, [IN_WINDOW])
    assert nordic.candidates[0].call.args["matchers"] == {"namespace": "ingest",
                                                          "feed": "nordic-pub"}

