"""The core types, in one place. Every boundary of opsbot speaks these."""

from __future__ import annotations

import hashlib
import json
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
    namespace: str
    name: str
    service: str
    replicas: int
    ready_replicas: int
    pods: tuple[str, ...] = ()
    revision: int | None = None


class AlertInfo(Frozen):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    state: Literal["firing", "silenced", "resolved"] = "firing"


class Inventory(Frozen):
    """What exists right now: the ground truth for entity linking and blast radius."""

    environment: str
    deployments: tuple[DeploymentInfo, ...] = ()
    alerts: tuple[AlertInfo, ...] = ()
    services: tuple[str, ...] = ()

    def deployment(self, namespace: str, name: str) -> DeploymentInfo | None:
        for d in self.deployments:
            if d.namespace == namespace and d.name == name:
                return d
        return None


class ToolOutput(Frozen):
    """What a tool returns: text for people and models, data for code."""

    text: str
    data: Any = None


class ToolSpec(BaseModel):
    """One tool, defined once: its args model drives the LLM schema, validation and docs."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    description: str
    args_model: type[BaseModel]
    tool_class: ToolClass
    risk: Risk
    blast_radius: Any  # Callable[[BaseModel, Inventory], BlastRadius]
    # Safe to run twice with the same effect; the executor never blindly retries the others.
    idempotent: bool = True

    @property
    def read_only(self) -> bool:
        return self.tool_class is ToolClass.READ

    def validate_args(self, args: dict[str, Any]) -> BaseModel:
        return self.args_model.model_validate(args)

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()
