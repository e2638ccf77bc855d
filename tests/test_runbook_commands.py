"""Commands in a Markdown runbook become typed calls of the catalog; the rest stay text.

Every snippet here is invented for the test."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.retrieval.commands import derive_steps, find_commands, implementing_step
from tools.catalog import CATALOG


def _calls(markdown: str) -> list[tuple[str, dict[str, Any]]]:
    steps, _ = derive_steps(find_commands(markdown), CATALOG.values())
    return [(s.tool, s.args) for s in steps]


def _only(markdown: str) -> tuple[str, dict[str, Any]] | None:
    found = find_commands(markdown)
    assert len(found) == 1, found
    step = implementing_step(found[0], CATALOG.values())
    return None if step is None else (step.tool, step.args)


DEPLOYMENT = {"namespace": "{namespace}", "deployment": "{deployment}"}


@pytest.mark.parametrize("command", [
    "kubectl -n $NAMESPACE describe deployment $NAME",
    "kubectl describe deploy/${DEPLOYMENT} --namespace=<namespace>",
    "kubectl describe deployments {{ $labels.deployment }} -n {{ $labels.namespace }}",
    "oc describe deployment <my-deployment> -n <value of namespace label from alert>",
    "kubectl get deployment.apps/$DEPLOYMENT_NAME --namespace $NS -o yaml",
])
def test_every_placeholder_spelling_binds_the_same_names(command: str) -> None:
    assert _only(f"Look: `{command}`.") == ("describe_deployment", DEPLOYMENT)


@pytest.mark.parametrize("command", [
    "kubectl -n $NAMESPACE describe pod $POD_FROM_JOB",
    "kubectl describe pod <pod-name> -n <namespace>",
])
def test_a_job_s_pod_is_the_pod_its_job_description_binds(command: str) -> None:
    assert _only(f"Look: `{command}`.") == (
        "describe_pod", {"namespace": "{namespace}", "pod": "{pod}"})


def test_literal_names_stay_literal() -> None:
    assert _only("`kubectl -n kube-system rollout history deployment/coredns`") == (
        "rollout_history", {"namespace": "kube-system", "deployment": "coredns"})


def test_without_a_namespace_flag_the_alerts_namespace_is_meant() -> None:
    assert _only("```\nkubectl get pods -l app=ledger -o wide\n```") == (
        "list_pods", {"namespace": "{namespace}"})


def test_prompt_blocks_skip_output_comments_and_builtins() -> None:
    block = """```console
$ kubectl -n payments get pods
NAME                 READY   STATUS
ledger-7d9-abcde     1/1     Running
# the one restarting is what matters
$ kubectl -n payments logs ledger-7d9-abcde --tail=200 -p
$ exit
```"""
    assert _calls(block) == [
        ("list_pods", {"namespace": "payments"}),
        ("get_pod_logs", {"namespace": "payments", "pod": "ledger-7d9-abcde", "tail": 200,
                          "previous": True}),
    ]


def test_variables_set_in_a_block_fill_the_lines_after_them() -> None:
    block = """```shell
$ NS='<value of namespace label from alert>'
$ TARGET=ledger
$ kubectl -n "$NS" rollout history deployment "$TARGET"
```"""
    assert _calls(block) == [
        ("rollout_history", {"namespace": "{namespace}", "deployment": "ledger"})]


def test_continuations_pipes_and_command_lists() -> None:
    block = """```bash
kubectl --namespace shop \\
  describe deployment cart | grep -i replicas
kubectl -n shop get pods && kubectl -n shop rollout history deployment cart
```"""
    assert _calls(block) == [
        ("describe_deployment", {"namespace": "shop", "deployment": "cart"}),
        ("list_pods", {"namespace": "shop"}),
        ("rollout_history", {"namespace": "shop", "deployment": "cart"}),
    ]


MUTATIONS = """```shell
kubectl -n $NAMESPACE rollout undo deployment/$DEPLOYMENT --to-revision=7
kubectl -n $NAMESPACE rollout restart deployment $DEPLOYMENT
kubectl scale deployment/$DEPLOYMENT -n $NAMESPACE --replicas=6
amtool silence add alertname=LedgerLagHigh namespace=$NAMESPACE -d 2h --comment="known lag"
```"""


def test_mutating_commands_map_to_their_tools_with_their_arguments() -> None:
    steps = [implementing_step(f, CATALOG.values()) for f in find_commands(MUTATIONS)]
    assert [(s.tool, s.args) for s in steps if s is not None] == [
        ("rollback_deployment", {**DEPLOYMENT, "revision": 7}),
        ("restart_deployment", DEPLOYMENT),
        ("scale_deployment", {**DEPLOYMENT, "replicas": 6}),
        ("silence_alert", {"alertname": "LedgerLagHigh",
                           "matchers": {"namespace": "{namespace}"},
                           "duration_minutes": 120, "comment": "known lag"}),
    ]


def test_derived_changes_take_targets_and_arguments_only_from_the_thread() -> None:
    steps, manual = derive_steps(find_commands(MUTATIONS), CATALOG.values())
    # The revision comes from the evidence (the last healthy one), not the page.
    assert [(s.tool, s.args) for s in steps] == [
        ("rollback_deployment", DEPLOYMENT), ("restart_deployment", DEPLOYMENT)]
    assert manual == (
        "kubectl scale deployment/$DEPLOYMENT -n $NAMESPACE --replicas=6",
        'amtool silence add alertname=LedgerLagHigh namespace=$NAMESPACE -d 2h '
        '--comment="known lag"',
    )


def test_a_page_naming_its_own_target_for_a_change_proposes_nothing() -> None:
    text = "Fix: `kubectl -n shop scale deployment checkout --replicas=0`, " \
           "then `kubectl -n shop rollout restart deployment/checkout`."
    steps, manual = derive_steps(find_commands(text), CATALOG.values())
    assert steps == () and len(manual) == 2


def test_a_silence_bound_to_the_alert_keeps_only_bound_matchers() -> None:
    text = "`amtool silence add alertname={{ $labels.alertname }} " \
           "namespace={{ $labels.namespace }} team=ledger --duration=1h`"
    assert _calls(text) == [("silence_alert", {
        "alertname": "{alertname}", "matchers": {"namespace": "{namespace}"}})]


def test_amtool_reads_a_bare_first_word_as_the_alert_name() -> None:
    assert _only("`amtool silence add LedgerLagHigh severity=warning`") == (
        "silence_alert", {"alertname": "LedgerLagHigh", "matchers": {"severity": "warning"}})


def test_promql_blocks_hold_one_expression_per_paragraph() -> None:
    block = """```promql
sum by (pod) (
  rate(ledger_errors_total{namespace="{{ $labels.namespace }}"}[5m])
)

ledger_queue_depth{instance="<value of instance label from alert>"}
```"""
    assert _calls(block) == [
        ("query_metrics",
         {"query": 'sum by (pod) ( rate(ledger_errors_total{namespace="{namespace}"}[5m]) )'}),
        ("query_metrics", {"query": 'ledger_queue_depth{instance="{instance}"}'}),
    ]


@pytest.mark.parametrize(("command", "args"), [
    ("kubectl -n payments logs -l 'tier=api,track!=canary' -c server --tail=40",
     {"namespace": "payments", "selector": "tier=api,track!=canary", "container": "server",
      "tail": 40}),
    ("kubectl logs ds/node-agent -n infra --previous",
     {"namespace": "infra", "deployment": "node-agent", "kind": "DaemonSet",
      "previous": True}),
    ("kubectl logs deploy/ledger", {"namespace": "{namespace}", "deployment": "ledger"}),
    # kubectl takes no pod name next to -l: the one word there names the container.
    ("oc logs -lapp=broker broker -n queue",
     {"namespace": "queue", "selector": "app=broker", "container": "broker"}),
])
def test_logs_of_a_selector_or_workload_map_to_workload_logs(
        command: str, args: dict[str, Any]) -> None:
    assert _only(f"`{command}`") == ("get_workload_logs", args)
    CATALOG["get_workload_logs"].validate_args(
        {**args, "namespace": args["namespace"].strip("{}")})


@pytest.mark.parametrize(("command", "args"), [
    ("kubectl -n payments logs ledger-7d9-abcde -c migrate --tail=30",
     {"namespace": "payments", "pod": "ledger-7d9-abcde", "container": "migrate", "tail": 30}),
    ("kubectl logs pod/ledger-7d9-abcde --container=proxy -p",
     {"namespace": "{namespace}", "pod": "ledger-7d9-abcde", "container": "proxy",
      "previous": True}),
    ("kubectl logs $POD -c $CONTAINER",
     {"namespace": "{namespace}", "pod": "{pod}", "container": "{container}"}),
    # kubectl's second word after logs is the container.
    ("kubectl -n payments logs ledger-7d9-abcde migrate",
     {"namespace": "payments", "pod": "ledger-7d9-abcde", "container": "migrate"}),
    ("kubectl -n payments logs ledger-7d9-abcde",
     {"namespace": "payments", "pod": "ledger-7d9-abcde"}),
])
def test_logs_of_one_pod_read_the_container_the_command_names(
        command: str, args: dict[str, Any]) -> None:
    assert _only(f"`{command}`") == ("get_pod_logs", args)


@pytest.mark.parametrize("command", [
    # Logs of every namespace's pods, of a kind no tool reads, or more lines than it reads.
    "kubectl logs -l app=cart --all-namespaces",
    "kubectl -n shop logs job/cart-reindex",
    "kubectl -n shop logs -l app=cart --tail=2000",
    # Every container's log, or a container left unnamed: no tool reads that.
    "kubectl -n shop logs cart-7d9-abcde --all-containers",
    "kubectl -n shop logs cart-7d9-abcde --all-containers=true",
    "kubectl -n shop logs -l app=cart --all-containers",
    "kubectl -n shop logs deploy/cart --all-containers",
    "kubectl -n shop logs cart-7d9-abcde -c",
    # A pod name and a container next to a selector: kubectl refuses it, so does the form.
    "kubectl -n shop logs -l app=cart cart-7d9-abcde -c cart",
    # Two containers for one pod: kubectl refuses it, so does the form.
    "kubectl -n shop logs cart-7d9-abcde cart -c proxy",
    # list_pods reads one namespace.
    "kubectl get pods --all-namespaces",
    "kubectl -n shop describe configmap cart-settings",
    "kubectl -n shop delete pod cart-7d9-abcde",
    "etcdctl endpoint status -w table",
])
def test_commands_no_tool_implements_stay_text(command: str) -> None:
    steps, manual = derive_steps(find_commands(f"```\n{command}\n```"), CATALOG.values())
    assert steps == () and manual == (command,)


def test_command_substitution_is_never_run() -> None:
    line = "kubectl -n shop logs $(kubectl -n shop get pods -o name | head -1)"
    found = find_commands(f"```\n{line}\n```")
    assert [f.complete for f in found] == [False]
    assert derive_steps(found, CATALOG.values()) == ((), (line,))
    assert found[0].form == "kubectl logs" and found[0].reads


def test_inline_code_counts_only_when_it_is_a_whole_command() -> None:
    text = "Use `kubectl` or `kubectl logs`, the `ledger_errors_total` metric, or " \
           "`kubectl -n shop get pods`."
    assert [f.text for f in find_commands(text)] == ["kubectl -n shop get pods"]


def test_inline_code_the_prose_calls_a_query_is_promql() -> None:
    text = ("`up{job=\"$JOB\"} == 0` query can be used to check the trend; "
            "the `ledger_errors_total` metric counts; use `kubectl` to query.")
    assert _calls(text) == [("query_metrics", {"query": 'up{job="{job}"} == 0'})]


def test_a_command_given_twice_is_one_step() -> None:
    text = "First `kubectl -n shop get pods`, later again:\n\n```\nkubectl get po -n shop\n```"
    assert _calls(text) == [("list_pods", {"namespace": "shop"})]


def test_unbalanced_quotes_keep_the_line_as_text() -> None:
    found = find_commands("```\nkubectl -n shop get pods -l 'app=cart\n```")
    assert [(f.complete, f.form) for f in found] == [(False, "kubectl get pod")]


def test_any_tool_can_claim_a_command_form_through_its_hook() -> None:
    from pydantic import BaseModel

    from assistant.models import Risk, RunbookCommand, ToolClass, ToolSpec

    class FlagArgs(BaseModel):
        flag: str

    def flag_form(command: RunbookCommand) -> dict[str, Any] | None:
        if command.program == "flagctl" and command.words[:1] == ("show",):
            return {"flag": command.words[1]}
        return None

    spec = ToolSpec(name="show_flag", description="d", args_model=FlagArgs,
                    output_model=FlagArgs, tool_class=ToolClass.READ, risk=Risk.LOW,
                    blast_radius=lambda args, inventory: None, implements=flag_form)
    block = "```shell\n$ flagctl show {{ $labels.flag }}\nflag: off\n```"
    steps, manual = derive_steps(find_commands(block), [*CATALOG.values(), spec])
    assert [(s.tool, s.args) for s in steps] == [("show_flag", {"flag": "{flag}"})]
    assert manual == ()
