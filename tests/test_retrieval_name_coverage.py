"""How much of a runbook's name a question covers, and how that reorders close calls."""

from __future__ import annotations

import numpy as np

from assistant.retrieval.lexical import NameMatcher
from assistant.retrieval.ranking import NAME_WEIGHT, rank_runbooks

NAMES = NameMatcher([
    ("Kube Node Not Ready", "KubeNodeNotReady", "KubeNodeNotReady"),
    ("Kube Node Readiness Flapping", "KubeNodeReadinessFlapping"),
    ("Kube Pod Crash Looping", "KubePodCrashLooping"),
    ("Kube Job Failed", "KubeJobFailed"),
    (),
])


def test_question_naming_the_alert_covers_it_fully() -> None:
    assert NAMES.coverage("KubeNodeNotReady firing")[0] == np.float32(1.0)
    assert NAMES.coverage("kube node not ready")[0] == np.float32(1.0)


def test_question_spelling_the_rare_name_terms_beats_a_sibling_page() -> None:
    coverage = NAMES.coverage("node went NotReady")
    assert coverage[0] > 0.8
    assert coverage[1] < coverage[0]


def test_rare_name_terms_weigh_more_than_shared_ones() -> None:
    # "kube" is in every name, "crash" in one: naming only "kube" says almost nothing.
    assert NAMES.coverage("kube")[2] < NAMES.coverage("crash")[2]
    assert NAMES.coverage("pod keeps crash looping")[2] > 0.8


def test_one_word_for_adjacent_name_parts_covers_each_part() -> None:
    # "daemonset" typed as one word is the name's "Daemon" and "Set".
    names = NameMatcher([("KubeDaemonSetNotScheduled",), ("KubeDaemonSetMisScheduled",),
                         ("KubeJobFailed",)])
    assert np.isclose(names.coverage("kube daemonset pods not scheduled")[0], 1.0)
    assert names.coverage("kube daemon set pods not scheduled")[0] == (
        names.coverage("kube daemonset pods not scheduled")[0])
    assert names.coverage("daemonset not scheduled")[1] < (
        names.coverage("daemonset not scheduled")[0])
    assert NAMES.coverage("kube pod crashlooping")[2] > 0.8


def test_unrelated_question_and_nameless_runbook_cover_nothing() -> None:
    assert not NAMES.coverage("disk full on the database host").any()
    assert NAMES.coverage("node not ready")[4] == 0.0


def test_name_coverage_decides_a_close_dense_call() -> None:
    owner = np.array([0, 1])
    dense = np.array([0.46, 0.45])
    ranked = rank_runbooks(owner, dense, np.zeros(2), 2, k=2,
                           name_coverage=np.array([0.3, 1.0]))
    assert ranked[0].runbook == 1
    assert np.isclose(ranked[0].score, 0.45 + NAME_WEIGHT)


def test_name_coverage_cannot_overturn_a_clear_dense_winner() -> None:
    owner = np.array([0, 1])
    ranked = rank_runbooks(owner, np.array([0.8, 0.4]), np.zeros(2), 2, k=1,
                           name_coverage=np.array([0.0, 1.0]))
    assert ranked[0].runbook == 0


RULES = NameMatcher([
    ("Prometheus Rule Failures", "PrometheusRuleFailures"),
    ("Prometheus Missing Rule Evaluations", "PrometheusMissingRuleEvaluations"),
    ("Kubelet Server Certificate Expiration", "KubeletServerCertificateExpiration"),
    ("Kubelet Client Certificate Expiration", "KubeletClientCertificateExpiration"),
    ("Kube Client Certificate Expiration", "KubeClientCertificateExpiration"),
])


def test_a_name_term_stemmed_differently_in_the_question_still_counts() -> None:
    # "failing" stems to "fail", "Failures" to "failur"; "serving" to "serv", "Server"
    # to "server".
    assert RULES.coverage("rules failing")[0] > RULES.coverage("rules")[0]
    serving = RULES.coverage("kubelet serving certificate expires")
    assert serving[2] > serving[3]


def test_a_short_stem_does_not_reach_a_longer_different_word() -> None:
    # "kube" is three letters short of "kubelet": a different component, not a suffix.
    assert RULES.coverage("kube")[2] == 0.0
    assert RULES.coverage("kube")[4] > 0.0
