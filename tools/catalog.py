"""The tool catalog: each tool defined exactly once.

The args model is the single source of the LLM function schema, input validation and
CLI documentation. Blast radius is estimated here from live inventory, so the policy
engine never has to trust a number the LLM made up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field, model_validator

from assistant.models import (
    ALL_NAMESPACES,
    WORKLOAD_KIND_LABELS,
    BlastRadius,
    Chart,
    Inventory,
    Remedy,
    Risk,
    ToolCall,
    ToolClass,
    ToolOutput,
    ToolSpec,
    Watch,
)
from tools import command_forms as forms
from tools.args import DEFAULT_KIND, Args, K8sName, WorkloadKind
from tools.job_tools import JOB_TOOLS
from tools.node_tools import NODE_TOOLS
from tools.outputs import (
    AlertList,
    Changed,
    DeploymentDescription,
    ErrorBudgetReport,
    MetricSeries,
    PodList,
    PodLogs,
    RestartChange,
    RollbackChange,
    RolloutHistory,
    ScaleChange,
    SilenceChange,
    WorkloadLogs,
)
from tools.pod_tools import POD_TOOLS
from tools.quota_tools import QUOTA_TOOLS
from tools.service_tools import SERVICE_TOOLS
from tools.trouble_reads import pods_reads, workload_reads
from tools.volume_tools import VOLUME_TOOLS
from tools.workload_logs import GetWorkloadLogsArgs
from tools.workload_outputs import EventList, HpaList
from tools.workload_reads import ListEventsArgs, ListHpasArgs, limited_hpas, troubling_events

# Container states that mean a pod is failing, whatever its phase says.
FAILING_REASONS = frozenset({
    "CrashLoopBackOff", "OOMKilled", "Error", "ImagePullBackOff", "ErrImagePull",
    "CreateContainerConfigError", "CreateContainerError", "ContainerCannotRun",
    "RunContainerError", "Evicted",
})


class ListPodsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    deployment: K8sName | None = Field(None, description="Only pods of this workload")
    kind: WorkloadKind = Field(DEFAULT_KIND, description="Kind of that workload")


class GetPodLogsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    pod: K8sName = Field(description="Pod name")
    tail: int = Field(50, ge=1, le=5000, description="Number of most recent lines")
    previous: bool = Field(False, description="Logs of the previous (crashed) container")
    container: K8sName | None = Field(None, description="Container; default: the pod's default")


class DeploymentArgs(Args):
    """A workload reference: kind/namespace/name, the name under its historic key."""

    namespace: K8sName = Field(description="Kubernetes namespace")
    deployment: K8sName = Field(description="Workload name (of the kind below)")
    kind: WorkloadKind = Field(DEFAULT_KIND, description="Deployment, StatefulSet or DaemonSet")


class QueryMetricsArgs(Args):
    query: str = Field(min_length=1, max_length=2000, description="PromQL or metric name")
    minutes: int = Field(30, ge=1, le=1440, description="How far back to look")


class ListAlertsArgs(Args):
    namespace: K8sName | None = Field(None, description="Only alerts with this namespace label")
    include_silenced: bool = Field(False, description="Also list silenced alerts")


class GetErrorBudgetArgs(Args):
    service: K8sName = Field(description="Service name as in the SLO definitions")


class RollbackDeploymentArgs(DeploymentArgs):
    revision: int | None = Field(
        None, ge=1, description="Target revision; omitted = the last healthy one before now"
    )


class ScaleDeploymentArgs(DeploymentArgs):
    replicas: int = Field(ge=0, le=1000, description="Desired replica count")

    @model_validator(mode="after")
    def _scalable_kind(self) -> ScaleDeploymentArgs:
        why = _unscalable(self.kind, self.namespace, self.deployment)
        if why is not None:
            raise ValueError(why)
        return self


def _unscalable(kind: str, namespace: str, name: str) -> str | None:
    if kind != "DaemonSet":
        return None
    return (f"DaemonSet {namespace}/{name} cannot be scaled: it runs one pod on each "
            "eligible node, so its size follows the nodes; restart or roll it back instead, "
            "or change its node selector")


class SilenceAlertArgs(Args):
    alertname: str = Field(min_length=1, max_length=200, description="Alert name to silence")
    matchers: dict[str, str] = Field(
        default_factory=dict, description="Extra label matchers, e.g. {namespace: shop}"
    )
    duration_minutes: int = Field(60, ge=1, le=7 * 24 * 60, description="Silence length")
    comment: str = Field("silenced via opsbot", max_length=500, description="Why")


def _no_blast(_args: BaseModel, inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _deployment_pods(args: BaseModel, inventory: Inventory) -> BlastRadius:
    ns, name = args.namespace, args.deployment  # type: ignore[attr-defined]
    kind = args.kind  # type: ignore[attr-defined]
    dep = inventory.deployment(ns, name, kind)
    if dep is None:
        return BlastRadius(namespaces=(ns,), workload_kind=kind)
    service_pods = sum(d.replicas for d in inventory.deployments if d.service == dep.service)
    return BlastRadius(
        workload_kind=kind,
        namespaces=(ns,),
        service=dep.service,
        pods_affected=dep.replicas,
        service_pods=service_pods,
        replicas_before=dep.replicas,
        replicas_after=dep.replicas,
    )


def _scale(args: BaseModel, inventory: Inventory) -> BlastRadius:
    base = _deployment_pods(args, inventory)
    before = base.replicas_before
    after = args.replicas  # type: ignore[attr-defined]
    changed = abs(after - before) if before is not None else after
    return base.model_copy(update={"replicas_after": after, "pods_affected": changed})


def _silence(args: BaseModel, inventory: Inventory) -> BlastRadius:
    """A silence lives in Alertmanager, not in a namespace: without a namespace matcher it
    also mutes alerts that fire later in any namespace, so it reaches all of them. It touches
    none only when other matchers pin it to alerts evidently cluster-scoped (present now,
    none with a namespace label): a bare alert name would also mute that alert when it
    fires later with namespace=kube-system, and an alert not present now may be namespaced."""
    matchers = args.matchers  # type: ignore[attr-defined]
    if "namespace" in matchers:
        return BlastRadius(namespaces=(matchers["namespace"],))
    name = args.alertname  # type: ignore[attr-defined]
    pins = {k: v for k, v in matchers.items() if k != "alertname"}
    pinned = [a for a in inventory.alerts
              if a.name == name and all(a.labels.get(k) == v for k, v in pins.items())]
    if pins and pinned and not any("namespace" in a.labels for a in pinned):
        return BlastRadius()
    return BlastRadius(namespaces=(ALL_NAMESPACES,))


def _deployment_key(args: DeploymentArgs) -> str:
    return f"{args.namespace}/{args.kind.lower()}/{args.deployment}"


def _deployment_namespace(args: DeploymentArgs) -> frozenset[str]:
    return frozenset({args.namespace})


def _deployment_watch(args: DeploymentArgs) -> Watch:
    return Watch(namespace=args.namespace, deployment=args.deployment, kind=args.kind)


def _silence_key(args: SilenceAlertArgs) -> str:
    return f"alert/{args.alertname}"


def _silence_namespaces(args: SilenceAlertArgs) -> frozenset[str]:
    namespace = args.matchers.get("namespace")
    return frozenset({namespace}) if namespace else frozenset()


def _silence_watch(args: SilenceAlertArgs) -> Watch:
    return Watch(alertname=args.alertname, matchers=dict(args.matchers))


def _worst_pod(output: PodList, known: Mapping[str, Any]) -> dict[str, Any]:
    if "pod" in known or not output.pods:
        return {}
    worst = max(output.pods, key=lambda p: (not p.ready, p.restarts))
    return {"pod": worst.name}


def _failing_pods(output: PodList) -> list[str]:
    failing = [p.name for p in output.pods if p.reason in FAILING_REASONS or not p.ready]
    return [f"failing pods: {', '.join(failing[:3])}"] if failing else []


def _replicas(output: DeploymentDescription, known: Mapping[str, Any]) -> dict[str, Any]:
    return {"replicas": output.replicas}


def _healthy_revision(output: RolloutHistory, known: Mapping[str, Any]) -> dict[str, Any]:
    revision = output.last_healthy_before_current()
    return {} if revision is None else {"healthy_revision": revision}


def _metrics_chart(args: QueryMetricsArgs, output: MetricSeries) -> Chart | None:
    return Chart(title=args.query, series=tuple(output.series)) if output.series else None


def _ref(args: DeploymentArgs) -> dict[str, Any]:
    """The workload's reference as call args; a Deployment's without ``kind``, as always."""
    ref = {"namespace": args.namespace, "deployment": args.deployment}
    return ref if args.kind == DEFAULT_KIND else {**ref, "kind": args.kind}


def _pinned_revision(args: RollbackDeploymentArgs) -> bool:
    """Only a rollback to a named revision is repeatable: "the previous revision" means
    something else once the first attempt has applied."""
    return args.revision is not None


def _pin_rollback(args: RollbackDeploymentArgs,
                  run: Callable[[ToolCall], ToolOutput]) -> dict[str, Any]:
    """The revision the backend would pick now, so the approval covers exactly what runs
    and a retry cannot roll back a second step."""
    if args.revision is not None:
        return {}
    history = run(ToolCall(tool="rollout_history", args=_ref(args)))
    target = RolloutHistory.model_validate(history.data).last_healthy_before_current()
    return {} if target is None else {"revision": target}


def _undo_rollback(args: RollbackDeploymentArgs,
                   output: Changed[RollbackChange]) -> ToolCall | None:
    revision = output.changed.revision
    if revision.before == revision.after:
        return None
    return ToolCall(tool="rollback_deployment", args={**_ref(args), "revision": revision.before})


def _undo_scale(args: ScaleDeploymentArgs, output: Changed[ScaleChange]) -> ToolCall | None:
    before = output.changed.replicas.before
    if before == args.replicas:
        return None
    return ToolCall(tool="scale_deployment", args={**_ref(args), "replicas": before})


EVIDENCE_MINUTES = 120
# Log lines read as evidence: a few pods' newest lines (and the tool's byte budget).
EVIDENCE_LOG_LINES = 50
EVIDENCE_LOG_PODS = 3


def _workload(bound: Mapping[str, Any]) -> dict[str, Any] | None:
    if not (bound.get("namespace") and bound.get("deployment")):
        return None
    ref = {"namespace": bound["namespace"], "deployment": bound["deployment"]}
    kind = bound.get("kind", DEFAULT_KIND)
    return ref if kind == DEFAULT_KIND else {**ref, "kind": kind}


def _linked_kind(args: dict[str, Any], bound: Mapping[str, Any]) -> dict[str, Any]:
    """A runbook written for Deployments names no kind: when its step targets the thread's
    own StatefulSet or DaemonSet, it means that workload."""
    kind = bound.get("kind")
    if not kind or "kind" in args or args.get("deployment") != bound.get("deployment"):
        return args
    return {**args, "kind": kind}


def _kind_labelled_query(args: dict[str, Any], bound: Mapping[str, Any]) -> dict[str, Any]:
    """A runbook query written for Deployments (``deployment="{deployment}"``) means the
    thread's own StatefulSet or DaemonSet by the label its series carry: kube-state-metrics
    and the recording rules label them ``statefulset=`` / ``daemonset=``."""
    kind, name = bound.get("kind"), bound.get("deployment")
    label = kind.lower() if isinstance(kind, str) else None
    if label not in WORKLOAD_KIND_LABELS or label == "deployment" or not name \
            or not isinstance(args.get("query"), str):
        return args
    matcher = re.compile(rf'(?<![\w.])deployment(\s*=\s*)"{re.escape(str(name))}"')
    query = matcher.sub(lambda m: f'{label}{m[1]}"{name}"', args["query"])
    return {**args, "query": query}


def _refuses_scale(bound: Mapping[str, Any]) -> str | None:
    workload = _workload(bound)
    if workload is None:
        return None
    return _unscalable(workload.get("kind", DEFAULT_KIND), workload["namespace"],
                       workload["deployment"])


def _scalable_workload(bound: Mapping[str, Any]) -> dict[str, Any] | None:
    return None if _refuses_scale(bound) is not None else _workload(bound)


def _workload_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    workload = _workload(bound)
    return [workload] if workload else []


def _signals_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every series of the workload, whatever its metric is called (names differ between
    teams and exporters; the analyzers tell memory from CPU or latency by name and unit),
    by each label a series may name it with: its kind (kube-state-metrics style,
    statefulset="journal"; a Deployment's `deployment`), its service, or its pods."""
    workload = _workload(bound)
    if workload is None:
        return []
    namespace, name = workload["namespace"], workload["deployment"]
    label = workload.get("kind", DEFAULT_KIND).lower()
    pods = re.escape(f"{name}-").replace("\\", "\\\\")
    selectors = [f'{label}="{name}"', f'pod=~"{pods}.+"']
    if bound.get("service"):
        selectors.insert(1, f'service="{bound["service"]}"')
    return [{"query": f'{{namespace="{namespace}", {selector}}}', "minutes": EVIDENCE_MINUTES}
            for selector in selectors]


