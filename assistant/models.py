"""The core types, in one place. Every boundary of opsbot speaks these."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolClass(StrEnum):
    """Policy groups tools by what they do, so rules survive new tools."""

    READ = "read-only"
    REMEDIATION = "remediation"  # undo or relieve: rollback, restart, silence
    CHANGE = "change"  # alters capacity or configuration: scale


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Remedy(StrEnum):
    """Kinds of action, as findings reason about them; each mutating tool says which it is."""

    ROLLBACK = "rollback"  # return a workload to an earlier revision
    RESTART = "restart"  # replace a workload's pods with fresh ones of the same revision
    SCALE_OUT = "scale-out"  # more replicas of the same revision
    SILENCE = "silence"  # mute an alert for a while
    REPLACE_POD = "replace-pod"  # delete one pod so its controller starts a fresh one
    CORDON = "cordon"  # keep new pods off a node
    UNCORDON = "uncordon"  # let pods onto a node again
    SUSPEND = "suspend"  # stop a CronJob's future runs
    RESUME = "resume"  # let a suspended CronJob run on its schedule again
    CLEAN_UP = "clean-up"  # remove what a failure left behind (a failed Job)


class Actor(Frozen):
    """Who asked or clicked: a chat user id plus the chat groups they are in."""

    user_id: str
    groups: tuple[str, ...] = ()
    display_name: str | None = None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class ToolCall(Frozen):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def args_hash(self) -> str:
        """Approval is bound to this: the exact tool name and arguments."""
        digest = hashlib.sha256(canonical_json({"tool": self.tool, "args": self.args}).encode())
        return digest.hexdigest()

    def render(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.args.items()))
        return f"{self.tool}({args})"


# In BlastRadius.namespaces: the call reaches every namespace, those without a live target
# today included (a silence without a namespace matcher also mutes tomorrow's alerts).
# Not a valid namespace name, so it can never be mistaken for one.
ALL_NAMESPACES = "*"


class BlastRadius(Frozen):
    """What a call would touch, estimated from live inventory (never from the LLM).

    ``namespaces`` empty means no namespace (nothing live, or a cluster-scoped target);
    ALL_NAMESPACES in it means every namespace.
    """

    namespaces: tuple[str, ...] = ()
    service: str | None = None
    pods_affected: int = 0
    service_pods: int = 0
    replicas_before: int | None = None
    replicas_after: int | None = None
    workload_kind: str | None = None  # Deployment, StatefulSet, DaemonSet; None: no workload

    @property
    def fraction_of_service(self) -> float:
        if self.service_pods <= 0:
            return 0.0
        return min(1.0, self.pods_affected / self.service_pods)

    @property
    def every_namespace(self) -> bool:
        return ALL_NAMESPACES in self.namespaces

    def namespace_scope(self) -> str:
        """The namespaces in words for cards and previews."""
        if self.every_namespace:
            return "all namespaces"
        return f"namespaces: {', '.join(self.namespaces) or '-'}"


class ErrorBudget(Frozen):
    service: str
    slo_target: float
    remaining: float | None  # fraction of the budget left, 0..1; None = unknown
    as_of: datetime | None = None


class Facts(Frozen):
    """Everything the policy engine may look at besides actor and call.

    Built by the caller from the backend and storage, never by the LLM.
    """

    environment: str
    now: datetime
    blast_radius: BlastRadius = BlastRadius()
    error_budget: ErrorBudget | None = None
    recent_actions: int = 0  # mutating actions on the same service within the rate window
    resource_locked: bool = False  # another mutating action in flight on the same resource


class Outcome(StrEnum):
    ALLOW = "allow"
    CONFIRM = "confirm"
    DENY = "deny"


class Reason(Frozen):
    rule: str
    message: str
    effect: Outcome
    source: str | None = None
    line: int | None = None

    def render(self) -> str:
        where = f" ({self.source}:{self.line})" if self.source and self.line else ""
        return f"[{self.rule}] {self.message}{where}"


class Decision(Frozen):
    outcome: Outcome
    reasons: tuple[Reason, ...]
    approver_roles: tuple[str, ...] = ()
    approvals_required: int = 0
    requester_may_approve: bool = False
    ttl_seconds: int | None = None
    break_glass: bool = False
    policy_version: str

    def explain(self) -> str:
        return "; ".join(r.render() for r in self.reasons) or "no rule matched"


class RunbookStep(Frozen):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    why: str | None = None


class Section(Frozen):
    heading: str
    text: str


class Runbook(Frozen):
    id: str
    title: str
    alerts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    steps: tuple[RunbookStep, ...] = ()
    sections: tuple[Section, ...] = ()
    path: str
    content_hash: str
    # Commands the body gives that no tool implements: shown to people, never run.
    manual_commands: tuple[str, ...] = ()


class RunbookCommand(Frozen):
    """One command a runbook tells a person to run, split as a shell would: what a tool's
    ``implements`` hook reads. Placeholders are already ``{name}`` (``$NAMESPACE``,
    ``<namespace>`` and ``{{ $labels.namespace }}`` alike); literal names stay literal."""

    program: str  # "kubectl" (also for oc), "amtool", ...; "promql" for a PromQL expression
    # Positional words; kubectl resource kinds singular ("deployment/x" -> "deployment", "x").
    words: tuple[str, ...] = ()
    options: dict[str, str] = Field(default_factory=dict)  # by long flag name; "" = a switch
    text: str  # as the runbook wrote it


class RetrievalHit(Frozen):
    runbook_id: str
    title: str
    score: float
    section: Section | None = None
    path: str


class ProposalStatus(StrEnum):
    PENDING = "pending"
    DENIED_BY_POLICY = "denied-by-policy"
    DENIED = "denied"
    EXPIRED = "expired"
    APPROVED = "approved"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    # Pending in the store, but the question that made it stopped before showing it.
    NEVER_SHOWN = "never-shown"


class Proposal(Frozen):
    id: str
    thread_id: str
    call: ToolCall
    rationale: str
    runbook_id: str | None = None
    runbook_step: int | None = None
    requester: Actor
    blast_radius: BlastRadius
    preview: str
    args_hash: str
    created_at: datetime
    decision: Decision


# Why a Confirm or Deny click changed nothing (the ``cause`` of its denial event);
# "not-permitted" is the one a policy refused: an unauthorized attempt.
RefusalCause = Literal["not-pending", "not-permitted", "too-late", "already-approved",
                       "stopped-run"]


class Approval(Frozen):
    proposal_id: str
    approver: Actor
    args_hash: str
    approved: bool
    at: datetime


class ExecutionStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUSED = "refused"
    ALREADY_EXECUTED = "already-executed"
    INTERRUPTED = "interrupted"


# The statuses of a run that reached the environment (a refused or duplicate click ran
# nothing).
RAN = (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED)


class Verification(Frozen):
    verdict: Literal["improved", "unchanged", "worse"]
    detail: str


class ExecutionResult(Frozen):
    proposal_id: str
    status: ExecutionStatus
    output: str  # always redacted
    attempts: int = 0
    duration_ms: float = 0.0
    executed_by: str | None = None
    verification: Verification | None = None
    # Suggested when verification says "worse"; it goes through policy and a human again.
    compensation: ToolCall | None = None


class AuditEvent(Frozen):
    seq: int
    time: datetime
    kind: str
    actor: str | None
    thread: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class DeploymentInfo(Frozen):
    """A workload: a Deployment unless ``kind`` says StatefulSet or DaemonSet."""

    namespace: str
    name: str
    kind: str = "Deployment"
    service: str
    replicas: int
    ready_replicas: int
    pods: tuple[str, ...] = ()
    revision: int | None = None


class NodeInfo(Frozen):
    """A node and the pods bound to it ("namespace/name"), as far as opsbot can see."""

    name: str
    unschedulable: bool = False
    pods: tuple[str, ...] = ()


class JobInfo(Frozen):
    """A Job: a CronJob's run (``cronjob`` names it) or a Job on its own, and its pods."""

    namespace: str
    name: str
    cronjob: str | None = None
    status: str  # Running | Complete | Failed | Suspended
    pods: tuple[str, ...] = ()


