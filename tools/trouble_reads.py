"""The reads a result calls for next when it shows a pod in trouble, as a person follows
a runbook's prose ("check the status of the pods", "check pod events", "check the logs"):
a workload short of ready pods -> its pods; a troubled pod -> its description (with its
events) and the logs of the container that crashed, or of the one still running.

Each is a tool's ``next_reads`` hook: the args it was called with and its typed output in,
calls out. Bounded here to the worst pods of one result; the planner bounds the rest.
"""

from __future__ import annotations

from typing import Any

from assistant.models import ToolCall
from tools.args import DEFAULT_KIND
from tools.object_outputs import JobDescription, PodDescription
from tools.outputs import DeploymentDescription, PodList, PodRow

PODS_FOLLOWED = 2  # of one result's troubled pods, the worst this many
# Phases of a pod that will not run again: nothing more to learn from them than their Job's.
_FINISHED = frozenset({"Succeeded"})


def _pod_reads(namespace: str, pod: str, *, crashed: bool, running: bool) -> list[ToolCall]:
    """Its description (events say why it waits or was not scheduled), and the log of
    the container that crashed, or else of the one running: a Pending pod has none."""
    reads = [ToolCall(tool="describe_pod", args={"namespace": namespace, "pod": pod})]
    if crashed:
        reads.append(ToolCall(tool="get_pod_logs",
                              args={"namespace": namespace, "pod": pod, "previous": True}))
    elif running:
        reads.append(ToolCall(tool="get_pod_logs", args={"namespace": namespace, "pod": pod}))
    return reads


def _troubled(row: PodRow) -> bool:
    return row.phase not in _FINISHED and (not row.ready or row.phase != "Running")


def pods_reads(args: Any, output: PodList) -> list[ToolCall]:
    """The worst troubled pods of a list (crash-looping first, then by the list's order)."""
    troubled = sorted((p for p in output.pods if _troubled(p)), key=lambda p: -p.restarts)
    return [call for p in troubled[:PODS_FOLLOWED]
            for call in _pod_reads(args.namespace, p.name,
                                   crashed=p.restarts > 0 or p.last_termination_reason is not None,
                                   running=p.phase == "Running")]


def pod_description_reads(args: Any, output: PodDescription) -> list[ToolCall]:
    """A pod whose container crashed: the log of the crash, which the description lacks."""
    if output.ready or not any(c.restarts or c.last_termination_reason for c in output.containers):
        return []
    return [ToolCall(tool="get_pod_logs",
                     args={"namespace": args.namespace, "pod": args.pod, "previous": True})]


def workload_reads(args: Any, output: DeploymentDescription) -> list[ToolCall]:
    """A workload with fewer ready pods than it wants: which pods, and in what state."""
    if output.ready_replicas >= output.replicas:
        return []
    ref = {"namespace": args.namespace, "deployment": args.deployment}
    if args.kind != DEFAULT_KIND:
        ref["kind"] = args.kind
    return [ToolCall(tool="list_pods", args=ref)]


def job_reads(args: Any, output: JobDescription) -> list[ToolCall]:
    """A Job that has not completed: what its running pod is doing now, why it has none,
    or what the pod that failed last said before it ended."""
    if output.status == "Running" and not output.pods:
        # No pod at all: why none was created (a quota, an admission webhook) is in the
        # Job's events, as `kubectl describe job` shows them.
        return [ToolCall(tool="list_events", args={"namespace": args.namespace, "kind": "Job",
                                                   "name": args.job})]
    if output.status == "Running":
        pods = [p for p in output.pods if p.phase in ("Running", "Pending")]
    elif output.status == "Failed":
        pods = [p for p in output.pods if p.phase == "Failed"][-1:]
    else:
        return []
    # A pod still Pending has no log yet: its description's events say why it waits.
    return [ToolCall(tool="describe_pod" if p.phase == "Pending" else "get_pod_logs",
                     args={"namespace": args.namespace, "pod": p.name})
            for p in pods[:PODS_FOLLOWED]]
