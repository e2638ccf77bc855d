"""opsbot's Prometheus metrics: one registry object per process, passed to the adapters.

Labels are bounded by construction: tool names (the catalog), outcomes and statuses
(enums), policy rule ids (the policy files), redaction kinds (the detectors), Slack
method names. Never user, thread or proposal ids: those live in the audit log and logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from assistant.models import Outcome, RefusalCause, Verification

METRICS_PATH = "/metrics"
# An answer reads telemetry and may ask a model; a person notices from about a second.
ANSWER_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
EXECUTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# From seconds (opsbot acted at once) to hours (a long incident).
INCIDENT_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
                    14400.0, 43200.0, 86400.0)

ANSWER_OUTCOMES = ("answered", "failed", "error")
DECISION_STAGES = ("proposal", "execution-recheck")
# request: a policy rule refused who asked; click: who clicked may not approve or deny;
# interrupt: who marked a claim interrupted may not; unknown-user: holds no role at all.
UNAUTHORIZED_KINDS = ("request", "click", "interrupt", "unknown-user")
VERDICTS = get_args(Verification.model_fields["verdict"].annotation)
TOKEN_KINDS = ("prompt", "completion")


class Metrics:
    """Every metric opsbot exports, registered on ``registry`` (a fresh one by default,
    so tests and several runtimes in one process never share counts)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.questions = Counter("opsbot_questions", "Questions asked in threads.",
                                 registry=r)
        self.answer_seconds = Histogram(
            "opsbot_answer_seconds", "Time from a question to opsbot's answer.",
            ["outcome"], buckets=ANSWER_BUCKETS, registry=r)
        self.proposals = Counter("opsbot_proposals", "Actions proposed, by tool and policy "
                                 "outcome.", ["tool", "outcome"], registry=r)
        self.decisions = Counter("opsbot_decisions", "Policy decisions, by stage (proposal "
                                 "or execution-recheck) and outcome.", ["stage", "outcome"],
                                 registry=r)
        self.decision_rules = Counter("opsbot_decision_rules", "Reasons given in policy "
                                      "decisions, by rule id and effect.", ["rule", "effect"],
                                      registry=r)
        self.approvals = Counter("opsbot_approvals", "Confirm clicks that counted.",
                                 registry=r)
        self.denials = Counter("opsbot_denials", "Deny clicks that counted.", registry=r)
        self.refused_clicks = Counter("opsbot_refused_clicks", "Confirm or Deny clicks that "
                                      "changed nothing, by cause.", ["cause"], registry=r)
        self.unauthorized = Counter("opsbot_unauthorized_attempts", "Requests or clicks by "
                                    "someone the policy does not allow, by kind.", ["kind"],
                                    registry=r)
        self.executions = Counter(
            "opsbot_executions", "Action runs, by tool, status, remedy kind and whether a "
            "runbook step proposed it.", ["tool", "status", "remedy", "playbook"], registry=r)
        self.execution_seconds = Histogram(
            "opsbot_execution_duration_seconds", "How long an action ran (with retries).",
            ["tool"], buckets=EXECUTION_BUCKETS, registry=r)
        self.verifications = Counter("opsbot_verifications", "Post-action verification "
                                     "verdicts.", ["verdict"], registry=r)
        self.llm_calls = Counter("opsbot_llm_calls", "Chat completions requested.", registry=r)
        self.llm_tokens = Counter("opsbot_llm_tokens", "LLM tokens, by kind (prompt or "
                                  "completion).", ["kind"], registry=r)
        self.llm_fallbacks = Counter("opsbot_llm_fallbacks", "Questions an LLM planner "
                                     "answered from runbook steps instead.", registry=r)
        self.redactions = Counter("opsbot_redactions", "Secrets replaced by a placeholder, "
                                  "by kind.", ["kind"], registry=r)
        self.slack_errors = Counter("opsbot_slack_api_errors", "Slack Web API calls that "
                                    "failed after retries, by method and error.",
                                    ["method", "error"], registry=r)
        self.slack_rate_limited = Counter("opsbot_slack_rate_limited", "Slack Web API 429 "
                                          "answers (each one retried after Retry-After).",
                                          registry=r)
        self.queue_depth = Gauge("opsbot_queue_depth", "Jobs accepted and not yet finished.",
                                 ["queue"], registry=r)
        self.awaiting_audit = Gauge("opsbot_actions_awaiting_audit", "Action results kept in "
                                    "the spool because the database could not record them.",
                                    registry=r)
        self.audit_events = Counter("opsbot_audit_events", "Audit events appended, by kind.",
                                    ["kind"], registry=r)
        self.incidents_opened = Counter("opsbot_incidents_opened", "Alert groups that "
                                        "started firing (an incident thread opened or "
                                        "re-opened).", registry=r)
        self.incidents_resolved = Counter("opsbot_incidents_resolved", "Alert groups "
                                          "resolved.", registry=r)
        self.time_to_first_action = Histogram(
            "opsbot_incident_time_to_first_action_seconds", "From an alert's arrival to the "
            "first action run in its thread (MTTA's samples).", buckets=INCIDENT_BUCKETS,
            registry=r)
        self.time_to_resolve = Histogram(
            "opsbot_incident_time_to_resolve_seconds", "From an alert's arrival to its "
            "resolution (MTTR's samples).", buckets=INCIDENT_BUCKETS, registry=r)

        self._start_at_zero()

    def _start_at_zero(self) -> None:
        """Series of the fixed label values exist from the first scrape, at 0: a rate or
        ratio over them is 0 rather than absent before the first event."""
        for outcome in ANSWER_OUTCOMES:
            self.answer_seconds.labels(outcome=outcome)
        for stage in DECISION_STAGES:
            for outcome in Outcome:
                self.decisions.labels(stage=stage, outcome=outcome.value)
        for cause in get_args(RefusalCause):
            self.refused_clicks.labels(cause=cause)
        for kind in UNAUTHORIZED_KINDS:
            self.unauthorized.labels(kind=kind)
        for verdict in VERDICTS:
            self.verifications.labels(verdict=verdict)
        for kind in TOKEN_KINDS:
            self.llm_tokens.labels(kind=kind)

    def watch_queue(self, name: str, depth: Callable[[], float]) -> None:
        """Read ``depth`` at every scrape rather than tracking every change."""
        self.queue_depth.labels(queue=name).set_function(depth)

    def watch_spool(self, pending: Callable[[], float]) -> None:
        self.awaiting_audit.set_function(pending)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def route(self) -> tuple[int, str, dict[str, str]]:
        """The ``/metrics`` route of the ops port: (HTTP status, body, headers)."""
        # Text format 0.0.4: what every Prometheus 2.x and 3.x scrapes (names are ASCII).
        return 200, self.exposition().decode("ascii"), {"content-type": CONTENT_TYPE_PLAIN_0_0_4}