class CronJobInfo(Frozen):
    """A CronJob and its runs' names, oldest first (as its Jobs' start times order them)."""

    namespace: str
    name: str
    suspended: bool = False
    jobs: tuple[str, ...] = ()


# Alert labels that name a workload: kube-state-metrics rules label a StatefulSet's or a
# DaemonSet's alerts by its kind (KubeStatefulSetUpdateNotRolledOut: statefulset=...).
WORKLOAD_KIND_LABELS = ("deployment", "statefulset", "daemonset")
# kube-state-metrics' HPA alerts (KubeHpaMaxedOut) name the autoscaler, not what it scales.
HPA_LABEL = "horizontalpodautoscaler"


def labels_name_workload(labels: dict[str, str], name: str, service: str | None,
                         autoscalers: Collection[str] | None = None) -> bool:
    """Alert labels name the workload ``name`` (by any kind's label), its ``service``, one
    of its pods, or an autoscaler that sizes it; whether the namespace fits is the caller's
    to check. ``autoscalers``: the HPAs read as sizing it; None when they were not read,
    and then only an HPA named after it counts (as ``kubectl autoscale`` names one)."""
    hpa = labels.get(HPA_LABEL)
    return (any(labels.get(k) == name for k in WORKLOAD_KIND_LABELS)
            or (service is not None and labels.get("service") == service)
            or labels.get("pod", "").startswith(f"{name}-")
            or (hpa is not None and hpa in (autoscalers if autoscalers is not None
                                            else (name,))))


