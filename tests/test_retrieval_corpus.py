"""Retrieval over the real prometheus-operator runbooks with the real embedding model.

The index is built once per session; the quality gate asserts the targets of the
retrieval issue on the shared question set (a quality bar, not a timing).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from assistant.retrieval.embedding import shared_embedder
from assistant.retrieval.evaluation import load_retrieval_suite, measure
from assistant.retrieval.index import RunbookIndex
from assistant.retrieval.loading import load_runbooks

SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpora" / "prometheus-operator-runbooks"
SUITE = SHARED / "evals" / "real-runbooks.yaml"

pytestmark = pytest.mark.skipif(
    not (CORPUS.is_dir() and SUITE.is_file()),
    reason=f"the shared runbook corpus and question set are not beside this checkout ({SHARED})",
)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunbookIndex]:
    index = RunbookIndex.open(tmp_path_factory.mktemp("corpus-index"), shared_embedder())
    report = load_runbooks([CORPUS])
    assert not report.errors
    index.sync(report.runbooks)
    yield index


@pytest.mark.slow
def test_whole_corpus_loads(corpus_index: RunbookIndex) -> None:
    runbooks = corpus_index.runbooks
    assert len(runbooks) == 108
    crash = corpus_index.get("KubePodCrashLooping")
    assert crash.title == "Kube Pod Crash Looping"
    assert crash.alerts == ("KubePodCrashLooping",)
    assert [s.heading for s in crash.sections] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]


def test_real_runbooks_suite_meets_the_quality_targets(corpus_index: RunbookIndex) -> None:
    suite = load_retrieval_suite(SUITE)
    assert suite.runbook_dirs == (CORPUS.resolve(),)
    report = measure(corpus_index, suite)
    summary = (f"hit@1={report.hit_at_1:.3f} hit@{report.k}={report.hit_at_k:.3f} "
               f"MRR={report.mrr:.3f} misses="
               f"{[(m.case.id, m.rank, m.got) for m in report.misses]}")
    print(summary)
    assert report.cases == 30
    assert report.hit_at_k >= 0.95, summary
    assert report.hit_at_1 >= 0.80, summary


def test_jargon_term_finds_its_runbook(corpus_index: RunbookIndex) -> None:
    assert corpus_index.search("PLEG", k=3)[0].runbook_id == "KubeletPlegDurationHigh"
    hits = corpus_index.search("conntrack table is full", k=3)
    assert hits[0].runbook_id == "NodeHighNumberConntrackEntriesUsed"
    assert hits[0].section is not None and "conntrack" in hits[0].section.text


def test_alert_label_puts_that_runbook_first(corpus_index: RunbookIndex) -> None:
    question = "pods keep restarting over and over"
    assert corpus_index.search(question, k=1)[0].runbook_id == "KubePodCrashLooping"
    hits = corpus_index.search(question, k=3, alert_names=["KubeletPlegDurationHigh"])
    assert hits[0].runbook_id == "KubeletPlegDurationHigh"
    assert hits[1].runbook_id == "KubePodCrashLooping"


def test_alert_name_typed_in_the_question_wins(corpus_index: RunbookIndex) -> None:
    hits = corpus_index.search("what should I do about KubeQuotaFullyUsed in prod", k=3)
    assert hits[0].runbook_id == "KubeQuotaFullyUsed"


def test_pasted_log_line_is_searched_by_its_message(corpus_index: RunbookIndex) -> None:
    # Its timestamp, caller and counts are rare terms that matched reload pages by chance.
    question = (
        "our alertmanagers keep complaining, logs:\n"
        'ts=2024-05-01T10:00:00Z caller=notify.go:732 level=error component=dispatcher '
        'msg="Notify for alerts failed" num_alerts=3 err="opsgenie: unexpected status code 422"'
    )
    assert corpus_index.search(question, k=1)[0].runbook_id == "AlertmanagerFailedToSendAlerts"


def test_pasted_table_numbers_do_not_bury_its_runbook(corpus_index: RunbookIndex) -> None:
    question = (
        "rolling out the new fluent-bit image and it is stuck:\n"
        "NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE\n"
        "fluent-bit   9         9         7       4            7           <none>          210d\n"
        "some pods never get the new version"
    )
    hits = [h.runbook_id for h in corpus_index.search(question, k=3)]
    assert "KubeDaemonSetRolloutStuck" in hits


def test_kubectl_short_names_reach_the_pages_about_their_kind(
        corpus_index: RunbookIndex) -> None:
    hits = corpus_index.search("kubectl get sts -n kafka shows READY 4/5 since this morning", k=3)
    assert "KubeStatefulSetReplicasMismatch" in [h.runbook_id for h in hits]
    hits = corpus_index.search("the pvc of my database is almost out of space", k=3)
    assert "KubePersistentVolumeFillingUp" in [h.runbook_id for h in hits]


def test_interface_name_reaches_the_network_interface_pages(
        corpus_index: RunbookIndex) -> None:
    hits = corpus_index.search("eno2 went up and down a dozen times on storage-4 today", k=1)
    assert hits[0].runbook_id == "NodeNetworkInterfaceFlapping"


def test_everyday_ops_words_reach_the_pages_in_runbook_words(
        corpus_index: RunbookIndex) -> None:
    inbound = corpus_index.search("errors pile up on inbound traffic of the NIC on storage-2", k=1)
    assert inbound[0].runbook_id == "NodeNetworkReceiveErrs"
    outbound = corpus_index.search("errors pile up on outbound traffic of the NIC on storage-2",
                                   k=1)
    assert outbound[0].runbook_id == "NodeNetworkTransmitErrs"
    flapping = corpus_index.search("the NIC on db-7 keeps going down and coming back", k=1)
    assert flapping[0].runbook_id == "NodeNetworkInterfaceFlapping"


def test_quoted_waiting_reason_finds_the_container_waiting_page(
        corpus_index: RunbookIndex) -> None:
    hits = corpus_index.search("the new worker pod has shown ErrImagePull for twenty minutes",
                               k=1)
    assert hits[0].runbook_id == "KubeContainerWaiting"
    crash = corpus_index.search("payments pod in CrashLoopBackOff after the deploy", k=1)
    assert crash[0].runbook_id == "KubePodCrashLooping"


def test_suite_paths_resolve_beside_the_file(tmp_path: Path) -> None:
    suite_file = tmp_path / "s.yaml"
    suite_file.write_text(
        f"suite: s\nrunbooks: [{CORPUS}]\nk: 2\ncases:\n"
        "  - {id: a, question: q, alert: {alertname: TargetDown}, expect: {runbook: TargetDown}}\n"
        "  - {id: b, question: q, expect: {proposes: []}}\n",
        encoding="utf-8",
    )
    suite = load_retrieval_suite(suite_file)
    assert suite.k == 2 and len(suite.cases) == 1
    assert suite.cases[0].alert_names == ("TargetDown",)