def _logs_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The newest lines of a few of the workload's pods: enough to see a dependency
    refusing it, bounded well below the tool's own limits."""
    workload = _workload(bound)
    return [{**workload, "tail": EVIDENCE_LOG_LINES, "max_pods": EVIDENCE_LOG_PODS}] \
        if workload else []


def _workload_logs_watch(args: GetWorkloadLogsArgs) -> Watch:
    """The workload whose pods were read; a selector's pods may be anyone's."""
    if args.deployment is None:
        return Watch()
    return Watch(namespace=args.namespace, deployment=args.deployment, kind=args.kind)


def _events_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The namespace's warnings: why a pod waits for a node, why a controller could not
    create one (a quota), which no pod list or series says."""
    workload = _workload(bound)
    return [{"namespace": workload["namespace"], "warnings_only": True}] if workload else []


def _autoscalers_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    workload = _scalable_workload(bound)
    return [{"namespace": workload["namespace"]}] if workload else []


def _alerts_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An alert's thread reads every namespace: whether it is noise shows against the
    same-named alerts firing elsewhere (a change window explaining one, not another)."""
    if bound.get("alertname"):
        return [{"include_silenced": True}]
    return [{"namespace": bound["namespace"], "include_silenced": True}] \
        if bound.get("namespace") else []


