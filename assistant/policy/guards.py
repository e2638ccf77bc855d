"""Guards: the rules that can deny a granted call, each a pure check of (call, facts, roles).

A guard is compiled once from its policy rule and attached to every (environment, tool)
pair it applies to, so `decide` only runs the guards that matter for the call at hand.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from assistant.models import ALL_NAMESPACES, Facts, Outcome, Reason, ToolCall
from assistant.policy.schema import (
    BlastRadiusLimit,
    ErrorBudgetRule,
    FreezeWindow,
    RateLimit,
)
from tools.catalog import CATALOG


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rule is written, so every reason can point at it."""

    rule: str
    source: str
    line: int | None

    def reason(self, effect: Outcome, message: str) -> Reason:
        return Reason(
            rule=self.rule, message=message, effect=effect, source=self.source, line=self.line
        )


class Guard(Protocol):
    @property
    def origin(self) -> Origin: ...

    # A guard that lets a privileged role through reports it so the decision is flagged.
    flags_break_glass: ClassVar[bool]

    def check(self, call: ToolCall, facts: Facts, roles: frozenset[str]) -> Reason | None: ...


def as_utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC so no decision depends on the machine's local zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def touched_namespaces(call: ToolCall, facts: Facts) -> set[str]:
    """The blast radius's namespaces plus any the arguments name (as the tool reads its
    arguments), in case the estimate missed one: the call itself is the ground truth for
    where it acts. ALL_NAMESPACES in the result stands for every namespace, never for one
    named "*"."""
    namespaces = set(facts.blast_radius.namespaces)
    spec = CATALOG.get(call.tool)
    if spec is not None and spec.named_namespaces is not None:
        with suppress(ValidationError):  # bad args are denied elsewhere, with their reason
            namespaces.update(spec.named_namespaces(spec.validate_args(call.args)))
    return namespaces


