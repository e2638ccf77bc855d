"""Pasted command output is reduced to the words that name things before a search."""

from __future__ import annotations

from assistant.retrieval.pasted_output import strip_pasted_output


def test_kubectl_table_keeps_names_and_statuses_and_drops_headers_and_measures() -> None:
    pasted = (
        "why is this node bad?\n"
        "NAME         STATUS     ROLES    AGE   VERSION\n"
        "worker-a-2   NotReady   <none>   40d   v1.27.4\n"
        "web-5c9d     0/1        CrashLoopBackOff   37   3h"
    )
    assert strip_pasted_output(pasted) == (
        "why is this node bad?\nworker-a-2 NotReady\nweb-5c9d CrashLoopBackOff"
    )


def test_header_cells_with_spaces_are_still_a_header() -> None:
    pasted = "NAME   DESIRED   NODE SELECTOR   AGE\nfluent-bit   9   <none>   210d"
    assert strip_pasted_output(pasted) == "fluent-bit"


def test_logfmt_line_keeps_its_values_and_drops_keys_and_numbers() -> None:
    line = ('ts=2024-05-01T10:00:00Z level=error msg="Notify for alerts failed" '
            'num_alerts=3 err="unexpected status code 422"')
    assert strip_pasted_output(line) == (
        'error "Notify for alerts failed" "unexpected status code "'
    )


def test_label_set_keeps_its_keys_and_drops_sample_values() -> None:
    line = 'kubelet_volume_stats_available_bytes{persistentvolumeclaim="data-pg-0"} 0.04'
    assert strip_pasted_output(line) == (
        'kubelet_volume_stats_available_bytes{persistentvolumeclaim="data-pg-0"}'
    )


def test_prose_keeps_every_number_a_person_typed() -> None:
    for question in ("too many pods on one node, close to the 110 limit",
                     "disk on worker-3 is 97% used, eth0 rx errors since v1.27 upgrade",
                     "a key=value in a sentence stays",
                     "I set replicas=3 and maxSurge=1 and it is worse",
                     "The node is at 110 pods.  It has been so for 2h.  What now?", ""):
        assert strip_pasted_output(question) == question
