"""A question is searched by its names: pasted output reduced, short names spelled out."""

from __future__ import annotations

from assistant.retrieval.search_text import search_text


def test_pasted_table_short_names_and_interfaces_are_all_read() -> None:
    question = ("kubectl get sts\n"
                "NAME        READY   AGE\n"
                "zookeeper   2/3     71d\n"
                "node lost eth1 before that, pod-0 in ErrImagePull")
    assert search_text(question) == (
        "kubectl get sts (StatefulSet)\nzookeeper\n"
        "node lost eth1 (network interface) before that, "
        "pod-0 in ErrImagePull (container waiting)")


def test_question_that_is_only_pasted_output_is_searched_as_it_is() -> None:
    header = "NAME   READY   STATUS   RESTARTS   AGE"
    assert search_text(header) == header