def _format_duration(span: timedelta) -> str:
    minutes, seconds = divmod(int(span.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "",
             f"{seconds}s" if seconds else ""]
    return "".join(parts) or "0s"


def _everywhere_problem(call: ToolCall, forbidden: list[str]) -> str:
    """Why a call that reaches every namespace touches the forbidden ones, and the fix."""
    where = ", ".join(forbidden)
    spec = CATALOG.get(call.tool)
    if spec is not None and spec.narrowing_hint is not None:
        return spec.narrowing_hint.format(where=where)
    return f"blast radius reaches every namespace, so also {where} (off limits)"


@dataclass(frozen=True, slots=True)
class BlastRadiusGuard:
    origin: Origin
    limit: BlastRadiusLimit
    flags_break_glass: ClassVar[bool] = False

    def check(self, call: ToolCall, facts: Facts, roles: frozenset[str]) -> Reason | None:
        problems = self._problems(call, facts)
        if not problems:
            return None
        return self.origin.reason(Outcome.DENY, "; ".join(problems))

    def _problems(self, call: ToolCall, facts: Facts) -> list[str]:
        limit, blast = self.limit, facts.blast_radius
        if limit.kinds is not None and blast.workload_kind not in limit.kinds:
            return []
        problems: list[str] = []
        touched = touched_namespaces(call, facts)
        forbidden = sorted(touched.intersection(limit.forbidden_namespaces))
        if ALL_NAMESPACES in touched and limit.forbidden_namespaces:
            problems.append(_everywhere_problem(call, sorted(limit.forbidden_namespaces)))
        elif forbidden:
            problems.append(f"namespace {', '.join(forbidden)} is off limits")
        if limit.max_pods is not None and blast.pods_affected > limit.max_pods:
            problems.append(f"affects {blast.pods_affected} pods (limit {limit.max_pods})")
        fraction = blast.fraction_of_service
        if limit.max_service_fraction is not None and fraction > limit.max_service_fraction:
            problems.append(
                f"affects {fraction:.0%} of service {blast.service or '?'}'s pods "
                f"(limit {limit.max_service_fraction:.0%})"
            )
        if limit.max_replica_change is not None or limit.max_replica_factor is not None:
            problems.extend(self._replica_problems(call, facts))
        return problems

    def _replica_problems(self, call: ToolCall, facts: Facts) -> list[str]:
        limit, blast = self.limit, facts.blast_radius
        requested = call.args.get("replicas")
        after = requested if isinstance(requested, int) else blast.replicas_after
        before = blast.replicas_before
        if after is None or after == before:
            return []
        if before is None:
            return [f"current replica count unknown, so a change to {after} cannot be checked"]
        problems = []
        change = abs(after - before)
        if limit.max_replica_change is not None and change > limit.max_replica_change:
            problems.append(
                f"changes replicas by {change} ({before} -> {after}; "
                f"limit {limit.max_replica_change})"
            )
        if limit.max_replica_factor is not None:
            # Scaling to zero is an outage whatever the count; scaling up from zero is
            # measured as if from one replica.
            factor = float("inf") if after == 0 else max(after, before) / max(min(after, before), 1)
            if factor > limit.max_replica_factor:
                problems.append(
                    f"scales by {factor:.1f}x ({before} -> {after}; "
                    f"limit {limit.max_replica_factor:g}x)"
                )
        return problems


@dataclass(frozen=True, slots=True)
class ErrorBudgetGuard:
    """Attached only to the tools the rule freezes (frozen minus allowed)."""

    origin: Origin
    rule: ErrorBudgetRule
    flags_break_glass: ClassVar[bool] = False

    def check(self, call: ToolCall, facts: Facts, roles: frozenset[str]) -> Reason | None:
        rule, budget = self.rule, facts.error_budget
        service = facts.blast_radius.service or (budget.service if budget else None) or "?"
        unknown = self._why_unknown(facts)
        if unknown:
            if rule.when_unknown == "allow":
                return self.origin.reason(
                    Outcome.CONFIRM, f"{unknown}; this rule fails open, {call.tool} not frozen"
                )
            return self.origin.reason(
                Outcome.DENY, f"{unknown}; failing closed: {call.tool} is frozen"
            )
        assert budget is not None and budget.remaining is not None  # _why_unknown checked
        if budget.remaining < rule.below:
            return self.origin.reason(
                Outcome.DENY,
                f"error budget of {service} is {budget.remaining:.1%} left (below "
                f"{rule.below:.1%}): {call.tool} is frozen; "
                f"still allowed: {', '.join(rule.allowed) or 'nothing mutating'}",
            )
        return None

    def _why_unknown(self, facts: Facts) -> str | None:
        budget, service = facts.error_budget, facts.blast_radius.service
        if budget is None or budget.remaining is None:
            return f"error budget of {service or 'the service'} is unknown"
        if service is not None and budget.service != service:
            return f"error budget given is for {budget.service}, not {service}"
        max_age = self.rule.max_age
        if max_age is not None and budget.as_of is not None:
            age = as_utc(facts.now) - as_utc(budget.as_of)
            if age > max_age:
                return (
                    f"error budget of {budget.service} is stale ({_format_duration(age)} old, "
                    f"max {_format_duration(max_age)})"
                )
        return None


@dataclass(frozen=True, slots=True)
class FreezeWindowGuard:
    origin: Origin
    window: FreezeWindow
    zone: ZoneInfo
    flags_break_glass: ClassVar[bool] = True

    def active(self, now: datetime) -> bool:
        local = as_utc(now).astimezone(self.zone)
        window = self.window
        if window.weekly is None:
            assert window.start is not None and window.end is not None  # schema checked
            wall = local.replace(tzinfo=None)
            return window.start <= wall < window.end
        start, end = window.weekly.minutes_of_week()
        minute = (local.weekday() * 24 + local.hour) * 60 + local.minute
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end

    def check(self, call: ToolCall, facts: Facts, roles: frozenset[str]) -> Reason | None:
        if not self.active(facts.now):
            return None
        glass = sorted(roles.intersection(self.window.break_glass_roles))
        if glass:
            return self.origin.reason(
                Outcome.CONFIRM,
                f"change freeze {self.origin.rule} is active; break-glass by role "
                f"{', '.join(glass)}",
            )
        who = ", ".join(self.window.break_glass_roles) or "nobody"
        return self.origin.reason(
            Outcome.DENY,
            f"change freeze {self.origin.rule} is active ({self.window.timezone}); "
            f"only {who} may act (break-glass)",
        )


@dataclass(frozen=True, slots=True)
class RateLimitGuard:
    origin: Origin
    rule: RateLimit
    flags_break_glass: ClassVar[bool] = False

    def check(self, call: ToolCall, facts: Facts, roles: frozenset[str]) -> Reason | None:
        if facts.recent_actions < self.rule.max_actions:
            return None
        service = facts.blast_radius.service or "this service"
        return self.origin.reason(
            Outcome.DENY,
            f"{facts.recent_actions} mutating actions on {service} in the last "
            f"{_format_duration(self.rule.window)} (limit {self.rule.max_actions})",
        )


@dataclass(frozen=True, slots=True)
class ResourceLockGuard:
    origin: Origin
    flags_break_glass: ClassVar[bool] = False

    def check(self, call: ToolCall, facts: Facts, roles: frozenset[str]) -> Reason | None:
        if not facts.resource_locked:
            return None
        return self.origin.reason(
            Outcome.DENY, "another mutating action on this resource is still in flight"
        )
