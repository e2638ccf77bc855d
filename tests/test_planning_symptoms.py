"""What people see is read from the words, whose trouble it is from the evidence: a
symptom is tied to a workload only when exactly one troubled workload in scope shows it."""

from __future__ import annotations

import pytest

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.entities import LinkedEntities, entities_of
from assistant.planning.symptoms import (
    SUSPECTS_FOR_A_SYMPTOM,
    Symptom,
    said_of,
    said_of_subject,
    shown_by,
    suspects,
    symptoms_in,
    tied_beside,
    tied_to,
    unattributed,
)

INVENTORY = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="media", name="licenser", service="licenser", replicas=4,
                       ready_replicas=2),
        DeploymentInfo(namespace="media", name="keystore", service="keystore", replicas=3,
                       ready_replicas=3),
        DeploymentInfo(namespace="lending", name="borrow-api", service="borrow-api",
                       replicas=6, ready_replicas=6),
    ),
    alerts=(AlertInfo(name="HighRequestLatency",
                      labels={"namespace": "lending", "deployment": "borrow-api"}),),
)
FOUND = {
    "licenser": [Finding(kind="bad-rollout", subject=Subject(namespace="media",
                                                              workload="licenser"),
                         summary="trouble began with revision 34",
                         supports=(Remedy.ROLLBACK,))],
    "borrow-api": [Finding(kind="saturation", subject=Subject(namespace="lending",
                                                               workload="borrow-api"),
                           summary="saturated", supports=(Remedy.SCALE_OUT,))],
}


@pytest.mark.parametrize(("text", "said"), [
    ("titles people borrowed won't open", {Symptom.FAILING}),
    ("the app just says 'licence error'", {Symptom.FAILING}),
    ("licences failing", {Symptom.FAILING}),
    ("the borrow button spins forever", {Symptom.SLOW}),
    ("search feels a bit slow", {Symptom.SLOW}),
    ("checkout drags and then the page is unresponsive", {Symptom.SLOW}),
    ("the turnstiles started rejecting people at nine", {Symptom.FAILING}),
    ("card payments declined since lunch", {Symptom.FAILING}),
    ("logins refused for everyone in the clinic", {Symptom.FAILING}),
    # Valid input turned away, and a device or page showing failure.
    ("the gates flash red on perfectly valid passes", {Symptom.FAILING}),
    ("scanners bounce good parcel codes all morning", {Symptom.FAILING}),
    ("valid vouchers not accepted at the till", {Symptom.FAILING}),
    ("boarding cards come back invalid at the kiosk", {Symptom.FAILING}),
    ("the door readers won't let staff through", {Symptom.FAILING}),
    ("members get locked out of the app", {Symptom.FAILING}),
    ("customers turned away at the pumps", {Symptom.FAILING}),
    ("the kiosk screens went red around ten", {Symptom.FAILING}),
    ("the handhelds can't validate tickets", {Symptom.FAILING}),
    ("the sorter is dead", {Symptom.FAILING}),
    ("the dead letter queue is growing", set()),
    ("traffic went up tonight, does it need more pods?", set()),
    ("the red team report is attached", set()),
    ("it shows a restart too", set()),
    ("how much error budget is left?", set()),
])
def test_a_symptom_is_what_people_meet_not_a_workloads_state(text: str,
                                                             said: set[Symptom]) -> None:
    assert symptoms_in(text) == said


def test_a_clause_that_names_a_workload_says_whose_symptom_it_is() -> None:
    text = "keystore is failing, and the borrow button spins forever"
    assert unattributed(text, INVENTORY) == [frozenset({Symptom.SLOW})]


def test_the_one_troubled_workload_whose_findings_show_the_symptom_is_tied_to_it() -> None:
    pool = suspects(INVENTORY, "licences failing", set())
    assert pool is not None and [d.name for d in pool] == ["licenser", "borrow-api"]
    tied = tied_to(frozenset({Symptom.FAILING}), pool,
                   lambda e: FOUND.get(e.deployment or "", []))
    assert tied is not None and tied.entities.deployment == "licenser"
    assert "media/licenser's findings explain what you describe (failing: trouble began" \
        in tied.because()
    both = {**FOUND, "borrow-api": FOUND["licenser"]}
    assert tied_to(frozenset({Symptom.FAILING}), pool,
                   lambda e: both.get(e.deployment or "", [])) is None


