"""Reads too costly for every question (logs) are made only for a candidate action they
can change, about that action's target, and bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.analysis import Remedy
from assistant.models import AlertInfo, DeploymentInfo, Inventory, ToolCall
from assistant.planning.diagnosis import diagnose, diagnose_actions, evidence_calls
from assistant.planning.entities import LinkedEntities
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


EXPIRED = THROTTLED.model_copy(update={"pods": [PodLogExcerpt(
    pod="invoice-sender-7d9-a", container="app", truncated=False,
    lines=["2027-03-05T18:05:00Z level=error msg=\"handshake failed\" peer=mx.relay.example "
           "err=\"x509: certificate has expired\"",
           "POST https://api.mail.example/send -> 429 Too Many Requests"])]})
ALERTED = INVENTORY.model_copy(update={"alerts": (AlertInfo(
    name="InvoiceRelayStale", labels={"namespace": "outbound", "deployment": "invoice-sender"}),)})


class LogReads(Reads):
    def __call__(self, call: ToolCall) -> Observation:
        self.calls.append(call)
        data = EXPIRED.model_dump(mode="json") if CATALOG[call.tool].evidence_for else None
        return Observation(call=call, ok=data is not None, text="", data=data)


SENDER = LinkedEntities(namespace="outbound", deployment="invoice-sender",
                        service="invoice-sender")


def test_trouble_nothing_explains_reads_the_logs_for_a_fault_no_action_mends() -> None:
    reads = LogReads()
    found = diagnose(SENDER, ALERTED, NOW, reads).findings
    # The expired certificate is found; a throttle, which only speaks against an action
    # under consideration, is left for when one is.
    assert [f.kind for f in found] == ["certificate-failure"]
    assert any(CATALOG[c.tool].evidence_for for c in reads.calls)


def test_a_workload_in_no_trouble_reads_no_logs_before_planning() -> None:
    reads = LogReads()
    assert diagnose(SENDER, INVENTORY, NOW, reads).findings == ()
    assert not any(CATALOG[c.tool].evidence_for for c in reads.calls)
