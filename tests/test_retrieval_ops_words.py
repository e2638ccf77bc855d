"""Everyday ops words are followed by the runbooks' word for them."""

from __future__ import annotations

from assistant.retrieval.ops_words import spell_out_ops_words


def test_everyday_words_gain_the_runbook_word() -> None:
    assert spell_out_ops_words("a worker went NotReady, its NIC drops inbound packets") == (
        "a worker (node) went NotReady, its NIC (network interface) drops inbound (receive) "
        "packets")
    assert spell_out_ops_words("Outgoing errors, and the client Certs expire") == (
        "Outgoing (transmit) errors, and the client Certs (certificates) expire")


def test_worker_qualifying_another_thing_is_not_a_node() -> None:
    for question in ("the worker pod is in ErrImagePull", "two worker processes died",
                     "worker nodes are fine", "worker-3 is down", "mount /etc/certs", ""):
        assert spell_out_ops_words(question) == question