def test_a_named_namespace_bounds_the_suspects_and_too_many_say_nothing() -> None:
    pool = suspects(INVENTORY, "media is failing", set())
    assert pool is not None and [d.name for d in pool] == ["licenser"]
    assert suspects(INVENTORY, "failing", {("media", "licenser")}) == [INVENTORY.deployments[2]]
    crowded = INVENTORY.model_copy(update={"deployments": tuple(
        DeploymentInfo(namespace="shop", name=f"svc-{i}", service=f"svc-{i}", replicas=2,
                       ready_replicas=1) for i in range(SUSPECTS_FOR_A_SYMPTOM + 1))})
    assert suspects(crowded, "failing", set()) is None


def _found(e: LinkedEntities) -> list[Finding]:
    return FOUND.get(e.deployment or "", [])


def test_a_symptom_a_healthy_subject_does_not_show_is_tied_to_the_neighbour_showing_it(
) -> None:
    keystore = entities_of(INVENTORY.deployments[1])
    question = "licences failing. keys live in keystore, so restart the keystore?"
    tied = tied_beside(question, keystore, [], INVENTORY, {("media", "keystore")}, _found)
    assert tied is not None and tied.entities.deployment == "licenser"
    # Said of the subject by name, the symptom is the asker's claim about it, not a lead.
    assert tied_beside("keystore is failing, restart it?", keystore, [], INVENTORY,
                       {("media", "keystore")}, _found) is None


def test_a_second_symptom_the_subject_does_not_show_brings_in_the_workload_showing_it(
) -> None:
    borrow = entities_of(INVENTORY.deployments[2])
    question = "the borrow button spins forever, and titles people borrowed won't open"
    tied = tied_beside(question, borrow, FOUND["borrow-api"], INVENTORY,
                       {("lending", "borrow-api")}, _found)
    assert tied is not None and tied.entities.deployment == "licenser"
    assert tied_beside("the borrow button spins forever", borrow, FOUND["borrow-api"],
                       INVENTORY, {("lending", "borrow-api")}, _found) is None


def test_a_clause_referring_back_to_a_named_workload_is_its_symptom() -> None:
    assert unattributed("keystore went out this week too, is it broken as well?",
                        INVENTORY) == []
    assert unattributed("searching notes misses things, sometimes it just errors",
                        INVENTORY) == []


@pytest.mark.parametrize(("clause", "said"), [
    ("recorder broken since the deploy", {Symptom.FAILING}),
    ("the recorder is dead", {Symptom.FAILING}),
    ("the recorder has been totally broken since lunch", {Symptom.FAILING}),
    ("recorder's dead", {Symptom.FAILING}),
    ("is the recorder slow", {Symptom.SLOW}),
    # Another noun is the subject: the word only says whose page or where people end up.
    ("the recorder page just spins forever", set()),
    ("calls fail then drop you back to the recorder", set()),
    ("the recorder is not broken", set()),
])
def test_a_symptom_is_said_of_the_word_that_is_its_subject(clause: str,
                                                           said: set[Symptom]) -> None:
    assert said_of(clause, {"recorder"}) == said


CONSULT = Inventory(environment="prod", deployments=(
    DeploymentInfo(namespace="consult", name="session-recorder", service="session-recorder",
                   replicas=2, ready_replicas=2),
    DeploymentInfo(namespace="consult", name="session-broker", service="session-broker",
                   replicas=4, ready_replicas=2),
))
BROKER_FOUND = {"session-broker": [Finding(
    kind="bad-rollout", subject=Subject(namespace="consult", workload="session-broker"),
    summary="trouble began with revision 73", supports=(Remedy.ROLLBACK,))]}


def test_a_failure_said_of_the_subjects_own_word_is_its_symptom_not_a_lead() -> None:
    recorder = entities_of(CONSULT.deployments[0])
    question = "recorder broken since the deploy, calls not recorded"
    assert said_of_subject(question, recorder, CONSULT) == {Symptom.FAILING}
    assert unattributed(question, CONSULT, recorder) == []
    assert unattributed(question, CONSULT) == [frozenset({Symptom.FAILING})]
    assert tied_beside(question, recorder, [], CONSULT, {("consult", "session-recorder")},
                       lambda e: BROKER_FOUND.get(e.deployment or "", [])) is None
    # Of a page of it, the symptom is still a lead to the workload showing it.
    page = "the recorder page errors on every join"
    assert said_of_subject(page, recorder, CONSULT) == frozenset()
    tied = tied_beside(page, recorder, [], CONSULT, {("consult", "session-recorder")},
                       lambda e: BROKER_FOUND.get(e.deployment or "", []))
    assert tied is not None and tied.entities.deployment == "session-broker"