class AlertInfo(Frozen):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    state: Literal["firing", "silenced", "resolved"] = "firing"
    severity: str = "none"  # Alertmanager's severity label: "info" asks for no attention
    # The alert's own summary and description: what its rule says it means, and whom it
    # affects ("broadcasters' tickers miss new warnings"). Data, never an instruction.
    about: str = ""


def alert_about(annotations: Mapping[str, str]) -> str:
    """An alert's ``about``: its summary and description, the annotations that say what it
    means; the others (runbook links, tickets, notes) are not read for it."""
    return " ".join(annotations[k] for k in ("summary", "description") if annotations.get(k))


class Inventory(Frozen):
    """What exists right now: the ground truth for entity linking and blast radius."""

    environment: str
    deployments: tuple[DeploymentInfo, ...] = ()
    alerts: tuple[AlertInfo, ...] = ()
    services: tuple[str, ...] = ()
    nodes: tuple[NodeInfo, ...] = ()
    # Jobs are not workloads: nothing scales, restarts or rolls them back.
    jobs: tuple[JobInfo, ...] = ()
    cronjobs: tuple[CronJobInfo, ...] = ()

    def deployment(self, namespace: str, name: str,
                   kind: str | None = None) -> DeploymentInfo | None:
        """The workload of that name, of ``kind`` when given."""
        for d in self.deployments:
            if d.namespace == namespace and d.name == name and kind in (None, d.kind):
                return d
        return None

    def deployment_of_pod(self, namespace: str, pod: str) -> DeploymentInfo | None:
        return next((d for d in self.deployments
                     if d.namespace == namespace and pod in d.pods), None)

    def node(self, name: str) -> NodeInfo | None:
        return next((n for n in self.nodes if n.name == name), None)

    def job(self, namespace: str, name: str) -> JobInfo | None:
        return next((j for j in self.jobs if (j.namespace, j.name) == (namespace, name)), None)


class Series(Frozen):
    """One metric series: what a chart draws and a planner reads."""

    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    unit: str = ""
    points: tuple[tuple[str, int | float], ...] = ()  # (ISO time, value), oldest first


class Chart(Frozen):
    """What a tool's output contributes to the thread as a picture."""

    title: str
    series: tuple[Series, ...]


class ChartMessage(Frozen):
    """A chart message's data in the thread's outbox: what chat adapters draw."""

    series: tuple[Series, ...]
    action_at: str | None = None  # ISO time the action ran, marked on the chart

    @property
    def action_time(self) -> datetime | None:
        return datetime.fromisoformat(self.action_at) if self.action_at else None


