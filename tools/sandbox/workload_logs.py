"""get_workload_logs in the sandbox: its pods carry the labels the Kubernetes stand-in
gives the same workloads (``app`` and ``app.kubernetes.io/name``, a Deployment's pods also
``pod-template-hash``), so one selector picks the same pods in both."""

from __future__ import annotations

from assistant.models import ToolOutput
from tools.label_selector import parse_label_selector
from tools.sandbox.lookup import require_deployment, require_namespace
from tools.sandbox.world import Deployment, Pod, World
from tools.workload_logs import (
    GetWorkloadLogsArgs,
    LogSource,
    LogUnavailable,
    collect_logs,
    render_logs,
)

NAME_LABEL = "app"
SERVICE_LABEL = "app.kubernetes.io/name"
TEMPLATE_HASH = "pod-template-hash"


def pod_labels(dep: Deployment, pod: Pod) -> dict[str, str]:
    labels = {NAME_LABEL: dep.name, SERVICE_LABEL: dep.service}
    revision = dep.find_revision(pod.revision)
    if dep.kind == "Deployment" and revision is not None:
        labels[TEMPLATE_HASH] = dep.template_hash(revision)
    return labels


def _matched(world: World, args: GetWorkloadLogsArgs) -> tuple[str, list[tuple[Deployment, Pod]]]:
    if args.deployment is not None:
        dep = require_deployment(world, args.namespace, args.deployment, args.kind)
        return f"{NAME_LABEL}={dep.name}", [(dep, p) for p in dep.pods]
    assert args.selector is not None  # the args model requires one of the two
    require_namespace(world, args.namespace)
    selector = parse_label_selector(args.selector)
    return args.selector, [(d, p) for d in world.deployments if d.namespace == args.namespace
                           for p in d.pods if selector.matches(pod_labels(d, p))]


def workload_logs(world: World, args: GetWorkloadLogsArgs) -> ToolOutput:
    selector, matched = _matched(world, args)
    pods = {p.name: (d, p) for d, p in matched}

    def read(source: LogSource, container: str) -> list[str]:
        dep, pod = pods[source.pod]
        if container != dep.container:
            raise LogUnavailable(f"container {container} is not valid for pod {pod.name}")
        if args.previous and not pod.previous_logs:
            raise LogUnavailable(f'previous terminated container "{container}" in pod '
                                 f'"{pod.name}" not found')
        return list(pod.previous_logs if args.previous else pod.logs)

    sources = [LogSource(pod=p.name, default_container=d.container,
                         troubled=not p.ready or p.reason is not None) for d, p in matched]
    data = collect_logs(args, selector, sources, read)
    return ToolOutput(text=render_logs(data), data=data)
