"""A runbook without ``steps:`` is followed through the commands its body gives; a runbook
with ``steps:`` behaves exactly as its front matter says. Runbooks here are invented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.models import (
    DeploymentInfo,
    Inventory,
    RetrievalHit,
    Runbook,
    RunbookStep,
    ToolCall,
    ToolOutput,
)
from assistant.planning.entities import LinkedEntities, Linking, link_entities
from assistant.planning.offline import Observation, plan_offline
from assistant.retrieval.markdown import parse_runbook
from tools.object_outputs import PodDescription
from tools.outputs import DeploymentDescription, PodList, PodRow

LEDGER_BODY = """# LedgerReplicasShort

## Diagnosis

Check the deployment with `kubectl -n $NAMESPACE describe deployment $DEPLOYMENT`.

```console
$ kubectl -n $NAMESPACE get pods -l app=ledger
NAME               READY   STATUS
ledger-5f6-abcde   0/1     Pending
$ kubectl -n $NAMESPACE describe configmap ledger-settings
```

## Mitigation

```shell
kubectl -n $NAMESPACE rollout restart deployment/$DEPLOYMENT
```
"""


def _parse(text: str, name: str = "LedgerReplicasShort.md") -> Runbook:
    return parse_runbook(Path(name), text)


def test_a_runbook_without_steps_gets_them_from_its_commands() -> None:
    book = _parse(LEDGER_BODY)
    target = {"namespace": "{namespace}", "deployment": "{deployment}"}
    assert [(s.tool, s.args) for s in book.steps] == [
        ("describe_deployment", target),
        ("list_pods", {"namespace": "{namespace}"}),
        ("restart_deployment", target),
    ]
    assert book.steps[0].why == \
        "the runbook's `kubectl -n $NAMESPACE describe deployment $DEPLOYMENT`"
    assert book.manual_commands == ("kubectl -n $NAMESPACE describe configmap ledger-settings",)


def test_typed_steps_in_front_matter_are_the_only_steps() -> None:
    front = """---
id: ledger-short
alerts: [LedgerReplicasShort]
steps:
  - tool: rollout_history
    args: {namespace: "{namespace}", deployment: "{deployment}"}
---
"""
    book = _parse(front + LEDGER_BODY)
    assert book.steps == (RunbookStep(tool="rollout_history", args={
        "namespace": "{namespace}", "deployment": "{deployment}"}),)
    assert book.manual_commands == ()


def test_an_empty_steps_list_opts_out_of_derived_steps() -> None:
    book = _parse("---\nsteps: []\n---\n" + LEDGER_BODY)
    assert book.steps == () and book.manual_commands == ()


INVENTORY = Inventory(environment="prod", deployments=(
    DeploymentInfo(namespace="money", name="ledger", service="ledger", replicas=3,
                   ready_replicas=1, pods=("ledger-5f6-abcde",)),
))
LINKED = Linking(entities=LinkedEntities(namespace="money", deployment="ledger",
                                         service="ledger", alertname="LedgerReplicasShort"),
                 source="alert")
OUTPUTS: dict[str, Any] = {
    "describe_deployment": DeploymentDescription(
        namespace="money", name="ledger", service="ledger", replicas=3, ready_replicas=1,
        revision=9, image="ledger:9", change="", conditions=[], memory_limit_mib=None),
    "list_pods": PodList(pods=[PodRow(
        name="ledger-5f6-abcde", phase="Pending", ready=False, restarts=0, reason=None,
        deployment="ledger", revision=9, last_termination_reason=None, age="5m")]),
    "describe_pod": PodDescription(
        namespace="money", name="ledger-5f6-abcde", node=None, phase="Pending", ready=False,
        reason=None, owner=None, deployment="ledger", containers=[], conditions=[]),
}
# What the short deployment and its Pending pod call for after the runbook's own reads.
FOLLOW_UPS = [
    ToolCall(tool="list_pods", args={"namespace": "money", "deployment": "ledger"}),
    ToolCall(tool="describe_pod", args={"namespace": "money", "pod": "ledger-5f6-abcde"}),
]


def _runner(calls: list[ToolCall]):
    def run(call: ToolCall) -> Observation:
        calls.append(call)
        data = ToolOutput(text="", data=OUTPUTS[call.tool]).json_data()
        return Observation(call=call, ok=True, text=f"{call.tool} ok", data=data)
    return run


def _hit(book: Runbook) -> RetrievalHit:
    return RetrievalHit(runbook_id=book.id, title=book.title, score=1.0, path=book.path)


def test_derived_reads_run_as_diagnosis_and_changes_become_candidates() -> None:
    book = _parse(LEDGER_BODY)
    calls: list[ToolCall] = []
    plan = plan_offline(LINKED, [_hit(book)], {book.id: book}, INVENTORY, _runner(calls))
    assert calls == [
        ToolCall(tool="describe_deployment", args={"namespace": "money", "deployment": "ledger"}),
        ToolCall(tool="list_pods", args={"namespace": "money"}),
        *FOLLOW_UPS,
    ]
    assert [(c.call.tool, c.call.args, c.runbook_id) for c in plan.candidates] == [
        ("restart_deployment", {"namespace": "money", "deployment": "ledger"}, book.id)]
    assert any("describe configmap ledger-settings" in n and "by hand" in n
               for n in plan.notes)


@pytest.mark.parametrize("question", [
    "restart the ledger please",  # the asker's remedy: supported
    "the ledger is short of replicas",  # no finding supports or rules out the restart
])
def test_a_diagnosis_only_runbook_ranked_first_adds_its_reads_to_the_remedy_runbook(
    question: str,
) -> None:
    diagnosis = _parse(LEDGER_BODY.split("## Mitigation")[0])
    remedy = Runbook(id="ledger-restart", title="Restart the ledger", path="r.md",
                     content_hash="x", steps=(
                         RunbookStep(tool="list_pods", args={"namespace": "{namespace}"}),
                         RunbookStep(tool="restart_deployment", args={
                             "namespace": "{namespace}", "deployment": "{deployment}"}),
                     ))
    calls: list[ToolCall] = []
    plan = plan_offline(LINKED, [_hit(diagnosis), _hit(remedy)],
                        {diagnosis.id: diagnosis, remedy.id: remedy}, INVENTORY,
                        _runner(calls), question=question)
    assert plan.followed == remedy
    # The remedy runbook's list_pods is the diagnosis runbook's too: it runs once.
    assert calls[:2] == [
        ToolCall(tool="describe_deployment", args={"namespace": "money", "deployment": "ledger"}),
        ToolCall(tool="list_pods", args={"namespace": "money"})]
    assert calls[2:] == FOLLOW_UPS
    assert [c.call.tool for c in plan.candidates] == ["restart_deployment"]


API_SERVER_BODY = """# LedgerApiErrors