def _scale_draft(bound: Mapping[str, Any]) -> dict[str, Any] | None:
    workload = _scalable_workload(bound)
    replicas = bound.get("replicas")
    if workload is None or not isinstance(replicas, int):
        return None
    return {**workload, "replicas": max(2 * replicas, 1)}


def _silence_draft(bound: Mapping[str, Any]) -> dict[str, Any] | None:
    if not bound.get("alertname"):
        return None
    matchers = {"namespace": bound["namespace"]} if bound.get("namespace") else {}
    return {"alertname": bound["alertname"], "matchers": matchers}


def _aim_rollback(args: RollbackDeploymentArgs, finding: Any) -> dict[str, Any]:
    return {"revision": finding.healthy_revision} if finding.healthy_revision else {}


def _aim_silence(args: SilenceAlertArgs, finding: Any) -> dict[str, Any]:
    """Matchers from the firing alert's own labels: the finding's scope, plus whatever
    narrower matchers the call had that the alert really carries (a runbook's example
    labels that this alert lacks would match nothing). The duration ends with a known
    change window."""
    fitting = {k: v for k, v in args.matchers.items() if finding.alert_labels.get(k) == v}
    update: dict[str, Any] = {"matchers": {**finding.subject.labels, **fitting}}
    if finding.minutes_left:
        update["duration_minutes"] = min(max(finding.minutes_left, 1), 7 * 24 * 60)
    if finding.evidence:
        update["comment"] = f"{finding.summary}; {finding.evidence[0]}"[:500]
    return update


