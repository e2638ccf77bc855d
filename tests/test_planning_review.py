"""Review keeps or drops candidate actions by what the findings say about their targets."""

from __future__ import annotations

from collections.abc import Callable

from assistant.analysis import Contradiction, Finding, Remedy, Subject
from assistant.models import AlertInfo, Inventory, ToolCall
from assistant.planning.diagnosis import catalog_for_review
from assistant.planning.intent import Ask, HandsOff, asks_by
from assistant.planning.offline import PlannedCall
from assistant.planning.review import review

SCALE = PlannedCall(
    call=ToolCall(tool="scale_deployment",
                  args={"namespace": "dispatch", "deployment": "router", "replicas": 4}),
    why="step 3 of a saturation runbook", runbook_id="saturation", step_index=2)
CATALOG = catalog_for_review(Inventory(environment="prod"))


def _asking(strength: Ask) -> Callable[[str, str | None], Ask]:
    return lambda tool, workload=None: strength


def test_a_scale_out_no_finding_of_load_calls_for_is_dropped() -> None:
    verdict = review([SCALE], [], CATALOG, _asking(Ask.NONE))
    assert not verdict.kept
    assert [c for c, _ in verdict.dropped] == [SCALE]


def test_a_scale_out_the_asker_requests_is_kept_without_a_finding() -> None:
    """Kept, but the card says no load was found: the runbook's reason for the step
    assumes the load it was written for."""
    verdict = review([SCALE], [], CATALOG, _asking(Ask.REQUESTS))
    (kept,) = verdict.kept
    assert kept.call == SCALE.call
    assert kept.why == "you asked for it; no finding shows dispatch/router short of capacity"


def test_a_scale_out_a_saturation_finding_supports_is_kept() -> None:
    load = Finding(kind="saturation", subject=Subject(namespace="dispatch", workload="router"),
                   summary="saturated by +120% more traffic", supports=(Remedy.SCALE_OUT,))
    verdict = review([SCALE], [load], CATALOG, _asking(Ask.NONE))
    assert [c.call for c in verdict.kept] == [SCALE.call]
    assert "saturated by +120% more traffic" in verdict.kept[0].why


def test_a_call_its_tool_refuses_is_left_for_the_proposal_step_to_explain() -> None:
    """Scaling a DaemonSet is refused by the tool's own arguments; review must not drop it
    first for an unrelated reason, or the asker never learns why it cannot be done."""
    daemonset = PlannedCall(
        call=ToolCall(tool="scale_deployment",
                      args={"namespace": "edge", "deployment": "log-relay",
                            "kind": "DaemonSet", "replicas": 6}),
        why="step 3 of a saturation runbook", runbook_id="saturation", step_index=2)
    verdict = review([daemonset], [], CATALOG, _asking(Ask.NONE))
    assert verdict.kept == (daemonset,) and not verdict.dropped


SHADOW_ROLLBACK = PlannedCall(
    call=ToolCall(tool="rollback_deployment",
                  args={"namespace": "dispatch", "deployment": "router-shadow", "revision": 3}),
    why="step 4 of a rollout runbook", runbook_id="rollout", step_index=3)
SHADOW_HEALTHY = Finding(
    kind="healthy", subject=Subject(namespace="dispatch", workload="router-shadow"),
    summary="healthy",
    contradicts=(Contradiction(remedy=Remedy.ROLLBACK, firm=False,
                               why="revision 4 is healthy and all 1 of its pods are ready"),))
ROUTER_SATURATED = Finding(
    kind="saturation", subject=Subject(namespace="dispatch", workload="router"),
    summary="saturated by +170% more traffic", supports=(Remedy.SCALE_OUT,))


def test_a_terse_request_on_a_quiet_workload_is_kept_with_the_evidence() -> None:
    verdict = review([SHADOW_ROLLBACK], [SHADOW_HEALTHY], CATALOG,
                     asks_by("router-shadow went out at 17:05. roll it back?"))
    assert [c for c, _ in verdict.contested] == list(verdict.kept) and verdict.kept


