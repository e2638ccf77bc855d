"""Identifier-aware tokens and BM25."""

from __future__ import annotations

from assistant.retrieval.lexical import Bm25, tokenize
from assistant.retrieval.snippet import snippet


def test_identifiers_split_into_parts_and_stay_whole() -> None:
    terms = tokenize("KubeletPlegDurationHigh etcd_disk_wal_fsync CrashLoopBackOff")
    for term in ("kubeletplegdurationhigh", "pleg", "etcddiskwalfsync", "fsync", "crashloopbackoff",
                 "crash", "loop"):
        assert term in terms
    assert tokenize("the pods are restarting") == ["pod", "restart"]


def test_bm25_prefers_rare_terms_and_ignores_unknown_ones() -> None:
    bm25 = Bm25([tokenize("node disk is full"), tokenize("node conntrack table is full"),
                 tokenize("node cpu busy")])
    scores = bm25.scores(tokenize("conntrack full xyzzy"))
    assert scores.argmax() == 1
    assert scores[2] == 0.0
    assert Bm25([]).scores(["a"]).size == 0


def test_snippet_starts_at_the_line_that_matches() -> None:
    text = "Intro line.\nCheck the conntrack table.\nThen more."
    assert snippet(text, "conntrack") == "Check the conntrack table. Then more."
    assert snippet(text, "unrelated") == "Intro line. Check the conntrack table. Then more."
    assert snippet("word " * 100, "word", width=20).endswith("…")


def test_direction_words_that_name_a_state_are_terms() -> None:
    assert "down" in tokenize("is the api server down?")
    assert "up" in tokenize("disk filling up on worker-3")
    assert tokenize("KubeAPIDown").count("down") == 1
    assert "the" not in tokenize("the api is down")


def test_quantifiers_that_tell_sibling_alerts_apart_are_terms() -> None:
    # "All instances failed" and "at least one instance failed" are two alerts.
    bm25 = Bm25([tokenize("All instances failed to send"),
                 tokenize("At least one instance failed to send")])
    scores = bm25.scores(tokenize("all replicas failed to send"))
    assert scores[0] > scores[1]
    assert {"ani", "some", "onli", "no"} <= set(tokenize("any or some, only no"))


def test_lone_letters_and_digits_cut_from_an_identifier_are_not_terms() -> None:
    terms = tokenize("metrics.k8s.io down since v1 upgrade, eth0 errors")
    assert "k8s" in terms and "v1" in terms and "eth0" in terms
    for fragment in ("k", "8", "s", "v", "1", "0"):
        assert fragment not in terms
    assert "3" in tokenize("worker 3 is down")
