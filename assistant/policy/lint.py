"""Find policy mistakes that load fine but surprise later: rules that can never apply,
roles nobody holds, tools nobody can request, requests that nobody could approve.

Errors are findings that make a rule or a request dead; warnings may be intended.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from assistant.policy.compiled import EnvTool, Policy, expand_tools
from assistant.policy.definitions import Located
from assistant.policy.guards import Origin, as_utc
from assistant.policy.schema import BlastRadiusLimit, Scoped
from tools.catalog import CATALOG

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    source: str | None = None
    line: int | None = None

    def render(self) -> str:
        where = f"{self.source}:{self.line}: " if self.source else ""
        return f"{where}{self.severity}: [{self.code}] {self.message}"


def _finding(severity: Severity, code: str, message: str, origin: Origin | None) -> Finding:
    if origin is None:
        return Finding(severity, code, message)
    return Finding(severity, code, message, origin.source, origin.line)


def _held_roles(policy: Policy) -> frozenset[str]:
    held: set[str] = set()
    for roles in (*policy.user_roles.values(), *policy.group_roles.values()):
        held |= roles
    return frozenset(held)


def _reachable(policy: Policy, held: frozenset[str]) -> set[EnvTool]:
    """(environment, tool) pairs that some person could actually request."""
    return {key for key, grants in policy.request_grants.items() if held.intersection(grants)}


def _scope(rule: Scoped, policy: Policy, tools: frozenset[str]) -> set[EnvTool]:
    envs = policy.environments if rule.environments is None else rule.environments
    return {(env, tool) for env in envs for tool in tools}


def _role_findings(policy: Policy, held: frozenset[str]) -> Iterator[Finding]:
    for name, located in policy.definitions.roles.items():
        if name not in held:
            yield _finding("warning", "role-unheld",
                           f"role {name} is held by no user or group", located.origin)
    for role, granted in policy.definitions.grants:
        grant = granted.item
        if not grant.request and not grant.approve:
            yield _finding("error", "rule-unreachable",
                           f"grant {grant.id} of role {role} grants nothing", granted.origin)


def _tool_findings(reachable: set[EnvTool]) -> Iterator[Finding]:
    requestable = {tool for _, tool in reachable}
    for tool in sorted(set(CATALOG) - requestable):
        yield _finding("warning", "tool-unrequestable",
                       f"no role held by anyone may request {tool} in any environment", None)


def _guard_rules(policy: Policy) -> Iterator[tuple[Located[Scoped], frozenset[str]]]:
    defs = policy.definitions
    for located in (*defs.blast_radius, *defs.freeze_windows, *defs.rate_limits,
                    *defs.concurrency):
        yield located, expand_tools(located.item.tools)
    for budget in defs.error_budget:
        yield budget, expand_tools(budget.item.frozen) - expand_tools(budget.item.allowed)


def _guard_findings(policy: Policy, reachable: set[EnvTool], now: datetime) -> Iterator[Finding]:
    for located, tools in _guard_rules(policy):
        rule, origin = located.item, located.origin
        if not tools:
            yield _finding("error", "rule-unreachable", f"{rule.id} applies to no tool", origin)
        elif not _scope(rule, policy, tools) & reachable:
            yield _finding("error", "rule-unreachable",
                           f"{rule.id} covers only calls nobody may request", origin)
        if isinstance(rule, BlastRadiusLimit) and not rule.forbidden_namespaces and all(
            limit is None for limit in (rule.max_pods, rule.max_replica_change,
                                        rule.max_replica_factor, rule.max_service_fraction)
        ):
            yield _finding("error", "rule-ineffective", f"{rule.id} sets no limit", origin)
    for freeze in policy.definitions.freeze_windows:
        window = freeze.item
        if window.enabled and window.end is not None:
            local_now = as_utc(now).astimezone(ZoneInfo(window.timezone)).replace(tzinfo=None)
            if window.end <= local_now:
                yield _finding("warning", "freeze-window-ended",
                               f"{window.id} ended {window.end:%Y-%m-%d %H:%M}", freeze.origin)


def _approval_findings(policy: Policy, reachable: set[EnvTool],
                       held: frozenset[str]) -> Iterator[Finding]:
    covered: set[EnvTool] = set()
    for located in policy.definitions.approvals:
        scope = _scope(located.item, policy, expand_tools(located.item.tools))
        if not (scope - covered) & reachable:
            yield _finding("error", "rule-unreachable",
                           f"{located.item.id} never applies: every call it covers is "
                           "matched by an earlier approval rule or requested by nobody",
                           located.origin)
        covered |= scope
    for env, tool in sorted(reachable):
        if CATALOG[tool].read_only:
            continue
        plan = policy.approvals.get((env, tool))
        if plan is None:
            yield _finding("error", "no-approval-rule",
                           f"{tool} in {env} can be requested but no approval rule covers it, "
                           "so every request is denied", None)
            continue
        origin = plan.origin
        if not held.intersection(plan.approver_roles):
            yield _finding("error", "no-approver",
                           f"nobody may approve {tool} in {env}", origin)
        elif not any(roles.intersection(plan.approver_roles)
                     for roles in policy.group_roles.values()):
            # A group may hold any number of people, so only direct holders can be counted.
            people = sum(1 for roles in policy.user_roles.values()
                         if roles.intersection(plan.approver_roles))
            if people < plan.rule.approvers:
                yield _finding("error", "too-few-approvers",
                               f"{tool} in {env} needs {plan.rule.approvers} approvers but "
                               f"only {people} people hold an approving role", origin)


def _concurrency_findings(policy: Policy, reachable: set[EnvTool]) -> Iterator[Finding]:
    covered: set[EnvTool] = set()
    for located in policy.definitions.concurrency:
        covered |= _scope(located.item, policy, expand_tools(located.item.tools))
    for env in sorted(policy.environments):
        open_tools = sorted(tool for e, tool in reachable - covered
                            if e == env and not CATALOG[tool].read_only)
        if open_tools:
            yield _finding("warning", "no-concurrency-rule",
                           f"in {env}, {', '.join(open_tools)} may run twice at once on one "
                           "resource (no concurrency rule)", None)


def lint(policy: Policy, now: datetime) -> list[Finding]:
    """Every finding, errors first; ``now`` only decides which dated windows have ended."""
    held = _held_roles(policy)
    reachable = _reachable(policy, held)
    findings = [
        *_role_findings(policy, held),
        *_tool_findings(reachable),
        *_guard_findings(policy, reachable, now),
        *_approval_findings(policy, reachable, held),
        *_concurrency_findings(policy, reachable),
    ]
    return sorted(findings, key=lambda f: (f.severity != "error", f.source or "", f.line or 0))