class Watch(Frozen):
    """What a call is about: the workload it reads or changes, or the alerts it concerns.
    Verification watches this after a mutating call; analyzers group read results by it.
    Empty means nothing to watch (the call's effect is outside the inventory)."""

    namespace: str | None = None
    deployment: str | None = None
    # The workload's kind; None: whichever workload has that name (a Deployment and a
    # StatefulSet may share one, so a call about a workload names its kind).
    kind: str | None = None
    alertname: str | None = None
    matchers: dict[str, str] = Field(default_factory=dict)


class HealthSnapshot(Frozen):
    """A watched target's health at one moment: what verification compares."""

    ready: int | None = None
    desired: int | None = None
    firing_alerts: tuple[str, ...] = ()

    def render(self) -> str:
        parts = []
        if self.desired is not None:
            parts.append(f"{self.ready}/{self.desired} pods ready")
        parts.append(
            f"{len(self.firing_alerts)} alert(s) firing"
            + (f" ({', '.join(self.firing_alerts)})" if self.firing_alerts else "")
        )
        return ", ".join(parts)


class PendingVerification(Frozen):
    """A verification still to be made: recorded when the action's result is, so that if
    the watching process dies another one resumes watching (or reports it could not)."""

    proposal_id: str
    thread_id: str
    call: ToolCall
    watch: Watch
    before: HealthSnapshot
    started_at: datetime
    bound_seconds: float
    # The tool's inverse of what ran, proposed (through policy and a human) if it made
    # things worse.
    undo: ToolCall | None = None


class ToolOutput(Frozen):
    """What a tool returns: text for people and models, the tool's output model for code.

    ``json_data`` is the public JSON shape (eval reports, plan state, audit): only the
    fields a backend set are written, so a field one backend adds (Kubernetes' events)
    never appears as null in another backend's output.
    """

    text: str
    data: BaseModel | None = None

    def json_data(self) -> dict[str, Any] | None:
        if self.data is None:
            return None
        return self.data.model_dump(mode="json", exclude_unset=True, by_alias=True)


class ToolContext(Frozen):
    """What a plugin tool's implementation is told besides its arguments."""

    environment: str
    backend_kind: str
    now: datetime
    approved_by: str | None = None  # user id(s) of the approvers of a mutating call