def test_a_terse_request_on_a_cleared_suspect_is_dropped_when_trouble_is_next_door() -> None:
    """Blamed for a neighbour's trouble, a healthy workload is a suspect the evidence
    cleared: "roll it back?" is not enough, only an order keeps it."""
    question = "router-shadow went out at 17:05, right before dispatch fell over. roll it back?"
    verdict = review([SHADOW_ROLLBACK], [SHADOW_HEALTHY], CATALOG, asks_by(question),
                     nearby=[ROUTER_SATURATED])
    assert not verdict.kept and [c for c, _ in verdict.dropped] == [SHADOW_ROLLBACK]
    ordered = review([SHADOW_ROLLBACK], [SHADOW_HEALTHY], CATALOG,
                     asks_by("roll back router-shadow"), nearby=[ROUTER_SATURATED])
    assert ordered.kept


def test_a_quiet_neighbour_does_not_clear_the_suspect() -> None:
    """Trouble next door that no finding diagnoses (expected noise, a healthy workload)
    leaves a terse request as it was: kept, with the evidence against it."""
    router_quiet = Finding(kind="healthy", subject=Subject(namespace="dispatch",
                                                           workload="router"), summary="healthy")
    verdict = review([SHADOW_ROLLBACK], [SHADOW_HEALTHY], CATALOG,
                     asks_by("router-shadow went out at 17:05. roll it back?"),
                     nearby=[router_quiet])
    assert verdict.kept and verdict.contested



def test_matchers_the_asker_names_narrow_the_evidences_scope_rather_than_replace_it() -> None:
    """Naming an instance does not unsay the namespace the finding scoped the silence to."""
    labels = {"namespace": "monitoring", "instance": "node-17:9100"}
    inventory = Inventory(environment="staging",
                          alerts=(AlertInfo(name="DiskFilling", labels=labels),))
    noise = Finding(kind="flapping-alert",
                    subject=Subject(alertname="DiskFilling", namespace="monitoring",
                                    labels={"namespace": "monitoring"}),
                    alert_labels=labels, summary="its signal recovers by itself",
                    supports=(Remedy.SILENCE,))
    silence = PlannedCall(
        call=ToolCall(tool="silence_alert",
                      args={"alertname": "DiskFilling", "matchers": {"instance": "node-17:9100"}}),
        why="asked", runbook_id=None, step_index=None,
        ordered={"matchers": {"instance": "node-17:9100"}})
    verdict = review([silence], [noise], catalog_for_review(inventory), _asking(Ask.ORDERS))
    (kept,) = verdict.kept
    assert kept.call.args["matchers"] == labels
    assert "you chose" not in kept.why


ROUTER_REFUSED = Finding(
    kind="dependency-refuses", subject=Subject(namespace="dispatch", workload="router"),
    summary="psp.example throttles it: the bottleneck is what it calls",
    contradicts=(Contradiction(remedy=Remedy.SCALE_OUT,
                               why="more replicas not indicated: psp.example throttles it"),))


def test_a_firm_diagnosis_against_a_remedy_outranks_a_finding_that_supports_it() -> None:
    verdict = review([SCALE], [ROUTER_SATURATED, ROUTER_REFUSED], CATALOG, _asking(Ask.NONE))
    assert not verdict.kept and [c for c, _ in verdict.dropped] == [SCALE]
    assert "psp.example throttles it" in verdict.notes[0]
    assert "outweighs: saturated by +170% more traffic" in verdict.notes[0]


def test_an_ordered_remedy_a_firm_diagnosis_outranks_stays_contested() -> None:
    verdict = review([SCALE], [ROUTER_SATURATED, ROUTER_REFUSED], CATALOG,
                     _asking(Ask.ORDERS))
    (kept,) = verdict.kept
    assert [c for c, _ in verdict.contested] == [kept]
    assert kept.why.startswith("you asked for it, but the evidence is against it: more "
                               "replicas not indicated: psp.example throttles it")


def test_an_objection_that_only_finds_the_target_sound_leaves_support_to_decide() -> None:
    rollback = SHADOW_ROLLBACK.model_copy(update={"call": ToolCall(
        tool="rollback_deployment",
        args={"namespace": "dispatch", "deployment": "router", "revision": 3})})
    bad = Finding(kind="bad-rollout", subject=Subject(namespace="dispatch", workload="router"),
                  summary="trouble began with revision 4", supports=(Remedy.ROLLBACK,))
    sound = Finding(kind="sound-revision",
                    subject=Subject(namespace="dispatch", workload="router"),
                    summary="revision 4 runs with every pod ready",
                    contradicts=(Contradiction(remedy=Remedy.ROLLBACK, outranks=False,
                                               why="revision 4 is healthy"),))
    verdict = review([rollback], [bad, sound], CATALOG, _asking(Ask.NONE))
    assert len(verdict.kept) == 1 and not verdict.contested and not verdict.dropped