_DEPLOYMENT_TARGET: dict[str, Any] = {
    "resource": _deployment_key,
    "named_namespaces": _deployment_namespace,
    "watch": _deployment_watch,
    "draft": _workload,
    "complete": _linked_kind,
}


def _spec(
    name: str,
    description: str,
    args_model: type[BaseModel],
    output_model: type[BaseModel],
    tool_class: ToolClass,
    risk: Risk,
    blast_radius: Callable[[Any, Inventory], BlastRadius] = _no_blast,
    **hooks: Any,
) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=description,
        args_model=args_model,
        output_model=output_model,
        tool_class=tool_class,
        risk=risk,
        blast_radius=blast_radius,
        **hooks,
    )


_BUILT_IN = (
    _spec("list_pods", "List pods with phase, readiness and restart counts.",
          ListPodsArgs, PodList, ToolClass.READ, Risk.LOW,
          bindings=_worst_pod, trouble=_failing_pods, evidence=_workload_evidence,
          watch=_deployment_watch, complete=_linked_kind, implements=forms.pods_form,
          next_reads=pods_reads),
    _spec("get_pod_logs", "Read the most recent log lines of a pod (redacted).",
          GetPodLogsArgs, PodLogs, ToolClass.READ, Risk.LOW, implements=forms.pod_logs_form),
    _spec("get_workload_logs", "Recent logs of the pods of a label selector or a workload.",
          GetWorkloadLogsArgs, WorkloadLogs, ToolClass.READ, Risk.LOW,
          evidence=_logs_evidence, evidence_for=frozenset({Remedy.SCALE_OUT}),
          watch=_workload_logs_watch, complete=_linked_kind,
          implements=forms.workload_logs_form),
    _spec("describe_deployment", "Replicas, image, conditions and revision of a workload.",
          DeploymentArgs, DeploymentDescription, ToolClass.READ, Risk.LOW,
          bindings=_replicas, evidence=_workload_evidence, watch=_deployment_watch,
          complete=_linked_kind, implements=forms.describe_deployment_form,
          next_reads=workload_reads),
    _spec("rollout_history", "Revisions of a workload with change notes and health.",
          DeploymentArgs, RolloutHistory, ToolClass.READ, Risk.LOW,
          bindings=_healthy_revision, evidence=_workload_evidence, watch=_deployment_watch,
          complete=_linked_kind, implements=forms.rollout_history_form),
    _spec("query_metrics", "Query a metric series over the last N minutes.",
          QueryMetricsArgs, MetricSeries, ToolClass.READ, Risk.LOW, chart=_metrics_chart,
          evidence=_signals_evidence, complete=_kind_labelled_query,
          implements=forms.promql_form),
    _spec("list_alerts", "Firing alerts, optionally for one namespace.",
          ListAlertsArgs, AlertList, ToolClass.READ, Risk.LOW, evidence=_alerts_evidence,
          implements=forms.alerts_form),
    _spec("get_error_budget", "SLO target and remaining error budget of a service.",
          GetErrorBudgetArgs, ErrorBudgetReport, ToolClass.READ, Risk.LOW,
          topic=re.compile(r"\bslos?\b|\bslis?\b|error[ -]?budget|\bburn", re.IGNORECASE)),
    _spec("list_events", "Recent events in a namespace, optionally of one object or reason.",
          ListEventsArgs, EventList, ToolClass.READ, Risk.LOW, trouble=troubling_events,
          evidence=_events_evidence, implements=forms.events_form),
    _spec("list_hpas", "HorizontalPodAutoscalers: current/desired/min/max replicas.",
          ListHpasArgs, HpaList, ToolClass.READ, Risk.LOW, trouble=limited_hpas,
          evidence=_autoscalers_evidence, implements=forms.hpas_form,
          topic=re.compile(r"\bhpas?\b|autoscal|\bscal(?:e|ed|ing)\b|\breplicas?\b|"
                           r"\bcapacity\b|\bsaturat", re.IGNORECASE)),
    _spec("rollback_deployment", "Roll a workload back to an earlier revision.",
          RollbackDeploymentArgs, Changed[RollbackChange], ToolClass.REMEDIATION, Risk.MEDIUM,
          _deployment_pods, idempotent_when=_pinned_revision, pin=_pin_rollback,
          inverse=_undo_rollback, remedy=Remedy.ROLLBACK, aim=_aim_rollback,
          implements=forms.rollback_form,
          **_DEPLOYMENT_TARGET,
          asked_by=re.compile(
              r"\broll(?:ing|ed)?(?:[ -]|\s+[\w/-]+\s+)back\b|\brollback\b|\brevert\b")),
    _spec("restart_deployment", "Rolling restart of every pod of a workload.",
          DeploymentArgs, Changed[RestartChange], ToolClass.REMEDIATION, Risk.MEDIUM,
          _deployment_pods, idempotent=False, remedy=Remedy.RESTART, **_DEPLOYMENT_TARGET,
          implements=forms.restart_form,
          asked_by=re.compile(r"\bre-?start\b|\bbounce\b|\brecycle\b")),
    _spec("scale_deployment", "Set the replica count of a Deployment or StatefulSet.",
          ScaleDeploymentArgs, Changed[ScaleChange], ToolClass.CHANGE, Risk.HIGH, _scale,
          inverse=_undo_scale, remedy=Remedy.SCALE_OUT, implements=forms.scale_form,
          **{**_DEPLOYMENT_TARGET, "draft": _scale_draft}, refuses=_refuses_scale,
          asked_by=re.compile(
              r"\bscale\b|\b(?:more|add|extra)\s+(?:capacity|replicas|pods|instances)\b")),
    _spec("silence_alert", "Silence an alert in Alertmanager for a bounded time.",
          SilenceAlertArgs, Changed[SilenceChange], ToolClass.REMEDIATION, Risk.LOW, _silence,
          idempotent=False, resource=_silence_key, named_namespaces=_silence_namespaces,
          watch=_silence_watch,
          # "shut the page up", "hush that alert": how people ask for quiet in chat.
          # "what should be silenced?" asks about one in the passive.
          asked_by=re.compile(r"\bsilence\b|\bmute\b|\bsnooze\b|\bsuppress\b|\bhush\b"
                              r"|\bshut\b[\w\s'-]{0,30}?\bup\b"
                              r"|\bbe\s+(?:silenced|muted|snoozed|suppressed|hushed)\b"),
          remedy=Remedy.SILENCE, draft=_silence_draft, aim=_aim_silence,
          implements=forms.silence_form,
          narrowing_hint="silence has no namespace matcher, so it would also silence alerts "
                         "in {where} (off limits): add a namespace matcher"),
    *POD_TOOLS, *NODE_TOOLS, *JOB_TOOLS, *VOLUME_TOOLS, *SERVICE_TOOLS, *QUOTA_TOOLS,
)

BUILT_IN_TOOLS = frozenset(s.name for s in _BUILT_IN)
# Built-in tools, plus plugin tools once tools.plugins has registered them at start-up.
CATALOG: dict[str, ToolSpec] = {s.name: s for s in _BUILT_IN}


def get_tool(name: str) -> ToolSpec:
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise KeyError(f"unknown tool {name!r}; known tools: {known}") from None
