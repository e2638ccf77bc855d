"""`decide`: a pure function of (policy, actor, call, facts) -> Decision with its reasons.

No clock, no network, no model: time is Facts.now. Deny wins over everything; read-only
tools may be allowed outright; a mutating tool is at best `confirm`.
"""

from __future__ import annotations

from assistant.models import Actor, Decision, Facts, Outcome, Reason, ToolCall
from assistant.policy.compiled import Policy
from tools.catalog import CATALOG

_NO_ROLES: frozenset[str] = frozenset()


def _builtin(rule: str, message: str) -> Reason:
    return Reason(rule=rule, message=message, effect=Outcome.DENY)


def roles_of(policy: Policy, actor: Actor) -> frozenset[str]:
    """Roles held directly by the user plus those of each chat group they are in."""
    roles = policy.user_roles.get(actor.user_id, _NO_ROLES)
    for group in actor.groups:
        group_roles = policy.group_roles.get(group)
        if group_roles:
            roles = roles | group_roles
    return roles


def requestable_tools(policy: Policy, actor: Actor, environment: str) -> frozenset[str]:
    """Tools the actor's roles may request in ``environment`` (before any guard runs):
    the planner is shown only these."""
    tools: frozenset[str] = frozenset()
    for role in roles_of(policy, actor):
        tools = tools | policy.requestable.get((role, environment), frozenset())
    return tools


def _deny(policy: Policy, reasons: list[Reason]) -> Decision:
    return Decision(outcome=Outcome.DENY, reasons=tuple(reasons),
                    policy_version=policy.version)


def decide(policy: Policy, actor: Actor, call: ToolCall, facts: Facts) -> Decision:
    spec = CATALOG.get(call.tool)
    if spec is None:
        return _deny(policy, [_builtin("unknown-tool", f"no tool named {call.tool!r}")])
    env = facts.environment
    if env not in policy.environments:
        known = ", ".join(sorted(policy.environments))
        return _deny(policy, [_builtin("unknown-environment",
                                       f"environment {env!r} is not in the policy ({known})")])
    roles = roles_of(policy, actor)
    if not roles:
        return _deny(policy, [_builtin("no-role", f"user {actor.user_id} holds no role")])

    key = (env, call.tool)
    grants = policy.request_grants.get(key, {})
    reasons = [grants[role] for role in sorted(roles.intersection(grants))]
    denied = not reasons
    if denied:
        reasons.append(_builtin(
            "not-granted",
            f"no role of {actor.user_id} ({', '.join(sorted(roles))}) may request "
            f"{call.tool} in {env}",
        ))
    break_glass = False
    for guard in policy.guards.get(key, ()):
        reason = guard.check(call, facts, roles)
        if reason is None:
            continue
        reasons.append(reason)
        if reason.effect is Outcome.DENY:
            denied = True
        elif guard.flags_break_glass:
            break_glass = True

    if spec.read_only:
        if denied:
            return _deny(policy, reasons)
        return Decision(outcome=Outcome.ALLOW, reasons=tuple(reasons),
                        policy_version=policy.version)

    plan = policy.approvals.get(key)
    if plan is None:
        reasons.append(_builtin("no-approval-rule",
                                f"no approval rule covers {call.tool} in {env}"))
        return _deny(policy, reasons)
    if not plan.approver_roles:
        reasons.append(_builtin(
            "no-approver", f"no role may approve {call.tool} in {env} under {plan.reason.rule}"))
        return _deny(policy, reasons)
    if denied:
        return _deny(policy, reasons)
    reasons.append(plan.reason)
    rule = plan.rule
    return Decision(
        outcome=Outcome.CONFIRM,
        reasons=tuple(reasons),
        approver_roles=plan.approver_roles,
        approvals_required=rule.approvers,
        requester_may_approve=rule.requester_may_approve,
        ttl_seconds=int(rule.ttl.total_seconds()),
        break_glass=break_glass,
        policy_version=policy.version,
    )
