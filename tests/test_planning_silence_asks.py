"""A silence the asker asks for takes the length and the firing alert their own words give,
never ones from pasted text, and never a scope no firing alert carries."""

from __future__ import annotations

import pytest

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import AlertInfo, Inventory, ToolCall
from assistant.planning.offline import PlannedCall
from assistant.planning.silence_asks import named_labels, stated_minutes, with_silence_asks

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
    ("mute it for 2h", 120), ("silence for 90 minutes", 90), ("for an hour please", 60),
    ("for the next 30m", 30), ("for half an hour", 30), ("for 1 day", 1440),
    ("silence it till 6", None), ("for 2h, no, for 3h", None), ("at 10:30", None),
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
    asked = with_silence_asks(question, [SILENCE], INVENTORY)
    assert asked.candidates == (SILENCE,)


def test_a_length_beyond_what_the_tool_allows_is_not_used_and_said() -> None:
    asked = with_silence_asks("silence it for 30 days", [SILENCE], INVENTORY)
    assert asked.candidates == (SILENCE,)
    assert asked.notes and "43200-minute" in asked.notes[0]



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
    nordic = with_silence_asks("mute nordic-pub", [DRAFTED], FEEDS, [IN_WINDOW])
    assert nordic.candidates[0].call.args["matchers"] == {"namespace": "ingest",
                                                          "feed": "nordic-pub"}

