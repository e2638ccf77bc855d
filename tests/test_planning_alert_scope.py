"""A thread that came with an alert acts on that alert: a sibling firing with the same name
and another label value is neither its subject nor what its calls act on."""

from __future__ import annotations

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import ToolCall
from assistant.planning.alert_scope import within_thread_alert
from assistant.planning.entities import LinkedEntities
from assistant.planning.offline import PlannedCall, focus_findings

PAGED = LinkedEntities(namespace="ingest", deployment="feed-puller", alertname="FeedStale",
                       paged_labels=(("deployment", "feed-puller"), ("feed", "harbor"),
                                     ("namespace", "ingest"), ("severity", "page")))
# The sibling fires inside a change window: a silence is right for it, not for the page.
SIBLING_IN_WINDOW = Finding(
    kind="change-window",
    subject=Subject(namespace="ingest", alertname="FeedStale",
                    labels={"namespace": "ingest", "feed": "nordic"}),
    summary="fires inside a declared change window", supports=(Remedy.SILENCE,),
    alert_labels={"namespace": "ingest", "deployment": "feed-puller", "feed": "nordic"})


def _silence(matchers: dict[str, str]) -> PlannedCall:
    return PlannedCall(call=ToolCall(tool="silence_alert", args={
        "alertname": "FeedStale", "matchers": matchers}), why="step 3 of feed-stale",
        runbook_id="feed-stale", step_index=2)


def test_a_sibling_alert_s_finding_is_not_about_the_paged_alert() -> None:
    assert focus_findings([SIBLING_IN_WINDOW], PAGED) == []
    unpaged = PAGED.model_copy(update={"paged_labels": ()})
    assert focus_findings([SIBLING_IN_WINDOW], unpaged) == [SIBLING_IN_WINDOW]


def test_a_silence_of_the_thread_s_alert_name_is_narrowed_to_the_paged_alert() -> None:
    (cand,) = within_thread_alert([_silence({"namespace": "ingest"})], PAGED)
    assert cand.call.args["matchers"] == {"namespace": "ingest", "deployment": "feed-puller",
                                          "feed": "harbor"}


def test_the_paged_alert_s_labels_win_over_a_sibling_s() -> None:
    (cand,) = within_thread_alert([_silence({"namespace": "ingest", "feed": "nordic"})], PAGED)
    assert cand.call.args["matchers"]["feed"] == "harbor"


def test_calls_on_other_alerts_and_threads_without_an_alert_are_left_alone() -> None:
    other = PlannedCall(call=ToolCall(tool="silence_alert", args={
        "alertname": "DiskFull", "matchers": {"namespace": "ingest"}}), why="",
        runbook_id=None, step_index=None)
    assert within_thread_alert([other], PAGED) == (other,)
    silence = _silence({"namespace": "ingest"})
    unpaged = PAGED.model_copy(update={"paged_labels": ()})
    assert within_thread_alert([silence], unpaged) == (silence,)
