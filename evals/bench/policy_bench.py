"""Policy decision speed: opsbot's engine against an equivalent Cedar policy (cedarpy).

A realistic generated policy (20 roles, 200 users, 30 rules: 20 grants, 3 blast-radius
limits, an error-budget freeze, a dated and a weekly freeze window, 2 approval rules, a
rate limit and a concurrency rule) decides the same requests in both engines, in this
process. Cedar uses its pre-parsed API (PolicySet / Entities parsed once). Requests for
both engines are built before timing; Cedar's context carries values opsbot's engine
derives itself (the namespaces a call touches, the local minute of the week, the budget's
age), so Cedar is timed on less work. Every outcome must agree (allow/confirm = Allow).

    .venv/bin/python -m evals.bench.policy_bench [--requests N] [--seed S]

With ``--load``, it times loading instead: the same policy with 1k to 32k users, parsed,
checked and compiled by opsbot (median and worst of ``--runs``), per user and against
PyYAML's libyaml loader plus pydantic validation of the same text in this process (no
locations, no duplicate-key, alias or depth checks). Loading was quadratic in users
(32k users: 157 s); flat time per user shows it is linear.

    .venv/bin/python -m evals.bench.policy_bench --load [--users 1000,4000,16000,32000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from assistant.models import Actor, BlastRadius, ErrorBudget, Facts, Outcome, ToolCall
from assistant.policy import Policy, compile_policy, decide
from assistant.policy.schema import PolicyFile
from evals.bench import baseline, timed
from tools.catalog import CATALOG

ENVIRONMENTS = ("prod", "staging")
ROLES = [f"role-{i:02d}" for i in range(20)]
USERS = [f"U{i:03d}" for i in range(200)]
GROUPS = {f"G{i}": ROLES[i * 3] for i in range(5)}
TOOLS = sorted(CATALOG)
CLASSES = ("read-only", "remediation", "change")
ZONE = ZoneInfo("Europe/Berlin")
FREEZE = (datetime(2026, 12, 23), datetime(2027, 1, 4, 8))  # Berlin wall time
WEEKLY = (4 * 1440 + 18 * 60, 0 * 1440 + 6 * 60)  # fri 18:00 -> mon 06:00, minutes of week
BREAK_GLASS = ROLES[1]
BUDGET_BELOW, BUDGET_MAX_AGE = 0.05, 3600
START = datetime(2026, 12, 1, tzinfo=UTC)


def _grant(index: int) -> tuple[list[str], list[str], list[str]]:
    """environments, requested classes, approved classes of role ``index``; role-00 and the
    break-glass role-01 request and approve everything, so every mutating call has approvers."""
    if index < 2:
        return list(ENVIRONMENTS), list(CLASSES), ["remediation", "change"]
    envs = ["staging"] if index % 3 == 0 else list(ENVIRONMENTS)
    request = ["read-only"] + (["remediation"] if index % 2 == 0 else []) + (
        ["change"] if index % 5 == 0 else [])
    approve = (["remediation"] if index % 4 == 0 else []) + (["change"] if index % 10 == 0 else [])
    return envs, request, approve


def _user_roles(index: int) -> list[str]:
    first = ROLES[index % 20]
    second = ROLES[(index * 7 + 3) % 20]
    return [first] if index % 3 else sorted({first, second})


def opsbot_yaml(users: Sequence[str] = USERS) -> str:
    lines = [f"environments: [{', '.join(ENVIRONMENTS)}]", "roles:"]
    for i, role in enumerate(ROLES):
        envs, request, approve = _grant(i)
        lines += [f"  {role}:", "    grants:",
                  f"      - {{id: {role}-grant, environments: [{', '.join(envs)}], "
                  f"request: [{', '.join(request)}], approve: [{', '.join(approve)}]}}"]
    lines.append("users:")
    lines += [f"  {u}: {{roles: [{', '.join(_user_roles(i))}]}}" for i, u in enumerate(users)]
    lines.append("groups:")
    lines += [f"  {g}: {{roles: [{role}]}}" for g, role in GROUPS.items()]
    lines += [
        "blast_radius:",
        "  - {id: no-kube-system, forbidden_namespaces: [kube-system]}",
        "  - {id: prod-scale, environments: [prod], tools: [scale_deployment], "
        "max_replica_change: 10, max_replica_factor: 2.0}",
        "  - {id: prod-fraction, environments: [prod], "
        "tools: [rollback_deployment, restart_deployment], max_service_fraction: 0.75}",
        "error_budget:",
        f"  - {{id: budget, below: {BUDGET_BELOW}, frozen: [remediation, change], "
        "allowed: [rollback_deployment, restart_deployment, silence_alert], max_age: 1h}",
        "freeze_windows:",
        f"  - {{id: holiday, environments: [prod], tools: [change], timezone: Europe/Berlin, "
        f"from: '{FREEZE[0]:%Y-%m-%d %H:%M}', to: '{FREEZE[1]:%Y-%m-%d %H:%M}', "
        f"break_glass_roles: [{BREAK_GLASS}]}}",
        "  - {id: weekend, environments: [prod], timezone: Europe/Berlin, "
        f"weekly: {{from: 'fri 18:00', to: 'mon 06:00'}}, break_glass_roles: [{BREAK_GLASS}]}}",
        "approvals:",
        "  - {id: prod-approval, environments: [prod], approvers: 1, ttl: 15m}",
        "  - {id: staging-approval, environments: [staging], approvers: 1, "
        "requester_may_approve: true, ttl: 30m}",
        "rate_limits:",
        "  - {id: rate, max_actions: 3, window: 30m}",
        "concurrency:",
        "  - {id: lock}",
    ]
    return "\n".join(lines) + "\n"


def _epoch(wall: datetime) -> int:
    return int(wall.replace(tzinfo=ZONE).timestamp())


def cedar_policies() -> str:
    policies = []
    for i, role in enumerate(ROLES):
        envs, request, _ = _grant(i)
        policies.append(
            f'permit(principal in Role::"{role}", action in '
            f'[{", ".join(f"Action::{json.dumps(c)}" for c in request)}], resource) when '
            f'{{ resource in [{", ".join(f"Environment::{json.dumps(e)}" for e in envs)}] }};'
        )
    mutating = 'action in [Action::"remediation", Action::"change"]'
    prod = 'resource == Environment::"prod"'
    policies += [
        f'forbid(principal, {mutating}, resource) when {{ context.namespaces.contains('
        f'"kube-system") }};',
        f'forbid(principal, action == Action::"scale_deployment", {prod}) when {{ '
        "!context.before_known || (context.after != context.before && ("
        "context.after - context.before > 10 || context.before - context.after > 10 "
        "|| (context.after > context.before && context.before == 0 && context.after > 2) "
        "|| (context.after > context.before && context.before > 0 "
        "&& context.after > 2 * context.before) "
        "|| (context.after < context.before && (context.after == 0 "
        "|| context.before > 2 * context.after)))) };",
        f'forbid(principal, action in [Action::"rollback_deployment", '
        f'Action::"restart_deployment"], {prod}) when {{ context.service_pods > 0 && '
        "context.pods_affected * 100 > 75 * context.service_pods };",
        'forbid(principal, action == Action::"scale_deployment", resource) when { '
        "!context.budget_known || (context.service != \"\" && "
        "context.budget_service != context.service) || "
        f"context.budget_age > {BUDGET_MAX_AGE} || "
        f'context.budget.lessThan(decimal("{BUDGET_BELOW:.4f}")) }};',
        f'forbid(principal, action in Action::"change", {prod}) when {{ '
        f"context.now >= {_epoch(FREEZE[0])} && context.now < {_epoch(FREEZE[1])} }} "
        f'unless {{ principal in Role::"{BREAK_GLASS}" }};',
        f"forbid(principal, {mutating}, {prod}) when {{ context.minute_of_week >= {WEEKLY[0]} "
        f"|| context.minute_of_week < {WEEKLY[1]} }} "
        f'unless {{ principal in Role::"{BREAK_GLASS}" }};',
        f"forbid(principal, {mutating}, resource) when {{ context.recent >= 3 }};",
        f"forbid(principal, {mutating}, resource) when {{ context.locked }};",
    ]
    return "\n".join(policies)


def cedar_entities() -> str:
    def uid(kind: str, name: str) -> dict[str, str]:
        return {"type": kind, "id": name}

    entities: list[dict[str, Any]] = [
        {"uid": uid("Role", r), "attrs": {}, "parents": []} for r in ROLES
    ]
    entities += [{"uid": uid("Group", g), "attrs": {}, "parents": [uid("Role", r)]}
                 for g, r in GROUPS.items()]
    for i, user in enumerate(USERS):
        parents = [uid("Role", r) for r in _user_roles(i)]
        parents += [uid("Group", g) for g in _user_groups(i)]
        entities.append({"uid": uid("User", user), "attrs": {}, "parents": parents})
    entities += [{"uid": uid("Action", c), "attrs": {}, "parents": []} for c in CLASSES]
    entities += [{"uid": uid("Action", t), "attrs": {},
                  "parents": [uid("Action", CATALOG[t].tool_class.value)]} for t in TOOLS]
    entities += [{"uid": uid("Environment", e), "attrs": {}, "parents": []}
                 for e in ENVIRONMENTS]
    return json.dumps(entities)


def _user_groups(index: int) -> tuple[str, ...]:
    return (f"G{index % 5}",) if index % 11 == 0 else ()


def _args(tool: str, rng: random.Random) -> dict[str, Any]:
    namespace = rng.choice(["shop", "shop", "payments", "kube-system"])
    deployment = rng.choice(["checkout", "api", "worker"])
    special: dict[str, dict[str, Any]] = {
        "list_pods": {"namespace": namespace},
        "get_pod_logs": {"namespace": namespace, "pod": f"{deployment}-1"},
        "query_metrics": {"query": "http_requests_total"},
        "list_alerts": {"namespace": namespace},
        "get_error_budget": {"service": deployment},
        "scale_deployment": {"namespace": namespace, "deployment": deployment,
                             "replicas": rng.randint(0, 24)},
        "silence_alert": {"alertname": "HighErrorRate", "matchers": {"namespace": namespace}},
    }
    return special.get(tool, {"namespace": namespace, "deployment": deployment})


def random_request(rng: random.Random) -> tuple[Actor, ToolCall, Facts]:
    index = rng.randrange(len(USERS) + 4)  # a few unknown users too
    user = USERS[index] if index < len(USERS) else f"U9{index:03d}"
    actor = Actor(user_id=user, groups=_user_groups(index) if index < len(USERS) else ())
    tool = rng.choice(TOOLS)
    call = ToolCall(tool=tool, args=_args(tool, rng))
    now = START + timedelta(minutes=rng.randrange(60 * 24 * 45))
    service = call.args.get("deployment")
    before = rng.choice([None, *range(0, 13)])
    pods = rng.randint(0, 12)
    blast = BlastRadius(
        namespaces=(call.args["namespace"],) if "namespace" in call.args else (),
        service=service, pods_affected=pods, service_pods=pods + rng.randint(0, 6),
        replicas_before=before, replicas_after=call.args.get("replicas", before),
    )
    budget = None if rng.random() < 0.1 else ErrorBudget(
        service=service or "checkout" if rng.random() < 0.95 else "other", slo_target=0.999,
        remaining=rng.randint(-20, 100) / 100,
        as_of=now - timedelta(minutes=rng.choice([1, 5, 30, 90])),
    )
    facts = Facts(environment=rng.choice(ENVIRONMENTS), now=now, blast_radius=blast,
                  error_budget=budget, recent_actions=rng.choice([0, 0, 1, 2, 3]),
                  resource_locked=rng.random() < 0.1)
    return actor, call, facts


def cedar_request(actor: Actor, call: ToolCall, facts: Facts) -> dict[str, Any]:
    """The same request for Cedar, with the values Cedar cannot derive precomputed."""
    blast, budget = facts.blast_radius, facts.error_budget
    namespaces = set(blast.namespaces)
    for ns in (call.args.get("namespace"), call.args.get("matchers", {}).get("namespace")):
        if ns:
            namespaces.add(ns)
    local = facts.now.astimezone(ZONE)
    after = call.args.get("replicas", blast.replicas_after)
    known = budget is not None and budget.remaining is not None
    return {
        "principal": f'User::"{actor.user_id}"',
        "action": f'Action::"{call.tool}"',
        "resource": f'Environment::"{facts.environment}"',
        "context": {
            "namespaces": sorted(namespaces),
            "before_known": blast.replicas_before is not None,
            "before": blast.replicas_before or 0,
            "after": after if after is not None else (blast.replicas_before or 0),
            "pods_affected": blast.pods_affected,
            "service_pods": blast.service_pods,
            "service": blast.service or "",
            "budget_known": known,
            "budget_service": budget.service if budget else "",
            "budget_age": int((facts.now - budget.as_of).total_seconds())
            if budget and budget.as_of else 0,
            "budget": {"__extn": {"fn": "decimal", "arg": f"{budget.remaining:.4f}"
                                  if known else "0.0000"}},
            "now": int(facts.now.timestamp()),
            "minute_of_week": (local.weekday() * 24 + local.hour) * 60 + local.minute,
            "recent": facts.recent_actions,
            "locked": facts.resource_locked,
        },
    }


def _timed(run: Callable[[Any], Any], items: Sequence[Any]) -> tuple[list[Any], list[float]]:
    results, micros = [], []
    clock = time.perf_counter_ns
    for item in items:
        start = clock()
        results.append(run(item))
        micros.append((clock() - start) / 1000)
    return results, micros


def _summary(name: str, micros: list[float]) -> tuple[float, float, float]:
    ordered = sorted(micros)
    p50 = statistics.median(ordered)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    rate = len(ordered) / (sum(ordered) / 1e6)
    print(f"{name:<34} p50 {p50:9.1f} µs   p99 {p99:9.1f} µs   {rate:12,.0f} decisions/s")
    return p50, p99, rate


def load_scaling(sizes: Sequence[int], runs: int) -> int:
    """Time loading the policy with ``sizes`` users; print per-user cost and growth."""
    print(f"policy load, {runs} runs each: opsbot (parse, check, locate, compile) against "
          "PyYAML CSafeLoader + pydantic")
    print(f"{'users':>7} {'median s':>9} {'worst s':>8} {'µs/user':>8} {'growth':>7} "
          f"{'baseline s':>11} {'ratio':>6}")
    first_per_user = None
    for size in sizes:
        text = opsbot_yaml([f"U{i:06d}" for i in range(size)])
        ours = timed(lambda t=text: compile_policy([("bench.yaml", t)]), runs)
        theirs = timed(lambda t=text: PolicyFile.model_validate(
            yaml.load(t, Loader=yaml.CSafeLoader), context=_LOAD_CONTEXT), runs)
        median = statistics.median(ours)
        per_user = median / size * 1e6
        first_per_user = first_per_user or per_user
        base = statistics.median(theirs)
        print(f"{size:>7,} {median:>9.2f} {max(ours):>8.2f} {per_user:>8.1f} "
              f"{per_user / first_per_user:>6.2f}x {base:>11.2f} {median / base:>5.1f}x")
    print("growth: time per user relative to the smallest size (1.00x = linear)")
    return 0


_LOAD_CONTEXT = {"roles": frozenset(ROLES), "environments": frozenset(ENVIRONMENTS)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", action="store_true", help="time policy loading instead")
    parser.add_argument("--users", default="1000,4000,16000,32000",
                        help="with --load: comma-separated user counts")
    parser.add_argument("--runs", type=int, default=3, help="with --load: runs per size")
    opts = parser.parse_args(argv)
    if opts.load:
        return load_scaling([int(n) for n in opts.users.split(",")], opts.runs)
    cedarpy = baseline("cedarpy")

    started = time.perf_counter()
    policy: Policy = compile_policy([("bench.yaml", opsbot_yaml())])
    compile_ms = (time.perf_counter() - started) * 1000
    rules = len(policy.definitions.rule_origins)
    print(f"policy: {len(ROLES)} roles, {len(USERS)} users, {rules} rules; "
          f"compiled in {compile_ms:.0f} ms; {opts.requests:,} requests")

    rng = random.Random(opts.seed)
    requests = [random_request(rng) for _ in range(opts.requests)]
    cedar_requests = [cedar_request(*r) for r in requests]
    policy_set = cedarpy.PolicySet.from_str(cedar_policies())
    entities = cedarpy.Entities.from_json_str(cedar_entities())

    ours, our_us = _timed(lambda r: decide(policy, *r), requests)
    theirs, their_us = _timed(lambda r: cedarpy.is_authorized(r, policy_set, entities),
                              cedar_requests)
    started = time.perf_counter()
    cedarpy.is_authorized_batch(cedar_requests, policy_set, entities)
    batch_rate = len(cedar_requests) / (time.perf_counter() - started)

    p50, p99, rate = _summary("opsbot decide (with reasons)", our_us)
    c50, c99, crate = _summary("cedarpy is_authorized, pre-parsed", their_us)
    print(f"{'cedarpy is_authorized_batch':<34} {'':>36}{batch_rate:12,.0f} decisions/s")
    print(f"ratio cedarpy/opsbot: p50 {c50 / p50:.1f}x   p99 {c99 / p99:.1f}x   "
          f"throughput {rate / crate:.1f}x")
    print(f"targets: p99 < 200 µs: {'met' if p99 < 200 else 'MISSED'}; "
          f"at least as fast as cedarpy: {'met' if rate >= crate else 'MISSED'}")

    outcomes = [d.outcome.value for d in ours]
    counts = {o.value: outcomes.count(o.value) for o in Outcome}
    print(f"outcomes: {counts}")
    mismatches = [
        (request, decision)
        for request, decision, result in zip(requests, ours, theirs, strict=True)
        if (decision.outcome is not Outcome.DENY) != result.allowed
    ]
    print(f"agreement with Cedar: {len(requests) - len(mismatches):,}/{len(requests):,}")
    for (actor, call, facts), decision in mismatches[:5]:
        print(f"  MISMATCH {actor.user_id} {call.render()} {facts.environment}: "
              f"opsbot {decision.outcome.value}: {decision.explain()}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
