"""The words that only frame a question as a request for help are not searched."""

from __future__ import annotations

from assistant.retrieval.question_frame import drop_question_frame
from assistant.retrieval.search_text import search_text


def test_asking_for_the_page_leaves_what_it_is_about() -> None:
    assert drop_question_frame("which page tells me how to expand a persistent volume claim?") == (
        "expand a persistent volume claim?")
    assert drop_question_frame("what runbook do I use when kubectl top stops working?") == (
        "kubectl top stops working?")
    assert drop_question_frame("HPA stuck. which runbook do I link in the ticket?") == (
        "HPA stuck. ?")


def test_asking_what_to_do_next_leaves_the_symptom() -> None:
    assert drop_question_frame("node notready since 2 hour, what is next step, i am tired") == (
        "node notready since 2 hour, , i am tired")
    assert drop_question_frame("please help, my deployment is missing replicas") == (
        "my deployment is missing replicas")
    assert drop_question_frame("etcd calls time out. Where do I start?") == "etcd calls time out. ?"


def test_the_askers_role_is_not_searched() -> None:
    assert drop_question_frame("Incident commander here: no page ever arrived") == (
        "no page ever arrived")


def test_a_question_that_is_only_a_frame_is_searched_as_it_is() -> None:
    for question in ("what now?", "what do I do", "Please help!"):
        assert drop_question_frame(question) == question


def test_words_of_the_frame_inside_a_symptom_stay() -> None:
    for question in ("the status page tells me nothing", "next step of the rollout hangs",
                     "the help page is down"):
        assert drop_question_frame(question) == question


def test_search_text_drops_the_frame() -> None:
    assert search_text("which runbook covers a flapping NIC?") == (
        "a flapping NIC (network interface)?")
