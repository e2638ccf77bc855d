"""Identifiers in a question are spelled out as words for the embedding model."""

from __future__ import annotations

from assistant.retrieval.spelling import spell_out_identifiers


def test_camel_and_snake_case_identifiers_gain_their_words() -> None:
    assert spell_out_identifiers("node went NotReady") == "node went NotReady (Not Ready)"
    assert (spell_out_identifiers("etcd_members_down in prod")
            == "etcd_members_down (etcd members down) in prod")
    assert spell_out_identifiers("KubeAPIDown") == "KubeAPIDown (Kube API Down)"


def test_plain_words_acronyms_and_hosts_stay_as_they_are() -> None:
    for question in ("pod keeps crashing", "what is PLEG", "node ip-10-2-3-4 is down", ""):
        assert spell_out_identifiers(question) == question
