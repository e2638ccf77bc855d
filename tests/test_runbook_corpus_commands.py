"""The real prometheus-operator runbooks, which have no ``steps:``: a question about an
alert only that corpus covers runs its runbook's read commands as typed calls.

Only the corpus's kubernetes/ folder is indexed (with the shipped runbooks): it holds the
alert's runbook, and embedding the whole corpus would cost this file half a minute."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.models import Actor

SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpora" / "prometheus-operator-runbooks"
KUBERNETES_RUNBOOKS = CORPUS / "kubernetes"

pytestmark = pytest.mark.skipif(
    not KUBERNETES_RUNBOOKS.is_dir(),
    reason=f"the shared runbook corpus is not beside this checkout ({SHARED})",
)


@pytest.fixture(scope="module")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("corpus-home")
    return Settings.from_env({"OPSBOT_HOME": str(home),
                              "OPSBOT_RUNBOOKS": str(KUBERNETES_RUNBOOKS)})


@pytest.fixture(scope="module")
def corpus_index(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shipped runbooks plus the corpus, as OPSBOT_RUNBOOKS makes a server load them."""
    from assistant.retrieval import RunbookIndex, load_runbooks
    from assistant.retrieval.embedding import shared_embedder

    report = load_runbooks(list(corpus_settings.runbook_dirs))
    assert not report.errors
    index = RunbookIndex.open(tmp_path_factory.mktemp("corpus-index"), shared_embedder())
    index.sync(report.runbooks)
    return index


@pytest.mark.slow
def test_the_corpus_runbook_for_the_alert_has_typed_reads(corpus_index: Any) -> None:
    book = corpus_index.get("KubeDeploymentReplicasMismatch")
    assert [(s.tool, s.args) for s in book.steps] == [
        ("describe_deployment", {"namespace": "{namespace}", "deployment": "{deployment}"})]


def test_a_corpus_only_alert_runs_its_runbooks_reads_and_says_what_they_found(
    corpus_settings: Settings, corpus_index: Any,
) -> None:
    from assistant.runtime import open_runtime
    from assistant.session import Session

    alert = {"alertname": "KubeDeploymentReplicasMismatch", "namespace": "shop",
             "deployment": "checkout"}
    with open_runtime(corpus_settings, "checkout-bad-deploy", persist_sandbox=False,
                      index=corpus_index) as rt:
        turn = Session(rt).ask("t1", Actor(user_id="U02BOB"),
                               "checkout is short of replicas, why?", alert)
    answer = next(m.text for m in turn.messages if m.kind == "answer")
    assert "Kube Deployment Replicas Mismatch (`KubeDeploymentReplicasMismatch`)" in answer
    # "What I found" lists the planner's reads (the evidence gathered before planning is
    # summarised as findings instead): the runbook's command is among them, with its output.
    read = "• `describe_deployment(deployment='checkout', namespace='shop')`:"
    assert read in answer
    assert "Replicas:    3 desired | 2 ready" in answer.split(read)[1].split("•")[0]
