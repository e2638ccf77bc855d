"""Review keeps or drops candidate actions by what the findings say about their targets."""

from __future__ import annotations

from collections.abc import Callable

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import Inventory, ToolCall
from assistant.planning.diagnosis import catalog_for_review
from assistant.planning.intent import Ask
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
    verdict = review([SCALE], [], CATALOG, _asking(Ask.REQUESTS))
    assert verdict.kept == (SCALE,)


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
