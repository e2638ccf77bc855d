"""Reads too costly for every question (logs) are made only for a candidate action they
can change, about that action's target, and bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.analysis import Remedy
from assistant.models import DeploymentInfo, Inventory, ToolCall
from assistant.planning.diagnosis import diagnose_actions, evidence_calls
from assistant.planning.offline import Observation, PlannedCall
from tools.catalog import CATALOG
from tools.outputs import PodLogExcerpt, WorkloadLogs

NOW = datetime(2027, 3, 5, 18, 10, tzinfo=UTC)
INVENTORY = Inventory(environment="prod", deployments=(
    DeploymentInfo(namespace="outbound", name="invoice-sender", service="invoice-sender",
                   replicas=2, ready_replicas=2),))
TARGET = {"namespace": "outbound", "deployment": "invoice-sender"}
THROTTLED = WorkloadLogs(
    namespace="outbound", selector="app=invoice-sender", workload="Deployment/invoice-sender",
    previous=False, pods_matched=1, pods_not_read=[],
    pods=[PodLogExcerpt(pod="invoice-sender-7d9-a", container="app", truncated=False,
                        lines=["POST https://api.mail.example/send -> 429 Too Many Requests"])])


class Reads:
    def __init__(self) -> None:
        self.calls: list[ToolCall] = []

    def __call__(self, call: ToolCall) -> Observation:
        self.calls.append(call)
        data = THROTTLED.model_dump(mode="json") if CATALOG[call.tool].evidence_for else None
        return Observation(call=call, ok=data is not None, text="", data=data)


def _candidate(tool: str, **args: object) -> PlannedCall:
    return PlannedCall(call=ToolCall(tool=tool, args={**TARGET, **args}), why="step 2",
                       runbook_id=None, step_index=None)


def test_logs_are_not_read_before_planning() -> None:
    assert not any(CATALOG[c.tool].evidence_for for c in evidence_calls(TARGET))


def test_no_candidate_that_logs_could_change_reads_no_logs() -> None:
    reads = Reads()
    assert diagnose_actions([_candidate("restart_deployment")], INVENTORY, NOW, reads) == []
    assert reads.calls == []


def test_a_scale_out_reads_its_target_logs_once_bounded_and_is_ruled_out() -> None:
    reads = Reads()
    scale = _candidate("scale_deployment", replicas=4)
    [finding] = diagnose_actions([scale, scale], INVENTORY, NOW, reads)
    [call] = reads.calls
    assert call.args["deployment"] == "invoice-sender"
    assert call.args["tail"] <= 50 and call.args["max_pods"] <= 3
    against = finding.against(Remedy.SCALE_OUT)
    assert against is not None and against.firm and "api.mail.example" in against.why
