"""Clauses where the asker rules a symptom out are dropped from the search text."""

from __future__ import annotations

from assistant.retrieval.ruled_out import drop_ruled_out
from assistant.retrieval.search_text import search_text


def test_a_clause_saying_something_is_fine_is_dropped() -> None:
    assert drop_ruled_out("receive errors climbing on ens3, transmit side looks clean") == (
        "receive errors climbing on ens3,")
    assert drop_ruled_out("node disks are fine at 50%, but the PVC is at 95%") == (
        "but the PVC is at 95%")
    assert drop_ruled_out("the image runs fine locally but crashes right after start") == (
        "but crashes right after start")


def test_a_clause_pointing_back_rules_out_the_one_before_it() -> None:
    assert drop_ruled_out("the throttling alert fires but that's normal for us; "
                          "the consumer has 2 of 5 replicas") == "the consumer has 2 of 5 replicas"
    assert drop_ruled_out("the config is identical, so not a config problem; but half the "
                          "instances are down") == "but half the instances are down"


def test_asking_or_denying_rules_nothing_out() -> None:
    for question in ("the kubelet and apiserver run different versions, it is okay?",
                     "does the node look healthy, or is it the disk",
                     "the pods don't look healthy after the deploy",
                     "why would a pod never become ready when the app logs look fine?",
                     "latency is not normal since noon"):
        assert drop_ruled_out(question) == question


def test_dots_inside_names_and_versions_do_not_end_a_clause() -> None:
    question = "alertmanager.yml on v0.27.0 is fine, but 10.96.0.1:443 times out"
    assert drop_ruled_out(question) == "but 10.96.0.1:443 times out"


def test_a_question_that_only_rules_things_out_is_searched_as_it_is() -> None:
    assert drop_ruled_out("the nodes look fine, the pods are healthy") == (
        "the nodes look fine, the pods are healthy")


def test_search_text_drops_the_ruled_out_clause_before_spelling_out() -> None:
    assert search_text("the NIC looks fine, but outgoing packets drop") == (
        "but outgoing (transmit) packets drop")


def test_a_clause_without_a_subject_leaves_the_one_before_it() -> None:
    assert drop_ruled_out("disk on worker-2 at 95%, looks fine otherwise") == (
        "disk on worker-2 at 95%,")


def test_saying_the_others_are_fine_is_kept_as_the_troubles_reach() -> None:
    for question in ("payroll-api-7d9f4-qk2vn has been unready for an hour, the others are fine",
                     "one replica fails to send, the other two look healthy",
                     "node-19 drops packets while the rest are fine"):
        assert drop_ruled_out(question) == question
