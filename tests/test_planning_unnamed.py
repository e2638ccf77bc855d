"""A question naming no workload is tied by its symptoms to the troubled workloads whose
findings explain them, part by part; one naming a workload we do not have is not."""

from __future__ import annotations

import pytest

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.entities import LinkedEntities, Linking
from assistant.planning.unnamed import tied_unnamed, unnamed_note

INVENTORY = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="gates", name="pass-checker", service="pass-checker",
                       replicas=4, ready_replicas=2),
        DeploymentInfo(namespace="web", name="queue-api", service="queue-api", replicas=4,
                       ready_replicas=4),
        DeploymentInfo(namespace="web", name="photo-store", service="photo-store",
                       replicas=2, ready_replicas=2),
    ),
    alerts=(AlertInfo(name="HighRequestLatency",
                      labels={"namespace": "web", "deployment": "queue-api"}),
            AlertInfo(name="ContainerMemoryNearLimit",
                      labels={"namespace": "web", "deployment": "photo-store"})),
)
FOUND = {
    "pass-checker": [Finding(kind="bad-rollout",
                             subject=Subject(namespace="gates", workload="pass-checker"),
                             summary="trouble began with revision 9",
                             supports=(Remedy.ROLLBACK,))],
    "queue-api": [Finding(kind="saturation", subject=Subject(namespace="web",
                                                              workload="queue-api"),
                          summary="saturated", supports=(Remedy.SCALE_OUT,))],
    "photo-store": [Finding(kind="memory-leak", subject=Subject(namespace="web",
                                                                 workload="photo-store"),
                            summary="OOMKilled", supports=(Remedy.RESTART,))],
}
NOTHING = Linking(entities=LinkedEntities(), source="none", unmatched=("app",))


def _found(e: LinkedEntities) -> list[Finding]:
    return FOUND.get(e.deployment or "", [])


def _tied(question: str) -> list[str | None]:
    return [t.entities.deployment for t in tied_unnamed(NOTHING, question, INVENTORY, _found)]


def test_a_symptom_only_one_troubled_workload_explains_links_the_question_to_it() -> None:
    assert _tied("the ski app just spins when people look up the lift queue") == ["queue-api"]
    tied = tied_unnamed(NOTHING, "gate scans fail on good passes", INVENTORY, _found)
    assert [t.entities.deployment for t in tied] == ["pass-checker"]
    assert "gates/pass-checker's findings explain what you describe" in unnamed_note(tied)


def test_each_part_of_a_question_is_tied_on_its_own() -> None:
    assert _tied("scans failing at the gates and the app crawling, what now?") == [
        "pass-checker", "queue-api"]


def test_a_redacted_secret_beside_the_symptom_names_nothing() -> None:
    assert _tied("the env has KEY=[REDACTED:api-key#07cd], is that why scans fail?") == [
        "pass-checker"]


@pytest.mark.parametrize("question", [
    "recommendations service is timing out, what's up",  # a workload we do not have
    "lift-status is slow",
    "traffic went up tonight, what now?",  # no symptom people meet
])
def test_no_symptom_or_an_unknown_workload_ties_nothing(question: str) -> None:
    assert _tied(question) == []


def test_a_question_that_links_something_is_left_to_its_link() -> None:
    linked = Linking(entities=LinkedEntities(namespace="web", deployment="photo-store"),
                     source="question")
    assert tied_unnamed(linked, "the app spins", INVENTORY, _found) == ()


@pytest.mark.parametrize("question", [
    "ledger keeps crash looping after the deploy, roll it back",  # a workload we lack
    "the shipping gateway keeps timing out since noon, any idea?",
    "snowcats are crawling up the north slope, will the lift app cope?",  # not ours at all
])
def test_a_symptom_said_of_a_word_naming_nothing_here_ties_nothing(question: str) -> None:
    assert _tied(question) == []


@pytest.mark.parametrize(("question", "tied"), [
    ("the site is crawling tonight", ["queue-api"]),
    ("visitors keep timing out on the page", ["queue-api"]),
    ("turnstiles keep failing on good passes", ["pass-checker"]),
])
def test_a_symptom_said_of_what_people_use_is_still_tied(question: str,
                                                         tied: list[str]) -> None:
    assert _tied(question) == tied
