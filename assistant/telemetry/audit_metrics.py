"""Counts what the audit log records: the audit event is the one place where every
question, decision, click, run and alert already passes, so counting there needs no hook
in the engine and cannot disagree with the log. Subscribed with ``AuditLog.subscribe``.
"""

from __future__ import annotations

from typing import Any

from assistant.models import RAN, AuditEvent
from assistant.telemetry.metrics import Metrics
from tools.catalog import CATALOG, get_tool

# Policy rules that deny because of who asks, not what is asked.
IDENTITY_RULES = frozenset({"no-role", "not-granted"})
NOT_PERMITTED = "not-permitted"
UNKNOWN = "unknown"


def remedy_of(tool: str) -> str:
    try:
        remedy = get_tool(tool).remedy
    except KeyError:  # a plugin tool that is no longer installed
        return UNKNOWN
    return remedy.value if remedy is not None else "none"


class AuditMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics
        # Every action series exists at 0 from the start, so the first run of a tool moves
        # the SLI rates instead of appearing as a new series (whose rate is 0).
        for spec in CATALOG.values():
            if spec.read_only:
                continue
            for status in RAN:
                for playbook in ("true", "false"):
                    metrics.executions.labels(tool=spec.name, status=status.value,
                                              remedy=remedy_of(spec.name), playbook=playbook)

    def __call__(self, event: AuditEvent) -> None:
        self.m.audit_events.labels(kind=event.kind).inc()
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event.payload, event)

    def _on_question(self, payload: dict[str, Any], event: AuditEvent) -> None:
        self.m.questions.inc()

    def _on_proposal(self, payload: dict[str, Any], event: AuditEvent) -> None:
        tool = str((payload.get("call") or {}).get("tool", UNKNOWN))
        outcome = str((payload.get("decision") or {}).get("outcome", UNKNOWN))
        self.m.proposals.labels(tool=tool, outcome=outcome).inc()

    def _on_decision(self, payload: dict[str, Any], event: AuditEvent) -> None:
        stage = str(payload.get("stage", UNKNOWN))
        self.m.decisions.labels(stage=stage, outcome=str(payload.get("outcome"))).inc()
        for reason in payload.get("reasons") or ():
            rule, effect = str(reason.get("rule")), str(reason.get("effect"))
            self.m.decision_rules.labels(rule=rule, effect=effect).inc()
            if stage == "proposal" and effect == "deny" and rule in IDENTITY_RULES:
                self.m.unauthorized.labels(kind="request").inc()

    def _on_approval(self, payload: dict[str, Any], event: AuditEvent) -> None:
        self.m.approvals.inc()

    def _on_denial(self, payload: dict[str, Any], event: AuditEvent) -> None:
        if payload.get("refused_click"):
            cause = str(payload.get("cause", UNKNOWN))
            self.m.refused_clicks.labels(cause=cause).inc()
            if cause == NOT_PERMITTED:
                self.m.unauthorized.labels(kind="click").inc()
        elif payload.get("refused_interrupt"):
            self.m.unauthorized.labels(kind="interrupt").inc()
        elif payload.get("reason") == "unknown user":
            self.m.unauthorized.labels(kind="unknown-user").inc()
        elif event.actor is not None and payload.get("proposal_id"):
            self.m.denials.inc()

    def _on_execution(self, payload: dict[str, Any], event: AuditEvent) -> None:
        tool = str(payload.get("tool", UNKNOWN))
        self.m.executions.labels(
            tool=tool, status=str(payload.get("status", UNKNOWN)), remedy=remedy_of(tool),
            playbook="true" if payload.get("runbook_id") else "false").inc()
        if payload.get("attempts"):
            self.m.execution_seconds.labels(tool=tool).observe(
                float(payload.get("duration_ms") or 0.0) / 1000)

    def _on_verification(self, payload: dict[str, Any], event: AuditEvent) -> None:
        self.m.verifications.labels(verdict=str(payload.get("verdict", UNKNOWN))).inc()

    def _on_alert_fired(self, payload: dict[str, Any], event: AuditEvent) -> None:
        self.m.incidents_opened.inc()

    def _on_first_action(self, payload: dict[str, Any], event: AuditEvent) -> None:
        self.m.time_to_first_action.observe(float(payload["seconds_since_alert"]))

    def _on_alert_resolved(self, payload: dict[str, Any], event: AuditEvent) -> None:
        self.m.incidents_resolved.inc()
        if payload.get("seconds_open") is not None:
            self.m.time_to_resolve.observe(float(payload["seconds_open"]))
