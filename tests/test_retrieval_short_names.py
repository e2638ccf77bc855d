"""kubectl short names and interface counters are spelled out for the search."""

from __future__ import annotations

from assistant.retrieval.short_names import spell_out_short_names


def test_kubectl_short_names_gain_the_kind_they_stand_for() -> None:
    assert spell_out_short_names("kubectl -n data get sts") == (
        "kubectl -n data get sts (StatefulSet)")
    assert spell_out_short_names("HPA pinned, two PVCs full") == (
        "HPA (HorizontalPodAutoscaler) pinned, two PVCs (PersistentVolumeClaim) full")


def test_interface_counters_gain_their_direction() -> None:
    assert spell_out_short_names("eth0 rx errs, tx ok") == (
        "eth0 rx (receive) errs, tx (transmit) ok")


def test_words_and_names_that_only_contain_a_short_name_stay() -> None:
    for question in ("no deploy went out", "pod kube-sts-0 in /var/rx", "status of the dsn",
                     "limits and quota", ""):
        assert spell_out_short_names(question) == question
