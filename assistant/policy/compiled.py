"""The compiled policy: merged definitions turned into lookup tables.

Everything that does not depend on the facts of one call is worked out here, once, so a
decision is a handful of dict and set lookups plus the guards that apply to the call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from assistant.models import Outcome, Reason
from assistant.policy.definitions import Definitions, Located, merge_documents
from assistant.policy.guards import (
    BlastRadiusGuard,
    ErrorBudgetGuard,
    FreezeWindowGuard,
    Guard,
    Origin,
    RateLimitGuard,
    ResourceLockGuard,
)
from assistant.policy.schema import ApprovalRule, Scoped
from tools.catalog import CATALOG

EnvTool = tuple[str, str]


def expand_tools(selectors: Iterable[str]) -> frozenset[str]:
    """Tool names and tool classes (read-only, remediation, change) to tool names."""
    names: set[str] = set()
    for selector in selectors:
        if selector in CATALOG:
            names.add(selector)
        else:
            names.update(n for n, spec in CATALOG.items() if spec.tool_class.value == selector)
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class ApprovalPlan:
    """What a confirmable call needs, from the first approval rule that matches it."""

    rule: ApprovalRule
    origin: Origin
    approver_roles: tuple[str, ...]
    reason: Reason


@dataclass(frozen=True)
class Policy:
    version: str
    environments: frozenset[str]
    definitions: Definitions
    user_roles: Mapping[str, frozenset[str]]
    group_roles: Mapping[str, frozenset[str]]
    # (environment, tool) -> role -> the reason naming the grant that lets it request.
    request_grants: Mapping[EnvTool, Mapping[str, Reason]]
    approve_roles: Mapping[EnvTool, frozenset[str]]
    requestable: Mapping[tuple[str, str], frozenset[str]]  # (role, environment) -> tools
    guards: Mapping[EnvTool, tuple[Guard, ...]]
    approvals: Mapping[EnvTool, ApprovalPlan]
    rate_windows: Mapping[str, timedelta]

    def rate_window(self, environment: str) -> timedelta:
        """The window over which callers count Facts.recent_actions; zero where no rate
        limit applies, so there is nothing to count."""
        return self.rate_windows.get(environment, timedelta(0))


def _environments(rule: Scoped, all_envs: frozenset[str]) -> frozenset[str]:
    return all_envs if rule.environments is None else frozenset(rule.environments)


def _holders(defs: Definitions, section: str) -> dict[str, frozenset[str]]:
    table: dict[str, Located] = getattr(defs, section)
    return {name: frozenset(located.item.roles) for name, located in table.items()}


def _grant_tables(defs: Definitions, envs: frozenset[str]) -> tuple[
    dict[EnvTool, dict[str, Reason]], dict[EnvTool, set[str]], dict[tuple[str, str], set[str]]
]:
    request: dict[EnvTool, dict[str, Reason]] = defaultdict(dict)
    approve: dict[EnvTool, set[str]] = defaultdict(set)
    requestable: dict[tuple[str, str], set[str]] = defaultdict(set)
    for role, located in defs.grants:
        grant = located.item
        for env in sorted(_environments(grant, envs)):
            for tool in sorted(expand_tools(grant.request)):
                effect = Outcome.ALLOW if CATALOG[tool].read_only else Outcome.CONFIRM
                request[env, tool].setdefault(role, located.origin.reason(
                    effect, f"role {role} may request {tool} in {env}"))
                requestable[role, env].add(tool)
            for tool in expand_tools(grant.approve):
                approve[env, tool].add(role)
    return request, approve, requestable


def _guard_table(defs: Definitions, envs: frozenset[str]) -> dict[EnvTool, tuple[Guard, ...]]:
    table: dict[EnvTool, list[Guard]] = defaultdict(list)

    def attach(guard: Guard, rule: Scoped, tools: frozenset[str]) -> None:
        for env in _environments(rule, envs):
            for tool in tools:
                table[env, tool].append(guard)

    for limit in defs.blast_radius:
        attach(BlastRadiusGuard(limit.origin, limit.item), limit.item,
               expand_tools(limit.item.tools))
    for budget in defs.error_budget:
        rule = budget.item
        attach(ErrorBudgetGuard(budget.origin, rule), rule,
               expand_tools(rule.frozen) - expand_tools(rule.allowed))
    for freeze in defs.freeze_windows:
        window = freeze.item
        if window.enabled:
            attach(FreezeWindowGuard(freeze.origin, window, ZoneInfo(window.timezone)), window,
                   expand_tools(window.tools))
    for rate in defs.rate_limits:
        attach(RateLimitGuard(rate.origin, rate.item), rate.item,
               expand_tools(rate.item.tools))
    for lock in defs.concurrency:
        attach(ResourceLockGuard(lock.origin), lock.item, expand_tools(lock.item.tools))
    return {key: tuple(guards) for key, guards in table.items()}


def _approval_plan(located: Located[ApprovalRule], may_approve: frozenset[str]) -> ApprovalPlan:
    rule = located.item
    roles = may_approve if rule.from_roles is None else may_approve & set(rule.from_roles)
    ordered = tuple(sorted(roles))
    self_approval = "requester may approve" if rule.requester_may_approve else (
        "requester may not approve")
    ttl_minutes = int(rule.ttl.total_seconds() // 60)
    message = (
        f"needs {rule.approvers} approval{'s' if rule.approvers > 1 else ''} from "
        f"{', '.join(ordered) or 'nobody'}; {self_approval}; expires after {ttl_minutes}m"
    )
    return ApprovalPlan(rule, located.origin, ordered,
                        located.origin.reason(Outcome.CONFIRM, message))


def _approval_table(defs: Definitions, envs: frozenset[str],
                    approve: Mapping[EnvTool, set[str]]) -> dict[EnvTool, ApprovalPlan]:
    table: dict[EnvTool, ApprovalPlan] = {}
    for located in defs.approvals:
        for env in _environments(located.item, envs):
            for tool in expand_tools(located.item.tools):
                if (env, tool) not in table:  # first matching rule wins
                    table[env, tool] = _approval_plan(
                        located, frozenset(approve.get((env, tool), ())))
    return table


def compile_definitions(defs: Definitions) -> Policy:
    envs = frozenset(defs.environments)
    request, approve, requestable = _grant_tables(defs, envs)
    return Policy(
        version=defs.version,
        environments=envs,
        definitions=defs,
        user_roles=_holders(defs, "users"),
        group_roles=_holders(defs, "groups"),
        request_grants=dict(request),
        approve_roles={key: frozenset(roles) for key, roles in approve.items()},
        requestable={key: frozenset(tools) for key, tools in requestable.items()},
        guards=_guard_table(defs, envs),
        approvals=_approval_table(defs, envs, approve),
        rate_windows={
            env: located.item.window
            for located in defs.rate_limits
            for env in _environments(located.item, envs)
        },
    )


def compile_policy(documents: Iterable[tuple[str, str]]) -> Policy:
    """Compile (source name, YAML text) pairs, merged in the order given."""
    return compile_definitions(merge_documents(list(documents)))
