"""Pods the scheduler turns away and pods a quota forbids: restarts and more replicas are
ruled out with the cluster's own reasons; a rollback only when every reason is the nodes'."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.analysis import Remedy, analyze, collect
from assistant.models import DeploymentInfo, Inventory, NodeInfo
from tools.object_outputs import PodDescription
from tools.outputs import DeploymentEvent, PodList, PodRow
from tools.workload_outputs import EventList, EventRow

NOW = datetime(2027, 1, 11, 9, 30, tzinfo=UTC)
NS, NAME = "orders", "pick-planner"
KEY = (NS, NAME)
INVENTORY = Inventory(environment="prod", deployments=(
    DeploymentInfo(namespace=NS, name=NAME, service=NAME, replicas=3, ready_replicas=2),
    DeploymentInfo(namespace=NS, name="pick", service="pick", replicas=2, ready_replicas=2),
))
NODES_ONLY = ("0/5 nodes are available: 1 node(s) were unschedulable, 4 node(s) had volume "
              "node affinity conflict. preemption: 0/5 nodes are available.")
SHORT_OF_CPU = "0/5 nodes are available: 5 Insufficient cpu. preemption: not helpful."


def _pods(*rows: tuple[str, str, bool]) -> PodList:
    return PodList(pods=[PodRow(name=n, phase=phase, ready=ready, restarts=0, reason=None,
                                deployment=NAME, revision=7, last_termination_reason=None,
                                age="1h") for n, phase, ready in rows])


PODS = _pods((f"{NAME}-0", "Running", True), (f"{NAME}-1", "Running", True),
             (f"{NAME}-2", "Pending", False))


def _event(kind: str, name: str, reason: str, message: str) -> EventRow:
    return EventRow(type="Warning", reason=reason, message=message, count=40,
                    object_kind=kind, object_name=name, last_seen="2027-01-11T09:29:00Z")


def _findings(*outputs: object) -> list:
    return analyze(collect([(o, KEY) for o in outputs], INVENTORY, NOW), [KEY])


def _kind(findings: list, kind: str):
    return next(f for f in findings if f.kind == kind)


def test_a_pod_the_nodes_turn_away_rules_out_a_rollback_restart_and_scale_out() -> None:
    events = EventList(namespace=NS, events=[
        _event("Pod", f"{NAME}-2", "FailedScheduling", NODES_ONLY)])
    found = _kind(_findings(PODS, events), "unschedulable")
    assert found.summary.startswith("1 of 3 pods cannot be scheduled: 1 node(s) were "
                                    "unschedulable; 4 node(s) had volume node affinity conflict")
    assert f"pod {NAME}-2: FailedScheduling (x40" in found.evidence[0]
    for remedy in (Remedy.ROLLBACK, Remedy.RESTART, Remedy.SCALE_OUT, Remedy.REPLACE_POD):
        assert found.against(remedy) is not None, remedy
    assert not found.supports


@pytest.mark.parametrize(("cordoned", "message", "named"), [
    (("node-c-1",), NODES_ONLY, "node-c-1"),
    (("node-c-1", "node-a-2"), NODES_ONLY, None),  # which of them the pod waits for is open
    (("node-c-1",), NODES_ONLY.replace("1 node(s) were", "2 node(s) were"), None),
    (("node-c-1",), SHORT_OF_CPU, None),
])
def test_the_one_cordoned_node_a_turned_away_pod_waits_for_is_named(
        cordoned: tuple[str, ...], message: str, named: str | None) -> None:
    nodes = (*(NodeInfo(name=n, unschedulable=True) for n in cordoned), NodeInfo(name="node-b"))
    inventory = INVENTORY.model_copy(update={"nodes": nodes})
    events = EventList(namespace=NS, events=[
        _event("Pod", f"{NAME}-2", "FailedScheduling", message)])
    found = _kind(analyze(collect([(PODS, KEY), (events, KEY)], inventory, NOW), [KEY]),
                  "unschedulable")
    said = [line for line in found.evidence if "the one cordoned node" in line]
    assert said == ([f"node {named} is the one cordoned node, and the only node the "
                     "scheduler did not turn away for another reason: uncordoned, it is the "
                     "one that may take the pod"] if named else [])


def test_a_shortage_the_new_revision_may_cause_leaves_a_rollback_open() -> None:
    events = EventList(namespace=NS, events=[
        _event("Pod", f"{NAME}-2", "FailedScheduling", SHORT_OF_CPU)])
    found = _kind(_findings(PODS, events), "unschedulable")
    assert found.against(Remedy.ROLLBACK) is None
    assert found.against(Remedy.SCALE_OUT) is not None


def test_a_pod_description_s_events_count_like_the_namespace_s() -> None:
    described = PodDescription(namespace=NS, name=f"{NAME}-2", node=None, phase="Pending",
                               ready=False, reason=None, owner=f"StatefulSet/{NAME}",
                               deployment=NAME, containers=[], conditions=[], events=[
                                   DeploymentEvent(type="Warning", reason="FailedScheduling",
                                                   message=NODES_ONLY, count=3,
                                                   last_seen=None)])
    assert _kind(_findings(PODS, described), "unschedulable")


def test_another_workload_s_warnings_and_a_running_pod_s_say_nothing_here() -> None:
    events = EventList(namespace=NS, events=[
        _event("Pod", "pick-5c9-x", "FailedScheduling", NODES_ONLY),
        _event("Pod", f"{NAME}-0", "FailedScheduling", NODES_ONLY),
        _event("ReplicaSet", "pick-5c9", "FailedCreate", "exceeded quota: orders-compute")])
    kinds = {f.kind for f in _findings(PODS, events)}
    assert not kinds & {"unschedulable", "quota-blocked"}


def test_pods_a_quota_forbids_rule_out_more_replicas_and_a_restart_naming_the_quota() -> None:
    events = EventList(namespace=NS, events=[_event(
        "ReplicaSet", f"{NAME}-6d8f9", "FailedCreate",
        f'Error creating: pods "{NAME}-6d8f9-q2" is forbidden: exceeded quota: '
        "orders-compute, requested: requests.cpu=500m, used: requests.cpu=15500m, "
        "limited: requests.cpu=16")])
    found = _kind(_findings(PODS, events), "quota-blocked")
    assert found.summary == "new pods are forbidden: exceeded quota orders-compute"
    assert "orders-compute" in found.against(Remedy.SCALE_OUT).why
    assert found.against(Remedy.RESTART) is not None
    assert found.against(Remedy.ROLLBACK) is None
