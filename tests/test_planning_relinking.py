"""A symptom that names a workload only loosely is about the neighbour whose trouble began
with its own rollout, when the evidence says so; the asker's requests and a thread's
earlier subject keep the word's target."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.entities import LinkedEntities, link_entities
from assistant.planning.relinking import relink
from assistant.planning.symptoms import Diagnose

NS = "studio"
INVENTORY = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace=NS, name="render-queue-api", service="render-queue-api",
                       replicas=4, ready_replicas=4),
        DeploymentInfo(namespace=NS, name="render-queue-web", service="render-queue-web",
                       replicas=2, ready_replicas=2),
        DeploymentInfo(namespace=NS, name="frame-broker", service="frame-broker", replicas=3,
                       ready_replicas=1),
    ),
    alerts=(AlertInfo(name="HighRequestLatency",
                      labels={"namespace": NS, "deployment": "render-queue-api"}),),
)
SYMPTOM = "artists say exports never finish, they get sent back to the render queue"


def _finding(workload: str, kind: str, *supports: Remedy) -> Finding:
    return Finding(kind=kind, subject=Subject(namespace=NS, workload=workload),
                   summary=f"{kind} on {workload}", supports=supports)


SATURATED = _finding("render-queue-api", "saturation", Remedy.SCALE_OUT)
BAD_ROLLOUT = _finding("frame-broker", "bad-rollout", Remedy.ROLLBACK)


def _diagnosis(found: dict[str, Sequence[Finding]]) -> Diagnose:
    return lambda e: found.get(e.deployment or "", ())


def test_a_part_of_a_name_in_a_fresh_thread_is_a_loose_link() -> None:
    linking = link_entities(SYMPTOM, None, INVENTORY)
    assert linking.entities.deployment == "render-queue-api" and linking.loose
    assert not link_entities("render-queue-api is slow", None, INVENTORY).loose


def test_a_follow_up_in_a_thread_about_a_workload_is_never_loose() -> None:
    before = LinkedEntities(namespace=NS, deployment="frame-broker", service="frame-broker")
    linking = link_entities("and the render queue latency one?", None, INVENTORY, before)
    assert linking.entities.deployment == "render-queue-api" and not linking.loose


def test_the_neighbour_whose_trouble_began_with_its_rollout_outweighs_a_loose_word() -> None:
    linking = link_entities(SYMPTOM, None, INVENTORY)
    relinked = relink(linking, SYMPTOM, INVENTORY, _diagnosis({
        "render-queue-api": [SATURATED], "frame-broker": [BAD_ROLLOUT]}))
    assert relinked is not None
    assert relinked.linking.entities.deployment == "frame-broker"
    assert relinked.linking.source == "evidence"
    assert relinked.set_aside == (SATURATED,)
    assert "loosely name studio/render-queue-api" in relinked.note
    assert "bad-rollout on frame-broker" in relinked.note


def test_a_request_for_an_action_keeps_the_words_target() -> None:
    asked = "scale the render queue, exports never finish"
    linking = link_entities(asked, None, INVENTORY)
    assert relink(linking, asked, INVENTORY, _diagnosis({
        "render-queue-api": [SATURATED], "frame-broker": [BAD_ROLLOUT]})) is None


def test_no_single_rollout_onset_leaves_the_link_alone() -> None:
    linking = link_entities(SYMPTOM, None, INVENTORY)
    quiet = _diagnosis({"render-queue-api": [SATURATED]})
    assert relink(linking, SYMPTOM, INVENTORY, quiet) is None
    own_rollout = _diagnosis({"render-queue-api": [_finding("render-queue-api", "bad-rollout",
                                                            Remedy.ROLLBACK)],
                              "frame-broker": [BAD_ROLLOUT]})
    assert relink(linking, SYMPTOM, INVENTORY, own_rollout) is None


LENDING = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="identity", name="patron-sso", service="patron-sso",
                       replicas=3, ready_replicas=3),
        DeploymentInfo(namespace="media", name="licenser", service="licenser", replicas=4,
                       ready_replicas=2),
        DeploymentInfo(namespace="lending", name="borrow-api", service="borrow-api",
                       replicas=6, ready_replicas=6),
    ),
    alerts=(AlertInfo(name="HighRequestLatency",
                      labels={"namespace": "lending", "deployment": "borrow-api"}),),
)
WONT_OPEN = "patrons say the titles they borrowed won't open, what changed?"


def _lending(workload: str, namespace: str, kind: str, *supports: Remedy) -> Finding:
    return Finding(kind=kind, subject=Subject(namespace=namespace, workload=workload),
                   summary=f"{kind} on {workload}", supports=supports)


LENDING_FOUND = {
    "patron-sso": [_lending("patron-sso", "identity", "healthy")],
    "licenser": [_lending("licenser", "media", "bad-rollout", Remedy.ROLLBACK)],
    "borrow-api": [_lending("borrow-api", "lending", "saturation", Remedy.SCALE_OUT)],
}


def test_a_symptom_only_one_troubled_workload_explains_outweighs_a_loose_healthy_link(
) -> None:
    linking = link_entities(WONT_OPEN, None, LENDING)
    assert linking.entities.deployment == "patron-sso" and linking.loose
    relinked = relink(linking, WONT_OPEN, LENDING, _diagnosis(LENDING_FOUND))
    assert relinked is not None
    assert relinked.linking.entities.deployment == "licenser"
    assert relinked.set_aside == tuple(LENDING_FOUND["patron-sso"])
    assert "identity/patron-sso, which shows no trouble" in relinked.note
    assert "(failing: bad-rollout on licenser)" in relinked.note


def test_no_symptom_or_no_single_workload_explaining_it_leaves_a_loose_link_alone() -> None:
    asked = "patrons ask what changed tonight"
    linking = link_entities(asked, None, LENDING)
    assert linking.loose
    assert relink(linking, asked, LENDING, _diagnosis(LENDING_FOUND)) is None
    both_fail = {**LENDING_FOUND, "borrow-api": [
        _lending("borrow-api", "lending", "bad-rollout", Remedy.ROLLBACK)]}
    assert relink(link_entities(WONT_OPEN, None, LENDING), WONT_OPEN, LENDING,
                  _diagnosis(both_fail)) is None


def test_a_described_symptom_outweighs_a_neighbours_rollout_onset() -> None:
    consult = Inventory(environment="prod", deployments=(
        DeploymentInfo(namespace="consult", name="session-recorder",
                       service="session-recorder", replicas=2, ready_replicas=2),
        DeploymentInfo(namespace="consult", name="session-broker", service="session-broker",
                       replicas=4, ready_replicas=2),
        DeploymentInfo(namespace="consult", name="lobby-api", service="lobby-api",
                       replicas=5, ready_replicas=5),
    ), alerts=(AlertInfo(name="HighRequestLatency",
                         labels={"namespace": "consult", "deployment": "lobby-api"}),))
    found = {"session-broker": [_lending("session-broker", "consult", "bad-rollout",
                                         Remedy.ROLLBACK)],
             "lobby-api": [_lending("lobby-api", "consult", "saturation", Remedy.SCALE_OUT)]}
    slow = "GPs say the recorder page spins forever"
    linking = link_entities(slow, None, consult)
    assert linking.entities.deployment == "session-recorder" and linking.loose
    relinked = relink(linking, slow, consult, _diagnosis(found))
    assert relinked is not None and relinked.linking.entities.deployment == "lobby-api"


def _with_about(inventory: Inventory, **about: str) -> Inventory:
    return inventory.model_copy(update={"alerts": tuple(
        a.model_copy(update={"about": about.get(a.labels.get("deployment", ""), ""),
                             "severity": "critical"})
        for a in inventory.alerts)})


CROWDED = "patrons say the hold queue stopped taking new holds. what changed?"
CROWDED_LENDING = LENDING.model_copy(update={"alerts": (
    *LENDING.alerts,
    AlertInfo(name="HighErrorRate", labels={"namespace": "media", "deployment": "licenser"}))})


def test_an_effect_told_in_an_alerts_own_words_ties_the_question_to_its_workload() -> None:
    inventory = _with_about(CROWDED_LENDING,
                            licenser="Patrons' hold queue rejects new holds.",
                            **{"borrow-api": "Borrow buttons spin in the app."})
    linking = link_entities(CROWDED, None, inventory)
    assert linking.entities.deployment == "patron-sso" and linking.loose
    relinked = relink(linking, CROWDED, inventory, _diagnosis(LENDING_FOUND))
    assert relinked is not None and relinked.linking.entities.deployment == "licenser"
    assert "HighErrorRate about media/licenser says it means" in relinked.note


def test_alert_words_that_fit_two_workloads_alike_leave_a_loose_link_alone() -> None:
    inventory = _with_about(CROWDED_LENDING,
                            licenser="Patrons' hold queue rejects new holds.",
                            **{"borrow-api": "Patrons' hold queue stalls on new holds."})
    linking = link_entities(CROWDED, None, inventory)
    assert relink(linking, CROWDED, inventory, _diagnosis(LENDING_FOUND)) is None


CONSULT = Inventory(environment="prod", deployments=(
    DeploymentInfo(namespace="consult", name="session-recorder", service="session-recorder",
                   replicas=2, ready_replicas=2),
    DeploymentInfo(namespace="consult", name="session-broker", service="session-broker",
                   replicas=4, ready_replicas=2),
))
BROKER_ONSET = {"session-broker": [_lending("session-broker", "consult", "bad-rollout",
                                            Remedy.ROLLBACK)]}


@pytest.mark.parametrize("question", [
    "recorder broken since the deploy, calls not recorded",
    "the recorder has been totally broken since lunch",
    "recorder's dead, what changed?",
])
def test_a_loose_word_said_to_fail_stays_the_subject(question: str) -> None:
    linking = link_entities(question, None, CONSULT)
    assert linking.entities.deployment == "session-recorder" and linking.loose
    assert relink(linking, question, CONSULT, _diagnosis(BROKER_ONSET)) is None


def test_a_loose_word_that_only_says_where_still_yields_to_a_neighbours_onset() -> None:
    question = "calls drop, then everyone lands on the recorder screen"
    linking = link_entities(question, None, CONSULT)
    assert linking.entities.deployment == "session-recorder" and linking.loose
    relinked = relink(linking, question, CONSULT, _diagnosis(BROKER_ONSET))
    assert relinked is not None and relinked.linking.entities.deployment == "session-broker"
PEOPLE = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="members", name="member-api", service="member-api",
                       replicas=5, ready_replicas=5),
        DeploymentInfo(namespace="gym", name="turnstile-gate", service="turnstile-gate",
                       replicas=3, ready_replicas=1),
    ),
)
MEMBERS_SATURATED = Finding(kind="saturation", summary="saturated by more traffic",
                            subject=Subject(namespace="members", workload="member-api"),
                            supports=(Remedy.SCALE_OUT,))
GATE_ROLLOUT = Finding(kind="bad-rollout", summary="trouble began with revision 12",
                       subject=Subject(namespace="gym", workload="turnstile-gate"),
                       supports=(Remedy.ROLLBACK,))
BOTH = _diagnosis({"member-api": [MEMBERS_SATURATED], "turnstile-gate": [GATE_ROLLOUT]})


def test_a_name_short_of_its_role_suffix_yields_to_the_one_workload_showing_the_symptom(
) -> None:
    question = "front desk says one member in four gets 'access denied' at the door. what changed?"
    linking = link_entities(question, None, PEOPLE)
    assert linking.entities.deployment == "member-api"
    assert linking.partial and not linking.loose
    relinked = relink(linking, question, PEOPLE, BOTH)
    assert relinked is not None and relinked.linking.entities.deployment == "turnstile-gate"
    assert "whose trouble does not show that way" in relinked.note


def test_a_name_short_of_its_role_suffix_keeps_a_symptom_it_shows_or_an_onset_elsewhere(
) -> None:
    slow = "members say the app is slow today"
    assert relink(link_entities(slow, None, PEOPLE), slow, PEOPLE, BOTH) is None
    quiet = "anything up with member?"
    assert relink(link_entities(quiet, None, PEOPLE), quiet, PEOPLE, BOTH) is None


# "loyalty" is at once loyalty-api's name short of its role suffix, its namespace and a
# part of loyalty-web's name.
LOYALTY = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="loyalty", name="loyalty-api", service="loyalty-api",
                       replicas=5, ready_replicas=5),
        DeploymentInfo(namespace="loyalty", name="loyalty-web", service="loyalty-web",
                       replicas=2, ready_replicas=2),
        DeploymentInfo(namespace="gym", name="turnstile-gate", service="turnstile-gate",
                       replicas=3, ready_replicas=1),
    ),
)
LOYALTY_SATURATED = Finding(kind="saturation", summary="saturated by more traffic",
                            subject=Subject(namespace="loyalty", workload="loyalty-api"),
                            supports=(Remedy.SCALE_OUT,))


@pytest.mark.parametrize("question", [
    "loyalty is dead since nine, why?",
    "loyalty has been failing all morning",
])
def test_a_name_short_of_its_role_suffix_said_to_fail_stays_the_subject(question: str) -> None:
    linking = link_entities(question, None, LOYALTY)
    assert linking.entities.deployment == "loyalty-api" and linking.partial
    found = _diagnosis({"loyalty-api": [LOYALTY_SATURATED], "turnstile-gate": [GATE_ROLLOUT]})
    assert relink(linking, question, LOYALTY, found) is None
