"""An action the asker only wonders about ("can we just roll it back?") is checked against
the evidence and answered, even when no runbook step or finding offered it."""

import pytest

from assistant.analysis import Contradiction, Finding, Remedy, Subject
from assistant.models import ToolCall
from assistant.planning.diagnosis import hypotheses_answered
from assistant.planning.entities import LinkedEntities
from assistant.planning.intent import Ask, asks_by, remedies_asked
from assistant.planning.offline import PlannedCall

KILN = LinkedEntities(namespace="kiln", deployment="glaze-api", service="glaze-api")
LEAK = Finding(
    kind="memory-exhaustion", subject=Subject(namespace="kiln", workload="glaze-api"),
    summary="containers are OOMKilled", supports=(Remedy.RESTART,),
    contradicts=(Contradiction(remedy=Remedy.ROLLBACK,
                               why="rollback not indicated: revision 12 has run 6 d"),))
RESTART = PlannedCall(call=ToolCall(tool="restart_deployment",
                                    args={"namespace": "kiln", "deployment": "glaze-api"}),
                      why="a restart resets memory", runbook_id=None, step_index=None)


def _notes(question: str, findings: tuple[Finding, ...] = (LEAK,),
           candidates: tuple[PlannedCall, ...] = (RESTART,)) -> list[str]:
    return hypotheses_answered(KILN, findings, asks_by(question, {"glaze-api"}), candidates)


def test_a_wondered_about_rollback_is_answered_with_the_evidence_against_it() -> None:
    assert _notes("glaze-api keeps dying, would rolling it back help?") == [
        "you asked about a rollback: not proposed — rollback not indicated: revision 12 has "
        "run 6 d"]


def test_an_action_nothing_calls_for_says_what_was_found_instead() -> None:
    notes = _notes("glaze-api keeps dying, should we add replicas?")
    assert notes == ["you asked about a scale-out: not proposed — what I found (containers "
                     "are OOMKilled) does not call for one"]


def test_an_action_already_on_the_card_or_forbidden_or_unmentioned_gets_no_note() -> None:
    assert _notes("glaze-api keeps dying, should we restart it?") == []
    assert _notes("glaze-api keeps dying; don't roll it back") == []
    assert _notes("glaze-api keeps dying, what now?") == []


def test_a_healthy_subject_is_left_to_the_healthy_summary() -> None:
    healthy = Finding(kind="healthy", subject=Subject(namespace="kiln", workload="glaze-api"),
                      summary="all 3 pods ready; error ratio flat")
    assert _notes("should we add replicas to glaze-api?", (healthy,), ()) == []


def test_an_action_word_reporting_what_happened_brings_up_no_action() -> None:
    for question in ("glaze-api shows a restart too, is it leaking?",
                     "I see 3 restarts on glaze-api since noon",
                     "there was a rollback of glaze-api at 3am, did it help?"):
        asked = asks_by(question, {"glaze-api"})
        assert asked("restart_deployment", "glaze-api") is Ask.NONE, question
        assert asked("rollback_deployment", "glaze-api") is Ask.NONE, question
    assert asks_by("give glaze-api a quick restart", {"glaze-api"})(
        "restart_deployment", "glaze-api") is Ask.ORDERS
    # The report first, then the order: the order still counts.
    assert asks_by("glaze-api shows a restart so restart it", {"glaze-api"})(
        "restart_deployment", "glaze-api") is Ask.ORDERS


@pytest.mark.parametrize("question", [
    "glaze-api restart count is high, users wait",  # a noun the action's word modifies
    "glaze-api rollback history looks odd since noon",
    "the glaze-api restarts are high and the restart count keeps growing",
    "the rollback was slow on glaze-api",  # the subject of a verb that reports
    "glaze-api restart keeps happening",
    "glaze-api is restart many times, why?",  # a non-native passive
    "glaze-api was rollback at 3am",
    "the glaze-api rollback failed halfway",
])
def test_an_action_word_used_as_a_noun_for_what_happened_asks_for_nothing(
        question: str) -> None:
    asked = asks_by(question, {"glaze-api"})
    assert asked("restart_deployment", "glaze-api") is Ask.NONE
    assert asked("rollback_deployment", "glaze-api") is Ask.NONE
    assert remedies_asked(question) == frozenset()


@pytest.mark.parametrize(("question", "tool"), [
    ("restart it", "restart_deployment"),
    ("restart glaze-api now", "restart_deployment"),
    ("please restart", "restart_deployment"),
    ("restart the pods", "restart_deployment"),
    ("restart count is high, so restart glaze-api", "restart_deployment"),
    ("a rollback is needed on glaze-api", "rollback_deployment"),
    ("the fix is rollback", "rollback_deployment"),
    ("restart stuck pods of glaze-api", "restart_deployment"),
    ("restart failed pods", "restart_deployment"),
    ("restart keep-alive-proxy", "restart_deployment"),
])
def test_an_imperative_beside_an_action_noun_still_orders(question: str, tool: str) -> None:
    assert asks_by(question, {"glaze-api"})(tool, "glaze-api") is Ask.ORDERS
