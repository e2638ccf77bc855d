"""Logs of several pods at once, chosen by a label selector or by the workload that owns
them: the args, the bounds and how the excerpts are gathered and shown, the same for every
backend. Backends only list the pods and read one pod's log (``read`` below). Pure.

A selector can match hundreds of pods and a pod can log megabytes, and the result goes to
a chat thread and an LLM's context: every read is bounded three ways (pods, lines per pod,
bytes in all), and what the bounds left out is named rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import Field, model_validator

from tools.args import DEFAULT_KIND, Args, K8sName, WorkloadKind
from tools.label_selector import MAX_LENGTH, parse_label_selector
from tools.outputs import PodLogExcerpt, WorkloadLogs

# The most log text one call returns, over all its pods: about what fits a chat message
# thread and a model's context alongside the rest of an investigation.
LOG_BYTES = 64 * 1024
TAIL_MAX = 500


class GetWorkloadLogsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    selector: str | None = Field(
        None, min_length=1, max_length=MAX_LENGTH,
        description="Label selector (app=api,tier!=db), or give deployment")
    deployment: K8sName | None = Field(
        None, description="Workload name (of kind), or give selector")
    kind: WorkloadKind = Field(DEFAULT_KIND, description="Deployment, StatefulSet or DaemonSet")
    container: K8sName | None = Field(
        None, description="Container; default: each pod's default one")
    previous: bool = Field(False, description="Previous (crashed) containers")
    tail: int = Field(20, ge=1, le=TAIL_MAX, description="Lines per pod")
    max_pods: int = Field(5, ge=1, le=20, description="Pods to read at most")

    @model_validator(mode="after")
    def _one_target(self) -> GetWorkloadLogsArgs:
        if (self.selector is None) == (self.deployment is None):
            raise ValueError("give either selector (a label selector) or deployment (a "
                             "workload name, with kind), not both and not neither")
        if self.selector is not None:
            parse_label_selector(self.selector)
        return self

    @property
    def workload(self) -> str | None:
        return f"{self.kind}/{self.deployment}" if self.deployment else None


@dataclass(frozen=True)
class LogSource:
    """One matched pod as the backend listed it."""

    pod: str
    default_container: str
    troubled: bool  # not ready, or restarting: its logs are read first


class LogUnavailable(Exception):
    """This pod's log cannot be read (no previous container, no such container, the pod
    went away): said against the pod, while the other pods are still read."""


# (pod, container) -> its last ``tail`` log lines, newest last.
LogReader = Callable[[LogSource, str], list[str]]


def _newest_within(lines: list[str], budget: int) -> tuple[list[str], bool]:
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        used += len(line.encode()) + 1
        if used > budget:
            return kept[::-1], True
        kept.append(line)
    return kept[::-1], False


def collect_logs(args: GetWorkloadLogsArgs, selector: str, sources: Sequence[LogSource],
                 read: LogReader) -> WorkloadLogs:
    """Read the matched pods in order (troubled first, then by name) until ``max_pods``
    have been read or the byte budget is spent."""
    ordered = sorted(sources, key=lambda s: (not s.troubled, s.pod))
    excerpts: list[PodLogExcerpt] = []
    budget = LOG_BYTES
    not_read: list[str] = []
    for source in ordered:
        if len(excerpts) == args.max_pods or budget <= 0:
            not_read.append(source.pod)
            continue
        container = args.container or source.default_container
        try:
            lines = read(source, container)[-args.tail:]
        except LogUnavailable as exc:
            excerpts.append(PodLogExcerpt(pod=source.pod, container=container, lines=[],
                                          truncated=False, error=str(exc)))
            continue
        kept, truncated = _newest_within(lines, budget)
        budget -= sum(len(line.encode()) + 1 for line in kept)
        if truncated:
            budget = 0
        excerpts.append(PodLogExcerpt(pod=source.pod, container=container, lines=kept,
                                      truncated=truncated))
    return WorkloadLogs(namespace=args.namespace, selector=selector, workload=args.workload,
                        previous=args.previous, pods_matched=len(sources), pods=excerpts,
                        pods_not_read=not_read)


def render_logs(logs: WorkloadLogs) -> str:
    which = "previous containers" if logs.previous else "containers"
    target = logs.workload or f"pods with {logs.selector}"
    if not logs.pods_matched:
        of = f" ({logs.workload})" if logs.workload else ""
        return f"no pods in {logs.namespace} match {logs.selector}{of}"
    out = [f"logs of {logs.namespace} {target} ({which}): {len(logs.pods)} of "
           f"{logs.pods_matched} pods read"]
    for excerpt in logs.pods:
        head = f"--- {excerpt.pod} ({excerpt.container})"
        if excerpt.error:
            out.append(f"{head}: {excerpt.error}")
            continue
        cut = ", older lines cut to fit the byte budget" if excerpt.truncated else ""
        out.extend([f"{head}, last {len(excerpt.lines)} lines{cut}:", *excerpt.lines])
    if logs.pods_not_read:
        out.append(f"not read (beyond max_pods or {LOG_BYTES // 1024} KiB): "
                   f"{', '.join(logs.pods_not_read)}")
    return "\n".join(out)
