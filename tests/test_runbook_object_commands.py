"""Runbook commands about pods, nodes, Jobs, CronJobs and volume claims become calls of
their tools; commands the tools cannot do faithfully stay text. Snippets are invented."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.retrieval.commands import derive_steps, find_commands, implementing_step
from tools.catalog import CATALOG


def _only(markdown: str) -> tuple[str, dict[str, Any]] | None:
    found = find_commands(markdown)
    assert len(found) == 1, found
    step = implementing_step(found[0], CATALOG.values())
    return None if step is None else (step.tool, step.args)


@pytest.mark.parametrize(("command", "expected"), [
    ("kubectl describe pod $POD -n $NAMESPACE",
     ("describe_pod", {"namespace": "{namespace}", "pod": "{pod}"})),
    # A controller's random pod suffix cannot be known when a runbook is written: the name
    # is an example, and the thread's pod is meant.
    ("kubectl delete pod ingest-7c9d8-q2w3e -n gateway",
     ("delete_pod", {"namespace": "gateway", "pod": "{pod}"})),
    ("kubectl logs kube-proxy-b9g23 -n kube-system",
     ("get_pod_logs", {"namespace": "kube-system", "pod": "{pod}"})),
    ("kubectl describe pod prometheus-k8s-0 -n monitoring",
     ("describe_pod", {"namespace": "monitoring", "pod": "prometheus-k8s-0"})),
    ("kubectl logs kube-proxy -n kube-system",
     ("get_pod_logs", {"namespace": "kube-system", "pod": "kube-proxy"})),
    ("kubectl get nodes", ("list_nodes", {})),
    ("kubectl get nodes -l node-role.kubernetes.io/control-plane=",
     ("list_nodes", {})),
    ("kubectl describe node $NODE", ("describe_node", {"node": "{node}"})),
    ("kubectl get node $NODE -o yaml", ("describe_node", {"node": "{node}"})),
    ("kubectl get pods -A --field-selector=spec.nodeName=$NODE",
     ("describe_node", {"node": "{node}"})),
    ("kubectl cordon $NODE", ("cordon_node", {"node": "{node}"})),
    ("kubectl uncordon node/$NODE", ("uncordon_node", {"node": "{node}"})),
    # $JOB is a Job's name, which alerts label job_name (their job label is a scrape job).
    ("kubectl -n $NAMESPACE describe job $JOB",
     ("describe_job", {"namespace": "{namespace}", "job": "{job_name}"})),
    ("kubectl delete job $JOB_NAME", ("delete_failed_job", {"namespace": "{namespace}",
                                                           "job": "{job_name}"})),
    ("kubectl describe node $NODE_NAME", ("describe_node", {"node": "{node}"})),
    ("kubectl get cronjobs -n batch", ("list_cronjobs", {"namespace": "batch"})),
    ("kubectl -n batch delete job nightly-export-123",
     ("delete_failed_job", {"namespace": "batch", "job": "nightly-export-123"})),
    ("kubectl patch cronjob nightly -n batch --patch '{\"spec\": {\"suspend\": true}}'",
     ("suspend_cronjob", {"namespace": "batch", "cronjob": "nightly"})),
    ("kubectl patch cronjob nightly -n batch --patch '{\"spec\":{\"suspend\":false}}'",
     ("resume_cronjob", {"namespace": "batch", "cronjob": "nightly"})),
    ("kubectl get pvc -n $NAMESPACE", ("list_pvcs", {"namespace": "{namespace}"})),
    ("kubectl get persistentvolumeclaim data-0 -n db",
     ("list_pvcs", {"namespace": "db"})),
])
def test_object_commands_map_to_their_tools(command: str,
                                            expected: tuple[str, dict[str, Any]]) -> None:
    assert _only(f"Run `{command}`.") == expected


@pytest.mark.parametrize("command", [
    "kubectl delete pod -n gateway -l app=ingest",  # every pod behind a selector
    "kubectl delete pod ingest-7c9d8-q2w3e -n gateway --force --grace-period=0",
    "kubectl get node $NODE -o wide",  # a list row, not a description
    "kubectl drain $NODE --ignore-daemonsets",  # no drain tool, on purpose
    "kubectl get cronjobs --all-namespaces",
])
def test_commands_the_tools_cannot_do_faithfully_stay_text(command: str) -> None:
    assert _only(f"Run `{command}`.") is None


@pytest.mark.parametrize(("command", "args"), [
    ("kubectl delete pod -l app=$DEPLOYMENT -n $NAMESPACE",
     {"namespace": "{namespace}", "deployment": "{deployment}"}),
    ("kubectl delete pods --selector=app.kubernetes.io/name={{ $labels.statefulset }}",
     {"namespace": "{namespace}", "deployment": "{statefulset}", "kind": "StatefulSet"}),
])
def test_deleting_the_pods_of_the_threads_workload_is_its_rolling_restart(
        command: str, args: dict[str, Any]) -> None:
    assert _only(f"Run `{command}`.") == ("restart_deployment", args)
    # A change keeps only what the thread binds; the thread's workload brings its kind.
    steps, manual = derive_steps(find_commands(f"Run `{command}`."), CATALOG.values())
    bound = {k: v for k, v in args.items() if k != "kind"}
    assert [(s.tool, s.args) for s in steps] == [("restart_deployment", bound)] and not manual


@pytest.mark.parametrize("command", [
    "kubectl delete pod -l k8s-app=kube-proxy -n kube-system",  # pods only the cluster knows
    "kubectl delete pod -l app=$DEPLOYMENT,tier=web",  # some of its pods
    "kubectl delete pod -l app=$DEPLOYMENT --force --grace-period=0",
    "kubectl delete pod -l app=$POD",
])
def test_deleting_pods_of_any_other_selector_is_no_restart(command: str) -> None:
    assert _only(f"Run `{command}`.") is None


@pytest.mark.parametrize(("command", "reads"), [
    # The corpus's typo for kubectl: describe reads, whatever the program.
    ("kubelet describe Service -n kube-system -l app=kubelet", True),
    ("systemctl status kubelet", True),
    ("systemctl restart kubelet", False),
    ("chroot /host", False),
])
def test_a_program_without_known_forms_reads_only_with_a_read_verb(command: str,
                                                                   reads: bool) -> None:
    (found,) = find_commands(f"```\n$ {command}\n```")
    assert found.reads is reads