class ToolImplementation(BaseModel):
    """How one backend kind runs a plugin tool. ``preview`` is the dry run of a mutating
    tool: what would change, from -> to; it raises ToolFailure when the call would fail."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    run: Callable[[Any, ToolContext], BaseModel]
    preview: Callable[[Any, ToolContext], str] | None = None
    describe: str = ""  # for `opsbot tools show`: what this implementation talks to
    # Environment variables the implementation reads itself; opsbot's configuration check
    # refuses OPSBOT_* names it does not know, and these it then knows.
    settings: tuple[str, ...] = ()


class ToolSpec(BaseModel):
    """One tool, defined once: its args model drives the LLM schema, validation and docs,
    its output model is what planners, analyzers, charts and chat renderers read, and its
    hooks own every tool-specific decision the engine makes (the engine names no tool).

    Built-in tools are implemented by each backend as a method named after the tool;
    a plugin tool brings ``implementations`` keyed by backend kind instead.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    description: str
    args_model: type[BaseModel]
    output_model: type[BaseModel]
    tool_class: ToolClass
    risk: Risk
    blast_radius: Callable[[Any, Inventory], BlastRadius]
    # Safe to run twice with the same effect; the executor never blindly retries the others.
    idempotent: bool = True
    # Narrows ``idempotent`` per call (a rollback to "the previous revision" is not).
    idempotent_when: Callable[[Any], bool] | None = None
    # The thing a mutating call changes, below the environment: at most one action in
    # flight per key, e.g. "shop/deployment/checkout". None: the tool name.
    resource: Callable[[Any], str] | None = None
    # Namespaces the arguments themselves name, checked besides the blast radius.
    named_namespaces: Callable[[Any], frozenset[str]] | None = None
    # How to narrow a call that reaches every namespace, for the denial's message.
    narrowing_hint: str | None = None
    # Fill what "the default" means now, so the approval covers exactly what runs.
    pin: Callable[[Any, Callable[[ToolCall], ToolOutput]], Any] | None = None
    watch: Callable[[Any], Watch] | None = None
    # The call that undoes this one, from what it reported changing.
    inverse: Callable[[Any, Any], ToolCall | None] | None = None
    chart: Callable[[Any, Any], Chart | None] | None = None
    # Placeholder values a read-only result teaches the planner (the crashing pod).
    bindings: Callable[[Any, Mapping[str, Any]], dict[str, Any]] | None = None
    # Signs of trouble a read-only result shows, in words.
    trouble: Callable[[Any], list[str]] | None = None
    # The reads a read-only result calls for next (its args and typed output in): a
    # troubled pod's description and logs, a short workload's pods. Evidence, never text.
    next_reads: Callable[[Any, Any], list[ToolCall]] | None = None
    # Words by which a person explicitly asks for this tool.
    asked_by: re.Pattern[str] | None = None
    # Words showing a thread concerns what this tool reads or acts on (nodes, Jobs,
    # volumes): the LLM is offered the tool then. A read-only tool without one is a general
    # read (pods, logs, metrics), offered for every question.
    topic: re.Pattern[str] | None = None
    # The kind of remedy a mutating tool applies, so findings can support or rule it out.
    remedy: Remedy | None = None
    # Read calls (their args) that gather evidence about what a thread is about, from the
    # linked entities' bindings (namespace, deployment, alertname); run before planning.
    evidence: Callable[[Mapping[str, Any]], list[dict[str, Any]]] | None = None
    # Remedies whose case this evidence can change. Set on a read too costly to make for
    # every question (logs): its evidence runs only for a candidate action of one of these
    # remedies, about that action's target, after planning; empty: before planning.
    evidence_for: frozenset[Remedy] = frozenset()
    # The args that apply this tool's remedy to the linked entities; None when they lack
    # what it needs. Used when findings call for a remedy no runbook step offers.
    draft: Callable[[Mapping[str, Any]], dict[str, Any] | None] | None = None
    # The args re-aimed with what a supporting finding knows (the revision that was
    # healthy, an alert's labels, when a change window ends): evidence, never text.
    aim: Callable[[Any, Any], dict[str, Any]] | None = None
    # A runbook step's bound args completed with what the thread's linked entities imply
    # and the step left unsaid (the kind of the workload it names), never overriding it.
    complete: Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]] | None = None
    # Why this tool cannot act on the linked entities at all (a DaemonSet has no scale),
    # in words that say what can be done instead; None when it can.
    refuses: Callable[[Mapping[str, Any]], str | None] | None = None
    # The args (with {placeholders}) for a runbook command that is one of this tool's
    # forms ("kubectl -n $NAMESPACE describe deployment $NAME"); None when it is not.
    implements: Callable[[RunbookCommand], dict[str, Any] | None] | None = None
    implementations: Mapping[str, ToolImplementation] | None = None
    origin: str = "built-in"  # or the plugin's entry point and distribution

    @property
    def read_only(self) -> bool:
        return self.tool_class is ToolClass.READ

    @property
    def plugin(self) -> bool:
        return self.implementations is not None

    def validate_args(self, args: dict[str, Any]) -> BaseModel:
        return self.args_model.model_validate(args)

    def read_output(self, data: Any) -> BaseModel:
        """The typed output from its JSON shape (plan state and observations keep JSON)."""
        return self.output_model.model_validate(data)

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        return self.output_model.model_json_schema(by_alias=True)

    def repeatable(self, args: BaseModel) -> bool:
        if self.idempotent_when is not None:
            return self.idempotent and self.idempotent_when(args)
        return self.idempotent

    def resource_of(self, args: BaseModel) -> str:
        return self.resource(args) if self.resource is not None else self.name

    def watched(self, args: BaseModel) -> Watch:
        return self.watch(args) if self.watch is not None else Watch()