KEYSTORE_HEALTHY = [Finding(kind="healthy", subject=Subject(namespace="media",
                                                            workload="keystore"),
                            summary="healthy")]


def test_a_symptom_blamed_on_a_subject_found_healthy_is_tied_to_the_neighbour_showing_it(
) -> None:
    """"keystore went out right when X started" is the asker's guess; the evidence cleared
    keystore, so the symptom is still unexplained and its neighbour's rollout explains it."""
    keystore = entities_of(INVENTORY.deployments[1])
    question = "keystore went out at 9 right when the licence errors started. what do we undo"
    tied = tied_beside(question, keystore, KEYSTORE_HEALTHY, INVENTORY,
                       {("media", "keystore")}, _found)
    assert tied is not None and tied.entities.deployment == "licenser"
    # Asked of the subject, it is a question about it, answered by its own evidence.
    assert tied_beside("is keystore failing?", keystore, KEYSTORE_HEALTHY, INVENTORY,
                       {("media", "keystore")}, _found) is None


def test_crawling_is_slowness() -> None:
    assert symptoms_in("the app is crawling") == {Symptom.SLOW}


def test_a_symptom_joined_to_one_the_subject_shows_is_still_tied_elsewhere() -> None:
    borrow = entities_of(INVENTORY.deployments[2])
    question = "titles won't open AND the borrow button spins forever, one cause or two?"
    tied = tied_beside(question, borrow, FOUND["borrow-api"], INVENTORY,
                       {("lending", "borrow-api")}, _found)
    assert tied is not None and tied.entities.deployment == "licenser"


@pytest.mark.parametrize("text", [
    "snowcats are crawling up the north slope",  # said of something outside the platform
    "ledger keeps crash looping after the deploy",  # said of a workload we do not have
    "the kiosk wall flashes red for dockside",  # in a clause naming a firing instance
])
def test_a_symptom_said_of_no_name_here_or_of_a_named_alert_instance_is_no_lead(
        text: str) -> None:
    docks = INVENTORY.model_copy(update={"alerts": (
        AlertInfo(name="BerthHeartbeatMissing",
                  labels={"namespace": "media", "berth": "b1-dockside"}),
        AlertInfo(name="BerthHeartbeatMissing",
                  labels={"namespace": "media", "berth": "b2-quay"}),
    )})
    assert unattributed(text, docks) == []
    assert unattributed("the kiosk screens went red around ten", docks) == [{Symptom.FAILING}]


LEAK = [Finding(kind="memory-exhaustion", subject=Subject(namespace="imaging",
                                                         workload="scan-gateway"),
                summary="containers are OOMKilled", supports=(Remedy.RESTART,))]


def test_a_leak_explains_failures_and_slowness_said_of_it_but_ties_no_unnamed_symptom(
) -> None:
    assert shown_by(LEAK) == {Symptom.FAILING, Symptom.SLOW}
    leaking = DeploymentInfo(namespace="imaging", name="scan-gateway", service="scan-gateway",
                             replicas=3, ready_replicas=3)
    assert tied_to(frozenset({Symptom.FAILING}), [leaking], lambda e: LEAK) is None


def test_a_leak_of_a_workload_the_words_name_explains_the_symptom_said_beside_it() -> None:
    leaking = DeploymentInfo(namespace="imaging", name="scan-gateway", service="scan-gateway",
                             replicas=3, ready_replicas=2)
    inventory = INVENTORY.model_copy(update={"deployments": (*INVENTORY.deployments,
                                                             leaking)})
    licenser = entities_of(INVENTORY.deployments[0])
    found = {**FOUND, "scan-gateway": LEAK}

    def diagnose(e: LinkedEntities) -> list[Finding]:
        return found.get(e.deployment or "", [])

    # The scanner's leak and borrow-api's saturation both show slowness: neither is tied.
    assert tied_beside("licenser rollout is stuck, is that why the scan page times out?",
                       licenser, FOUND["licenser"], inventory, {("media", "licenser")},
                       diagnose) is None
    unnamed = tied_beside("licenser rollout is stuck, is that why the page times out?",
                          licenser, FOUND["licenser"], inventory, {("media", "licenser")},
                          diagnose)
    assert unnamed is not None and unnamed.entities.deployment == "borrow-api"
