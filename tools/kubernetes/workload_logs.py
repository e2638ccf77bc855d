"""get_workload_logs against the API: list the pods by label selector (a named workload's
own spec.selector, as `kubectl logs sts/NAME` does), then read each one's log. Only pods
and pods/log are read; nothing here touches Secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.models import ToolOutput
from tools.backend import ToolFailure
from tools.kubernetes.cluster import Cluster, default_container
from tools.kubernetes.pods import pod_state, selector_string
from tools.real.http import HttpFailure
from tools.workload_logs import (
    LOG_BYTES,
    GetWorkloadLogsArgs,
    LogSource,
    LogUnavailable,
    collect_logs,
    render_logs,
)

# Per pod, what the API server may send at most: it cuts after that many bytes, so an
# application logging megabyte lines cannot fill the backend's memory.
POD_LOG_BYTES = 4 * LOG_BYTES


def _workload_selector(cluster: Cluster, args: GetWorkloadLogsArgs) -> str:
    assert args.deployment is not None
    read: dict[str, Callable[[str, str], Any]] = {
        "Deployment": cluster.deployment, "StatefulSet": cluster.stateful_set,
        "DaemonSet": cluster.daemon_set}
    workload = read[args.kind](args.namespace, args.deployment)
    return selector_string(workload.spec.selector)


def workload_logs(cluster: Cluster, args: GetWorkloadLogsArgs) -> ToolOutput:
    selector = args.selector if args.selector else _workload_selector(cluster, args)
    found = cluster.pods(args.namespace, selector)
    if not found and cluster.namespace_missing(args.namespace):
        raise ToolFailure(f"namespace {args.namespace!r} not found")
    sources = []
    for pod in found:
        state = pod_state(pod)
        sources.append(LogSource(pod=state.name, default_container=default_container(pod),
                                 troubled=not state.ready or state.reason is not None))

    def read(source: LogSource, container: str) -> list[str]:
        try:
            raw = cluster.pod_log(args.namespace, source.pod, container, args.tail,
                                  args.previous, limit_bytes=POD_LOG_BYTES)
        except HttpFailure as exc:
            # 400: no previous container, or no such container in this pod; 404: the pod
            # went away since the list. Either is this pod's story, not the whole read's.
            if exc.status in (400, 404):
                raise LogUnavailable(str(exc)) from exc
            raise
        return raw.splitlines()

    data = collect_logs(args, selector, sources, read)
    return ToolOutput(text=render_logs(data), data=data)