def test_a_contested_card_does_not_quote_the_runbooks_reason_for_the_step() -> None:
    """The runbook's reason states the trouble it was written for ("every replica is
    saturated"); the evidence here disputes that, so only the asker's word and the
    evidence against are shown."""
    verdict = review([SCALE], [ROUTER_REFUSED], CATALOG, _asking(Ask.ORDERS))
    (kept,) = verdict.kept
    assert SCALE.why not in kept.why
    assert kept.why.startswith("you asked for it, but the evidence is against it")


def test_an_objection_about_an_alert_the_aimed_silence_no_longer_covers_does_not_outrank() -> None:
    """A silence re-aimed by the change window at its own alert does not hide the
    unexplained one beside it, so that one's objection does not outrank the window."""
    silence = PlannedCall(call=ToolCall(tool="silence_alert", args={
        "alertname": "LagHigh", "matchers": {}, "duration_minutes": 60}),
        why="step 2 of a maintenance runbook", runbook_id="maint", step_index=1)
    window = Finding(kind="change-window",
                     subject=Subject(alertname="LagHigh", labels={"namespace": "fleet"}),
                     summary="fires inside a declared change window",
                     supports=(Remedy.SILENCE,), alert_labels={"namespace": "fleet"})
    unexplained = Finding(
        kind="unexplained",
        subject=Subject(alertname="LagHigh", labels={"namespace": "dispatch"}),
        summary="fires for a reason nothing explains",
        contradicts=(Contradiction(remedy=Remedy.SILENCE, why="muting it would hide it"),))
    firing = Inventory(environment="prod", alerts=(
        AlertInfo(name="LagHigh", labels={"namespace": "fleet"}),
        AlertInfo(name="LagHigh", labels={"namespace": "dispatch"})))
    verdict = review([silence], [window, unexplained], catalog_for_review(firing),
                     _asking(Ask.NONE))
    (kept,) = verdict.kept
    assert kept.call.args["matchers"] == {"namespace": "fleet"}


def test_a_prohibition_of_any_change_drops_even_what_the_evidence_supports() -> None:
    """"status only, don't change anything" outranks a saturation finding and an order."""
    load = Finding(kind="saturation", subject=Subject(namespace="dispatch", workload="router"),
                   summary="saturated by +120% more traffic", supports=(Remedy.SCALE_OUT,))
    verdict = review([SCALE], [load], CATALOG, _asking(Ask.ORDERS),
                     hands_off=HandsOff("don't change anything"))
    assert not verdict.kept
    assert [c for c, _ in verdict.dropped] == [SCALE]
    assert "don't change anything" in verdict.notes[0]


def test_a_prohibition_scoped_to_a_namespace_drops_only_changes_there() -> None:
    """"don't touch anything in billing" leaves the scale-out in dispatch be."""
    in_billing = SCALE.model_copy(update={"call": ToolCall(
        tool="restart_deployment", args={"namespace": "billing", "deployment": "invoicer"})})
    verdict = review([SCALE, in_billing], [], CATALOG, _asking(Ask.ORDERS),
                     hands_off=HandsOff("don't touch anything in billing",
                                        namespaces=frozenset({"billing"})))
    assert [c for c, _ in verdict.dropped] == [in_billing]
    assert [c.call for c in verdict.kept] == [SCALE.call]


def test_a_prohibition_of_anything_else_keeps_what_the_asker_ordered() -> None:
    """"scale router to 4 and don't touch anything else": the order stands, the rest goes."""
    ordered = SCALE.model_copy(update={"ordered": {"replicas": 4}})
    drafted = SCALE.model_copy(update={"call": ToolCall(
        tool="restart_deployment", args={"namespace": "dispatch", "deployment": "router"})})
    verdict = review([ordered, drafted], [], CATALOG, _asking(Ask.ORDERS),
                     hands_off=HandsOff("don't touch anything else", but_orders=True))
    assert [c.call for c in verdict.kept] == [ordered.call]
    assert [c for c, _ in verdict.dropped] == [drafted]