```promql
sum(rate(apiserver_request_total{code=~"5.."}[5m]))
```
"""


@pytest.mark.parametrize(("alertname", "runs"), [(None, False), ("LedgerApiErrors", True)])
def test_reads_that_name_no_entity_fit_only_the_alert_they_answer(
    alertname: str | None, runs: bool,
) -> None:
    book = _parse(API_SERVER_BODY, name="LedgerApiErrors.md")
    entities = LINKED.entities.model_copy(update={"alertname": alertname})
    calls: list[ToolCall] = []

    def no_metrics(call: ToolCall) -> Observation:
        calls.append(call)
        return Observation(call=call, ok=False, text="", error="no metrics here")

    plan_offline(LINKED.model_copy(update={"entities": entities}), [_hit(book)],
                 {book.id: book}, INVENTORY, no_metrics)
    assert [c.tool for c in calls] == (["query_metrics"] if runs else [])


NODE_BODY = """# KubeNodeNotReady

Check the node: `kubectl describe node $NODE_NAME`.
"""
JOB_BODY = """# KubeJobFailed

Check the job via `kubectl -n $NAMESPACE describe jobs $JOB`.
"""
CLAIM_BODY = """# KubePersistentVolumeFillingUp

```promql
kubelet_volume_stats_available_bytes{namespace="<my-namespace>", persistentvolumeclaim="<my-pvc>"}
```
"""


@pytest.mark.parametrize(("body", "alert", "reads"), [
    (NODE_BODY, {"alertname": "KubeNodeNotReady", "node": "ip-10-1-2-3"},
     [ToolCall(tool="describe_node", args={"node": "ip-10-1-2-3"})]),
    # A Job's thread also reads its namespace's CronJobs: whether its CronJob is suspended
    # is what "is it running again?" turns on.
    (JOB_BODY, {"alertname": "KubeJobFailed", "namespace": "money", "job_name": "close-29"},
     [ToolCall(tool="describe_job", args={"namespace": "money", "job": "close-29"}),
      ToolCall(tool="list_cronjobs", args={"namespace": "money"})]),
    (CLAIM_BODY, {"alertname": "KubePersistentVolumeFillingUp", "namespace": "money",
                  "persistentvolumeclaim": "ledger-wal-0"},
     [ToolCall(tool="query_metrics", args={"query": 'kubelet_volume_stats_available_bytes{'
                                           'namespace="money", persistentvolumeclaim='
                                           '"ledger-wal-0"}'})]),
])
def test_an_alerts_node_job_or_claim_is_what_the_runbooks_commands_read(
    body: str, alert: dict[str, str], reads: list[ToolCall],
) -> None:
    book = _parse(body, name=f"{alert['alertname']}.md")
    calls: list[ToolCall] = []

    def unread(call: ToolCall) -> Observation:
        calls.append(call)
        return Observation(call=call, ok=False, text="", error="not in this test")

    linking = link_entities("what now?", alert, INVENTORY)
    plan = plan_offline(linking, [_hit(book)], {book.id: book}, INVENTORY, unread)
    assert plan.ask_back is None and calls == reads
